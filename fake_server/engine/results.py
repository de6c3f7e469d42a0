"""Where a worker's TaskResult is applied (``POST /tasks`` and ``/tasks/update-v2``).

IN_PROGRESS gives the task back to its queue after ``callbackAfterSeconds``; ``extendLease``
only restarts the response timeout; COMPLETED lets the workflow go on; FAILED is retried while
retries remain; FAILED_WITH_TERMINAL_ERROR and CANCELED never are. An update of a task or
workflow that has already ended changes nothing (workers deliver at least once). An output over
10 MB fails the task for good with Conductor's message (see :mod:`.payloads`).
"""

from __future__ import annotations

from typing import Any

from fake_server.engine.decider import complete_task, fail
from fake_server.engine.errors import (
    BadRequestError,
    MalformedRequestError,
    NotFoundError,
    ValidationError,
    constraint_violations,
)
from fake_server.engine.models import RESULT_STATUSES, Task
from fake_server.engine.payloads import oversized_task_payload
from fake_server.engine.state import EngineState
from fake_server.engine.tasks import SYSTEM_TASKS
from fake_server.engine.timeouts import watch_response_timeout
from fake_server.engine.validation import Fields

MAX_REASON_LENGTH = 500
MAX_LOGS_PER_UPDATE = 10


def apply_result(state: EngineState, result: Any, text_size: int | None = None) -> Task | None:
    """Apply a TaskResult as Conductor's WorkflowExecutorOps.updateTask does; returns the task
    it was for, or None for ``extendLease`` (which only restarts the response timeout).

    Checks come in Conductor's order: the body is read (a wrong type or an unknown status is a
    500 there), the ids are validated (400), then looked up (404); an update of an ended task or
    workflow changes nothing, whatever its status; only then does a missing status fail (500).
    ``text_size``, when known, is the size in bytes of the JSON text ``result`` was read from
    (see :func:`.payloads.oversized_task_payload`)."""
    f = Fields(result, "TaskResult")
    workflow_id = f.string("workflowInstanceId")
    task_id = f.string("taskId")
    extend_lease = f.boolean("extendLease")
    status = f.choice("status", RESULT_STATUSES)
    # A TaskResult starts with an empty output map: no outputData means {}, not "unchanged".
    output = f.obj("outputData") or {}
    reason = f.string("reasonForIncompletion")
    # No constraint on Conductor's side: a negative callback is stored and counts as none.
    callback_seconds = f.integer("callbackAfterSeconds", default=0)
    worker_id = f.string("workerId")
    entries = f.items("logs")
    logs = [_parse_log(state, entry, i, task_id) for i, entry in enumerate(entries)]
    check_ids(workflow_id, task_id)

    if extend_lease:
        task = state.task(task_id)
        if not task.is_terminal:
            task.update_time = state.now_ms()
            watch_response_timeout(state, task)
        return None
    task = _task_of_workflow(state, workflow_id, task_id)
    workflow = state.workflows.get(workflow_id)
    if task.is_terminal or (workflow is not None and workflow.is_terminal):
        return task  # a late or repeated update changes nothing
    if status is None:
        raise _missing_status()
    now = state.now_ms()
    # Conductor indexes the first taskExecLogSizeLimit (10) logs of one update.
    if logs:  # most updates bring none: no new list then
        task.logs = task.logs + logs[:MAX_LOGS_PER_UPDATE]
    task.update_time = now
    # Every field is taken from the result, absent ones included (they clear the old value).
    task.worker_id = worker_id
    task.reason_for_incompletion = None if reason is None else reason[:MAX_REASON_LENGTH]
    task.callback_after_seconds = callback_seconds
    task.output_data = output
    oversized = oversized_task_payload(task, task.output_data, text_size)
    if oversized is not None:
        task.output_data = {}
        fail(state, task, "FAILED_WITH_TERMINAL_ERROR", oversized)
    elif status == "IN_PROGRESS":
        if task.task_type in SYSTEM_TASKS:
            # A system task (WAIT, HUMAN, ...) updated from outside stays where it is.
            state.set_status(task, "IN_PROGRESS")
        else:
            state.requeue(task, now + max(callback_seconds, 0) * 1000)
    elif status == "COMPLETED":
        complete_task(state, task)
    else:
        fail(state, task, status)
    return task


def check_ids(workflow_id: str | None, task_id: str | None) -> None:
    """TaskResult's two @NotEmpty ids, checked together as Conductor's validation does."""
    if workflow_id and task_id:
        return  # every update but a broken one: no list of errors to build
    errors = [
        ValidationError(f"TaskResult.{field}", message, value)
        for field, value, message in (
            ("workflowInstanceId", workflow_id, "Workflow Id cannot be null or empty"),
            ("taskId", task_id, "Task ID cannot be null or empty"),
        )
        if not value
    ]
    if errors:
        raise constraint_violations(errors)


def invalid_body_of_update_v2(error: BadRequestError) -> MalformedRequestError:
    """update-v2's controller validates its body itself (``@Valid``): Spring's
    MethodArgumentNotValidException, which Conductor's exception mapper answers with 500."""
    fields = " ".join(
        f"[Field error in object 'taskResult' on field '{e.path.rpartition('.')[2]}': "
        f"rejected value [{'null' if e.invalid_value is None else e.invalid_value}]; "
        f"default message [{e.message}]]"
        for e in error.errors
    )
    count = f" with {len(error.errors)} errors" if len(error.errors) > 1 else ""
    return MalformedRequestError(
        error.message,
        error.errors,
        conductor_message=(
            "Validation failed for argument [0] in public org.springframework.http."
            "ResponseEntity<com.netflix.conductor.common.metadata.tasks.Task> com.netflix."
            "conductor.rest.controllers.TaskResource.updateTaskV2(com.netflix.conductor.common."
            f"metadata.tasks.TaskResult){count}: {fields}"
        ),
    )


def _missing_status() -> MalformedRequestError:
    """Conductor reads a missing status as null and fails on it (a NullPointerException)."""
    allowed = ", ".join(RESULT_STATUSES)
    return MalformedRequestError(
        f"TaskResult.status: is required, one of {allowed}",
        [ValidationError("TaskResult.status", f"is required, one of {allowed}")],
        conductor_message=(
            'Cannot invoke "com.netflix.conductor.common.metadata.tasks.TaskResult$Status.name()"'
            ' because the return value of "com.netflix.conductor.common.metadata.tasks.'
            'TaskResult.getStatus()" is null'
        ),
    )


def _parse_log(state: EngineState, entry: Any, index: int, task_id: str) -> dict[str, Any]:
    f = Fields(entry, f"TaskResult.logs[{index}]")
    return {
        "log": f.string("log", default=""),
        "taskId": task_id,
        "createdTime": f.integer("createdTime", default=state.now_ms()),
    }


def _task_of_workflow(state: EngineState, workflow_id: str, task_id: str) -> Task:
    task = state.tasks.get(task_id)
    is_adhoc = task is not None and task.workflow_type is None
    if workflow_id not in state.workflows and not (
        is_adhoc and task is not None and task.workflow_instance_id == workflow_id
    ):
        raise NotFoundError(f"No such workflow found by id: {workflow_id}")
    if task is None or task.workflow_instance_id != workflow_id:
        raise NotFoundError(f"No such task found by id: {task_id}")
    return task
