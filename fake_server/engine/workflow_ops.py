"""Operations a worker author uses to re-drive a workflow, as Conductor's WorkflowExecutorOps
does them: retry from the failed tasks, restart (optionally with the latest definition), rerun
from a task, pause and resume, skip a task, reset callbacks, remove.

Each works on the engine's state under its lock and hands the workflow to the decider
(:mod:`.decider`), so system tasks take part as they do in a normal run: a retried JOIN or
DO_WHILE is reopened in place, other tasks get a new attempt.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from fake_server.engine import started_definitions, status_listener
from fake_server.engine.decider import Decider
from fake_server.engine.errors import (
    ConflictError,
    IllegalStateError,
    NotFoundError,
    illegal_argument,
)
from fake_server.engine.models import UNSUCCESSFUL_TASK_STATUSES, Task, Workflow
from fake_server.engine.scheduling import build_task, record_task, task_input
from fake_server.engine.state import EngineState
from fake_server.engine.tasks import SYSTEM_TASKS
from fake_server.engine.validation import Fields

log = logging.getLogger(__name__)

# Task types retried in place (same task id), as WorkflowExecutorOps.taskToBeRescheduled.
_RETRIED_IN_PLACE = ("DO_WHILE", "FORK_JOIN", "JOIN", "EXCLUSIVE_JOIN")
_RETRIABLE = ("FAILED", "FAILED_WITH_TERMINAL_ERROR", "TIMED_OUT")


def describe(workflow: Workflow) -> str:
    """How Conductor names a workflow in its messages."""
    return f"{workflow.definition.name}.{workflow.definition.version}/{workflow.workflow_id}"


# ------------------------------------------------------------------ retry
def retry(state: EngineState, workflow_id: str, resume_subworkflow_tasks: bool = False) -> None:
    """Retry an ended workflow from its unsuccessful tasks (the last attempt of each reference
    name that did not succeed later): each gets a new attempt (retryCount + 1), the workflow
    runs again, its timeout counting from now.

    With ``resume_subworkflow_tasks``, when the first unsuccessful task is a SUB_WORKFLOW (or a
    DO_WHILE around one), the deepest failed sub-workflow under it is retried instead, in place,
    and its parents follow it (WorkflowExecutorOps.findLastFailedSubWorkflowIfAny); a workflow
    without an unsuccessful task is left as it is."""
    workflow = state.workflow(workflow_id)
    if not workflow.is_terminal:
        raise NotFoundError(f"Workflow is still running.  status={workflow.status}")
    tasks = _tasks(state, workflow)
    if not tasks:
        raise ConflictError("Workflow has not started yet")
    if resume_subworkflow_tasks:
        first_failed = next((t for t in tasks if t.status in UNSUCCESSFUL_TASK_STATUSES), None)
        if first_failed is None:
            return
        workflow = _last_failed_sub_workflow(state, first_failed, workflow)
    _retry(state, workflow)
    status_listener.notify(state, workflow, "retried")


def _last_failed_sub_workflow(state: EngineState, task: Task, workflow: Workflow) -> Workflow:
    """The workflow to retry for a failed ``task`` of ``workflow``: down through failed
    SUB_WORKFLOW tasks (a DO_WHILE's too) to the deepest failed sub-workflow."""
    if task.task_type == "SUB_WORKFLOW" and task.sub_workflow_id in state.workflows:
        child = state.workflows[task.sub_workflow_id]
        failed = next(
            (t for t in _tasks(state, child) if t.status in UNSUCCESSFUL_TASK_STATUSES), None
        )
        return workflow if failed is None else _last_failed_sub_workflow(state, failed, child)
    if task.task_type == "DO_WHILE":
        failed_sub = next(
            (
                t
                for t in _tasks(state, workflow)
                if t.task_type == "SUB_WORKFLOW" and t.status in UNSUCCESSFUL_TASK_STATUSES
            ),
            None,
        )
        if failed_sub is not None:
            return _last_failed_sub_workflow(state, failed_sub, workflow)
    return workflow


def _retry(state: EngineState, workflow: Workflow) -> None:
    tasks = _tasks(state, workflow)
    workflow_id = workflow.workflow_id
    to_retry: dict[str, Task] = {}
    reopened: list[Task] = []
    for task in tasks:
        if task.status in _RETRIABLE:
            to_retry[task.reference_task_name] = task
        elif task.status == "CANCELED" and task.task_type in ("JOIN", "DO_WHILE"):
            reopened.append(task)
        elif task.status == "CANCELED":
            to_retry[task.reference_task_name] = task
        else:
            to_retry.pop(task.reference_task_name, None)
    if not to_retry and workflow.status != "TIMED_OUT":
        raise ConflictError(
            "There are no retryable tasks! Use restart if you want to attempt entire workflow "
            "execution again."
        )
    _run_again(state, workflow)
    workflow.last_retried_time = state.now_ms()
    for task in reopened:
        state.set_status(task, "IN_PROGRESS")
    attempts = []
    for task in sorted(to_retry.values(), key=lambda t: t.seq):
        if task.task_type in _RETRIED_IN_PLACE:
            task.retried = False
            task.retry_count += 1
            state.set_status(task, "IN_PROGRESS")
        else:
            attempts.append(_new_attempt(state, workflow, task))
    log.info("workflow %s retried", workflow_id)
    decider = Decider(state)
    decider.schedule(workflow, attempts)
    decider.decide(workflow)
    _take_parents_along(state, workflow, "retried")


def _new_attempt(state: EngineState, workflow: Workflow, task: Task) -> Task:
    """A copy of ``task`` to run again: new id, retryCount + 1, no worker, no reason, its input
    evaluated again over the workflow as it is now."""
    attempt = build_task(
        state,
        task.task_type,
        task.task_def,
        workflow_instance_id=workflow.workflow_id,
        workflow=workflow,
        workflow_task=task.workflow_task_def,
        reference_task_name=task.reference_task_name,
        input_data=dict(task.input_data),
        domain=task.domain,
        now=state.now_ms(),
        task_def_name=task.task_def_name,
    )
    attempt.iteration = task.iteration
    attempt.retry_count = task.retry_count + 1
    attempt.retried_task_id = task.task_id
    if task.workflow_task_def is not None:
        parameters = task.workflow_task_def.input_parameters
        attempt.input_data.update(
            task_input(state, workflow, parameters, task.task_def, attempt.task_id)
        )
    task.retried = True
    task.executed = True
    return attempt


# ------------------------------------------------------------------ restart and rerun
def restart(state: EngineState, workflow_id: str, use_latest_definitions: bool = False) -> None:
    """Run an ended workflow again from its first task, with the same id and input; with
    ``use_latest_definitions`` on the latest version of its definition."""
    workflow = state.workflow(workflow_id)
    if not workflow.is_terminal:
        raise ConflictError(
            f"Workflow: {describe(workflow)} is not in terminal state, unable to restart."
        )
    if use_latest_definitions:
        versions = state.workflow_defs.get(workflow.definition.name)
        if not versions:
            raise NotFoundError(f"Unable to find latest definition for {workflow_id}")
        workflow.definition = started_definitions.populate(state, versions[max(versions)])
    if not workflow.definition.restartable and workflow.status == "COMPLETED":
        raise NotFoundError(f"Workflow: {describe(workflow)} is non-restartable")
    _remove_tasks(state, workflow, list(workflow.task_ids))
    _run_again(state, workflow)
    workflow.create_time = state.now_ms()
    workflow.last_retried_time = 0
    workflow.output = {}
    log.info("workflow %s restarted", workflow_id)
    status_listener.notify(state, workflow, "restarted")
    Decider(state).begin(workflow)
    _take_parents_along(state, workflow, "restarted")


def rerun(state: EngineState, workflow_id: str, request: Any) -> str:
    """Run an ended workflow again from one of its tasks (``reRunFromTaskId``; the whole
    workflow when absent): later tasks are dropped, that task runs again (with
    ``taskInput`` when given); ``workflowInput`` and ``correlationId`` replace the workflow's."""
    f = Fields(request, "RerunWorkflowRequest")
    task_id = f.string("reRunFromTaskId")
    workflow_input = f.obj("workflowInput")
    task_input = f.obj("taskInput")
    correlation_id = f.string("correlationId")
    workflow = state.workflow(workflow_id)
    if not workflow.is_terminal:
        raise ConflictError(
            f"Workflow: {describe(workflow)} is not in terminal state, unable to rerun."
        )
    start_task = None
    if task_id is not None:
        start_task = next((t for t in _tasks(state, workflow) if t.task_id == task_id), None)
        if start_task is None:
            child = _child_holding(state, workflow, task_id)
            if child is None:
                raise illegal_argument(f"Task {task_id} not found")
            # WorkflowExecutorOps.rerunWF looks into sub-workflows: the child reruns from the
            # task and takes this workflow along (its SUB_WORKFLOW task follows the child).
            rerun(state, child.workflow_id, {"reRunFromTaskId": task_id, "taskInput": task_input})
            _replace_request_fields(workflow, correlation_id, workflow_input)
            return workflow_id
    _run_again(state, workflow)
    workflow.failed_reference_task_names = set()
    workflow.failed_task_names = set()
    _replace_request_fields(workflow, correlation_id, workflow_input)
    status_listener.notify(state, workflow, "reran")
    decider = Decider(state)
    if start_task is None:
        _remove_tasks(state, workflow, list(workflow.task_ids))
        decider.begin(workflow)
        _take_parents_along(state, workflow, "reran")
        return workflow_id
    later = [t.task_id for t in _tasks(state, workflow) if t.seq > start_task.seq]
    _remove_tasks(state, workflow, later)
    _reset(state, start_task, task_input)
    handler = SYSTEM_TASKS.get(start_task.task_type)
    if handler is None:
        state.enqueue(start_task, start_task.scheduled_time)
    else:
        handler.start(decider, workflow, start_task)
    # WorkflowExecutorOps.finalizeRerun: what ended without success and stays (a fork
    # sibling canceled when the workflow failed) is set going again.
    for task in _tasks(state, workflow):
        unsuccessful = task.is_terminal and not task.is_successful
        if unsuccessful and task.reference_task_name != start_task.reference_task_name:
            _set_going_again(state, decider, workflow, task, count_as_retry=False)
    decider.decide(workflow)
    _take_parents_along(state, workflow, "reran")
    return workflow_id


def _replace_request_fields(
    workflow: Workflow, correlation_id: str | None, workflow_input: dict[str, Any] | None
) -> None:
    if correlation_id is not None:
        workflow.correlation_id = correlation_id
    if workflow_input is not None:
        workflow.input = workflow_input


def _child_holding(state: EngineState, workflow: Workflow, task_id: str) -> Workflow | None:
    """The sub-workflow of ``workflow`` (run by one of its SUB_WORKFLOW tasks) that holds the
    task ``task_id``, itself or through its own sub-workflows; None when none does."""
    for task in _tasks(state, workflow):
        child = state.workflows.get(task.sub_workflow_id or "")
        if task.task_type != "SUB_WORKFLOW" or child is None:
            continue
        holds = any(t.task_id == task_id for t in _tasks(state, child))
        if holds or _child_holding(state, child, task_id) is not None:
            return child
    return None


def _reset(state: EngineState, task: Task, task_input: dict[str, Any] | None) -> None:
    """A task about to run again where it stands (same id)."""
    state.set_status(task, "SCHEDULED")
    task.scheduled_time = state.now_ms()
    task.start_time = task.end_time = task.update_time = 0
    task.output_data = {}
    task.retried = task.executed = False
    task.poll_count = 0
    task.reason_for_incompletion = None
    task.worker_id = None
    if task_input is not None:
        task.input_data = copy.deepcopy(task_input)


# ------------------------------------------------------------------ pause, resume, skip
def pause(state: EngineState, workflow_id: str) -> None:
    """Stop scheduling further tasks; tasks already queued or running go on."""
    workflow = state.workflow(workflow_id)
    if workflow.is_terminal:
        raise ConflictError(f"Workflow {describe(workflow)} has ended, status cannot be updated.")
    workflow.status = "PAUSED"
    workflow.update_time = state.now_ms()
    status_listener.notify(state, workflow, "paused")


def resume(state: EngineState, workflow_id: str) -> None:
    workflow = state.workflow(workflow_id)
    if workflow.status != "PAUSED":
        raise IllegalStateError(
            f"The workflow {workflow_id} is not PAUSED so cannot resume. Current status is "
            f"{workflow.status}"
        )
    workflow.status = "RUNNING"
    workflow.last_retried_time = workflow.update_time = state.now_ms()
    _watch_timeout(state, workflow)
    status_listener.notify(state, workflow, "resumed")
    Decider(state).decide(workflow)


def skip_task(state: EngineState, workflow_id: str, reference_name: str, request: Any) -> None:
    """Mark a task of the definition that has not run yet SKIPPED (with the request's
    ``taskInput`` and ``taskOutput``): the workflow passes over it."""
    f = Fields(request if request is not None else {}, "SkipTaskRequest")
    workflow = state.workflow(workflow_id)
    if workflow.status != "RUNNING":
        raise IllegalStateError(
            f"The workflow {workflow_id} is not running so the task referenced by "
            f"{reference_name} cannot be skipped"
        )
    workflow_task = workflow.definition.find(reference_name)
    if workflow_task is None:
        raise IllegalStateError(
            f"The task referenced by {reference_name} does not exist in the WorkflowDefinition "
            f"{workflow.definition.name}"
        )
    if any(t.reference_task_name == reference_name for t in _tasks(state, workflow)):
        raise IllegalStateError(
            f"The task referenced {reference_name} has already been processed, cannot be skipped"
        )
    now = state.now_ms()
    skipped = build_task(
        state,
        workflow_task.name,
        state.task_def(workflow_task.name),
        workflow_instance_id=workflow_id,
        workflow=workflow,
        workflow_task=workflow_task,
        reference_task_name=reference_name,
        input_data=f.obj("taskInput", default={}),
        domain=None,
        now=now,
        status="SKIPPED",
    )
    skipped.output_data = f.obj("taskOutput", default={})
    skipped.end_time = now
    skipped.executed = True  # nothing follows from it: the decider passes over it
    record_task(state, workflow, skipped)  # never queued: the decider passes over it
    Decider(state).decide(workflow)


def reset_callbacks(state: EngineState, workflow_id: str) -> None:
    """Worker tasks waiting out a callback become pollable now."""
    workflow = state.workflow(workflow_id)
    if workflow.is_terminal:
        raise ConflictError(f"Workflow is in terminal state. Status = {workflow.status}")
    now = state.now_ms()
    for task in _tasks(state, workflow):
        waiting = task.status == "SCHEDULED" and task.callback_after_seconds > 0
        if waiting and task.task_type not in SYSTEM_TASKS and task.queued:
            task.callback_after_seconds = 0
            state.dequeue(task)
            state.enqueue(task, now)


def remove(state: EngineState, workflow_id: str, archive: bool = True) -> None:
    """Forget a workflow and its tasks (its queued tasks leave their queues), as
    ExecutionDAOFacade.removeWorkflow does. Archived (the default there), the workflow must
    have ended, and its last state stays readable by id and found by search (Conductor keeps
    it in its index); otherwise it is gone."""
    workflow = state.workflow(workflow_id)
    if archive and not workflow.is_terminal:
        raise illegal_argument(
            f"Cannot archive workflow: {workflow_id} with status: {workflow.status}"
        )
    tasks = _tasks(state, workflow)
    _remove_tasks(state, workflow, list(workflow.task_ids))
    del state.workflows[workflow_id]
    if archive:
        state.archived[workflow_id] = (workflow, tasks)


# ------------------------------------------------------------------ sub-workflows
def _take_parents_along(state: EngineState, workflow: Workflow, operation: str) -> None:
    """A sub-workflow running again takes its parents along (Conductor's
    updateAndPushParents): each parent's SUB_WORKFLOW task follows the child again
    (IN_PROGRESS), the parent runs again, and what its end canceled is set going once more
    (a JOIN or DO_WHILE reopened, other tasks scheduled again). It stops at an optional
    SUB_WORKFLOW task, and at one that a retry has already replaced."""
    child = workflow
    decider = Decider(state)
    while child.parent_workflow_id:
        parent = state.workflows.get(child.parent_workflow_id)
        task = state.tasks.get(child.parent_workflow_task_id or "")
        if parent is None or task is None or task.retried:
            return
        if task.workflow_task_def is not None and task.workflow_task_def.optional:
            return
        state.set_status(task, "IN_PROGRESS")
        task.reason_for_incompletion = None
        task.end_time = 0
        task.executed = False
        task.logs = [
            *task.logs,
            {
                "log": f"Sub workflow {describe(child)} {operation}.",
                "taskId": task.task_id,
                "createdTime": state.now_ms(),
            },
        ]
        was_ended = parent.is_terminal
        _run_again(state, parent)
        parent.last_retried_time = state.now_ms()
        parent.failed_reference_task_names = set()
        parent.failed_task_names = set()
        if was_ended:
            for sibling in _tasks(state, parent):
                if sibling is not task and sibling.status == "CANCELED":
                    _set_going_again(state, decider, parent, sibling)
        decider.decide(parent)
        child = parent


def _set_going_again(
    state: EngineState,
    decider: Decider,
    parent: Workflow,
    task: Task,
    *,
    count_as_retry: bool = True,
) -> None:
    """A task canceled when its workflow ended runs again (same task, one more try unless a
    rerun sets it going)."""
    if task.task_type in ("JOIN", "DO_WHILE"):
        state.set_status(task, "IN_PROGRESS")
        task.end_time = 0
        return
    if task.task_type == "SUB_WORKFLOW":
        task.sub_workflow_id = None
        task.output_data = {k: v for k, v in task.output_data.items() if k != "subWorkflowId"}
    if count_as_retry:
        task.retry_count += 1
    task.reason_for_incompletion = None
    task.poll_count = 0
    task.worker_id = None
    task.scheduled_time = state.now_ms()
    task.start_time = task.end_time = 0
    task.retried = task.executed = False
    state.set_status(task, "SCHEDULED")
    handler = SYSTEM_TASKS.get(task.task_type)
    if handler is None:
        state.enqueue(task, task.scheduled_time)
    else:
        handler.start(decider, parent, task)


# ------------------------------------------------------------------ helpers
def _tasks(state: EngineState, workflow: Workflow) -> list[Task]:
    return [state.tasks[task_id] for task_id in workflow.task_ids]


def _run_again(state: EngineState, workflow: Workflow) -> None:
    workflow.status = "RUNNING"
    workflow.reason_for_incompletion = None
    workflow.failed_task_id = None
    workflow.end_time = 0
    workflow.update_time = state.now_ms()
    _watch_timeout(state, workflow)


def _watch_timeout(state: EngineState, workflow: Workflow) -> None:
    if workflow.definition.timeout_seconds:
        due = state.now_ms() + workflow.definition.timeout_seconds * 1000
        state.watch(due, "workflow", workflow.workflow_id)


def _remove_tasks(state: EngineState, workflow: Workflow, task_ids: list[str]) -> None:
    for task_id in task_ids:
        state.forget_task(state.tasks[task_id])
    workflow.tasks.remove(task_ids)
