"""What the buttons on a workflow's console page do.

Each action reads its form and calls the engine operation that the API route it mirrors calls
(``api`` names the route), with the same arguments: the console can do nothing the API would
refuse, and when the engine refuses, the page shows the API's own error text. Which actions a
page offers follows the workflow's state as Conductor allows them (:func:`offered`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fake_server.engine.errors import NotFoundError
from fake_server.engine.facade import Engine

Form = Mapping[str, str]

TERMINAL_WORKFLOW = ("COMPLETED", "FAILED", "TIMED_OUT", "TERMINATED")
TERMINAL_TASK = (
    "COMPLETED",
    "COMPLETED_WITH_ERRORS",
    "FAILED",
    "FAILED_WITH_TERMINAL_ERROR",
    "TIMED_OUT",
    "CANCELED",
    "SKIPPED",
)
# Tasks the server moves by itself (forks, joins, loops, switches, sub-workflows): a person
# completes their inner tasks, not them.
DRIVEN_BY_SERVER = (
    "FORK_JOIN",
    "FORK",
    "FORK_JOIN_DYNAMIC",
    "JOIN",
    "DO_WHILE",
    "SWITCH",
    "DECISION",
    "SUB_WORKFLOW",
)
# What a task's status may be set to from its row (POST /api/tasks with that status).
TASK_RESULT_STATUSES = ("COMPLETED", "FAILED", "FAILED_WITH_TERMINAL_ERROR")


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    api: str  # the API route that does the same
    run: Callable[[Engine, str, Form], str]  # does it; says what happened
    confirm: str = ""  # asked first, where the action throws work away (see unconfirmed)


def _retry(engine: Engine, workflow_id: str, form: Form) -> str:
    resume = _checked(form, "resumeSubworkflowTasks")
    engine.retry_workflow(workflow_id, resume_subworkflow_tasks=resume)
    return "Retried: the failed task is scheduled again."


def _restart(engine: Engine, workflow_id: str, form: Form) -> str:
    latest = _checked(form, "useLatestDefinitions")
    engine.restart_workflow(workflow_id, latest)
    return "Restarted from its first task" + (" on the latest definition." if latest else ".")


def _rerun(engine: Engine, workflow_id: str, form: Form) -> str:
    request: dict[str, Any] = {"reRunFromWorkflowId": workflow_id}
    if form.get("reRunFromTaskId"):
        request["reRunFromTaskId"] = form["reRunFromTaskId"]
    for key in ("taskInput", "workflowInput"):
        value = json_object(form.get(key, ""), key)
        if value is not None:
            request[key] = value
    engine.rerun_workflow(workflow_id, request)
    where = form.get("reRunFromTaskId")
    return f"Rerun from task {where}." if where else "Rerun from its first task."


def _terminate(engine: Engine, workflow_id: str, form: Form) -> str:
    reason = form.get("reason", "").strip() or None
    engine.terminate_workflow(workflow_id, reason)
    return "Terminated" + (f": {reason}" if reason else ".")


def _pause(engine: Engine, workflow_id: str, form: Form) -> str:
    engine.pause_workflow(workflow_id)
    return "Paused: no task is scheduled until it is resumed."


def _resume(engine: Engine, workflow_id: str, form: Form) -> str:
    engine.resume_workflow(workflow_id)
    return "Resumed."


def _skip(engine: Engine, workflow_id: str, form: Form) -> str:
    reference = _required(form, "taskReferenceName")
    request = {
        "taskInput": json_object(form.get("taskInput", ""), "taskInput") or {},
        "taskOutput": json_object(form.get("taskOutput", ""), "taskOutput") or {},
    }
    engine.skip_task(workflow_id, reference, request)
    return f"Task {reference} skipped."


def _update_task(engine: Engine, workflow_id: str, form: Form) -> str:
    task_id = _required(form, "taskId")
    status = _required(form, "status")
    result: dict[str, Any] = {
        "workflowInstanceId": workflow_id,
        "taskId": task_id,
        "status": status,
        "outputData": json_object(form.get("output", ""), "output") or {},
    }
    if form.get("reason", "").strip():
        result["reasonForIncompletion"] = form["reason"].strip()
    engine.update_task(result)
    return f"Task {form.get('reference') or task_id} set to {status}."


def _requeue(engine: Engine, workflow_id: str, form: Form) -> str:
    task_type = _required(form, "taskType")
    count = engine.requeue_pending_tasks(task_type)
    return f"{count} pending {task_type} task{'s' if count != 1 else ''} put back in the queue."


ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        Action("retry", "Retry", "POST /api/workflow/{id}/retry", _retry),
        Action(
            "restart",
            "Restart",
            "POST /api/workflow/{id}/restart",
            _restart,
            "Restart this workflow from its first task? Every task it ran is dropped.",
        ),
        Action(
            "rerun",
            "Rerun from a task",
            "POST /api/workflow/{id}/rerun",
            _rerun,
            "Rerun this workflow from the chosen task? The tasks after it are dropped.",
        ),
        Action(
            "terminate",
            "Terminate",
            "DELETE /api/workflow/{id}",
            _terminate,
            "Terminate this workflow? Its running tasks are canceled.",
        ),
        Action("pause", "Pause", "PUT /api/workflow/{id}/pause", _pause),
        Action("resume", "Resume", "PUT /api/workflow/{id}/resume", _resume),
        Action("skip", "Skip a task", "PUT /api/workflow/{id}/skiptask/{ref}", _skip),
        Action("update-task", "Set the task's status", "POST /api/tasks", _update_task),
        Action("requeue", "Requeue", "POST /api/tasks/queue/requeue/{taskType}", _requeue),
    )
}


# The faults page's remove-all button throws every rule away: it asks first, as the actions
# above with a ``confirm`` do.
CLEAR_FAULTS_CONFIRM = "Remove every fault rule (and end any outage's record)?"
# The field that says a person agreed: the console's script adds it once window.confirm says
# yes; without the script, the server's confirmation page posts it with the form's fields.
CONFIRMED = "confirmed"


def unconfirmed(question: str, form: Form) -> bool:
    """Whether a form must ask first before it is acted on: its action throws work away
    (``question``, the action's ``confirm``) and nobody has said yes yet."""
    return bool(question) and form.get(CONFIRMED) != "1"


def run(engine: Engine, workflow_id: str, name: str, form: Form) -> str:
    """Does the action ``name`` on the workflow; what happened, in words. Raises the engine's
    error when it refuses, and ValueError for a form that cannot be read."""
    action = ACTIONS.get(name)
    if action is None:
        raise NotFoundError(f"No such console action: {name} (known: {', '.join(ACTIONS)})")
    return action.run(engine, workflow_id, form)


def offered(status: str) -> list[Action]:
    """The workflow-wide actions a workflow in ``status`` allows."""
    if status == "RUNNING":
        names = ["pause", "terminate", "skip"]
    elif status == "PAUSED":
        names = ["resume", "terminate"]
    elif status == "COMPLETED":
        names = ["restart", "rerun"]
    elif status in TERMINAL_WORKFLOW:
        names = ["retry", "restart", "rerun"]
    else:
        names = []
    return [ACTIONS[name] for name in names]


def can_set_status(workflow_status: str, task: Mapping[str, Any]) -> bool:
    """Whether a person may complete or fail ``task`` from its row: a task that has not ended,
    of a workflow that has not, and that the server does not move by itself."""
    return (
        workflow_status not in TERMINAL_WORKFLOW
        and task.get("status") not in TERMINAL_TASK
        and _task_type(task) not in DRIVEN_BY_SERVER
    )


def can_requeue(task: Mapping[str, Any], system_types: Iterable[str]) -> bool:
    """A pending task that a worker polls for (system tasks are run by the server)."""
    return task.get("status") in ("SCHEDULED", "IN_PROGRESS") and str(
        task.get("taskType")
    ) not in set(system_types)


def _task_type(task: Mapping[str, Any]) -> str:
    return str((task.get("workflowTask") or {}).get("type") or task.get("taskType") or "")


def _checked(form: Form, name: str) -> bool:
    return form.get(name, "") in ("on", "true", "1")


def _required(form: Form, name: str) -> str:
    value = form.get(name, "").strip()
    if not value:
        raise ValueError(f"{name} is required")
    return value


def json_object(text: str, name: str) -> dict[str, Any] | None:
    """The JSON object typed in a field; None when the field is empty."""
    if not text.strip():
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{name} is not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be a JSON object ({{...}}), not {type(value).__name__}")
    return value


# -- the faults page's form -------------------------------------------------------------------
# The fields each kind of fault takes beside route, path, probability and times.
_FAULT_FIELDS = {"error": ("status", "after"), "latency": ("ms",), "hang": ("seconds",)}
_WHOLE_NUMBERS = ("status", "ms", "times")


def fault_spec(form: Form) -> dict[str, Any]:
    """The rule the faults page's form describes, as ``POST /fake/faults`` takes it: only the
    fields filled in, and those its kind takes (the fault plan checks the rest)."""
    kind = form.get("kind", "")
    spec: dict[str, Any] = {"kind": kind}
    for name in ("route", "path", "probability", "times", *_FAULT_FIELDS.get(kind, ())):
        text = form.get(name, "").strip()
        if not text:
            continue
        if name == "after":
            spec[name] = text in ("on", "true", "1")
        elif name in _WHOLE_NUMBERS:
            spec[name] = _number(text, name, int)
        elif name in ("probability", "seconds"):
            spec[name] = _number(text, name, float)
        else:
            spec[name] = text
    return spec


def _number(text: str, name: str, kind: Callable[[str], Any]) -> Any:
    try:
        return kind(text)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise ValueError(f"{name} must be {what}, not {text!r}") from None
