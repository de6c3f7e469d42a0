"""Where a worker's TaskResult is applied (``POST /tasks`` and ``/tasks/update-v2``).

IN_PROGRESS gives the task back to its queue after ``callbackAfterSeconds``; ``extendLease``
only restarts the response timeout; COMPLETED lets the workflow go on; FAILED is retried while
retries remain; FAILED_WITH_TERMINAL_ERROR never is. An update of a task or workflow that has
already ended changes nothing (workers deliver at least once).
"""

from __future__ import annotations

from typing import Any

from fake_server.engine.errors import NotFoundError, invalid
from fake_server.engine.models import RESULT_STATUSES, Task
from fake_server.engine.retries import fail
from fake_server.engine.state import EngineState
from fake_server.engine.tasks import SYSTEM_TASKS
from fake_server.engine.timeouts import watch_response_timeout
from fake_server.engine.validation import Fields
from fake_server.engine.workflows import complete_task

MAX_REASON_LENGTH = 500


def apply_result(state: EngineState, result: Any) -> Task:
    """Apply a TaskResult; returns the task it was for."""
    f = Fields(result, "TaskResult")
    workflow_id = f.string("workflowInstanceId", required=True)
    task_id = f.string("taskId", required=True)
    extend_lease = f.boolean("extendLease")
    status = f.choice("status", RESULT_STATUSES)
    if status is None and not extend_lease:
        raise invalid("TaskResult.status", f"is required, one of {', '.join(RESULT_STATUSES)}")
    output = f.obj("outputData")
    reason = f.string("reasonForIncompletion")
    callback_seconds = f.integer("callbackAfterSeconds", default=0, minimum=0)
    worker_id = f.string("workerId")
    logs = [_parse_log(state, entry, i, task_id) for i, entry in enumerate(f.items("logs"))]

    task = _task_of_workflow(state, workflow_id, task_id)
    workflow = state.workflows.get(workflow_id)
    if task.is_terminal or (workflow is not None and workflow.is_terminal):
        return task  # a late or repeated update changes nothing
    now = state.now_ms()
    task.logs = task.logs + logs
    task.update_time = now
    if extend_lease:
        watch_response_timeout(state, task)
        return task
    if worker_id:
        task.worker_id = worker_id
    if output is not None:
        task.output_data = output
    if reason is not None:
        task.reason_for_incompletion = reason[:MAX_REASON_LENGTH]
    if status == "IN_PROGRESS":
        task.callback_after_seconds = callback_seconds
        if task.task_type in SYSTEM_TASKS:
            # A system task (WAIT, HUMAN, ...) updated from outside stays where it is.
            state.set_status(task, "IN_PROGRESS")
        else:
            state.requeue(task, now + callback_seconds * 1000)
    elif status == "COMPLETED":
        complete_task(state, task)
    else:
        fail(state, task, status)
    return task


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
