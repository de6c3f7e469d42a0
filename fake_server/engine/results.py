"""Where a worker's TaskResult is applied (``POST /tasks`` and ``/tasks/update-v2``).

IN_PROGRESS gives the task back to its queue after ``callbackAfterSeconds``; ``extendLease``
only restarts the response timeout; COMPLETED lets the workflow go on; FAILED is retried while
retries remain; FAILED_WITH_TERMINAL_ERROR and CANCELED never are. An update of a task or
workflow that has already ended changes nothing (workers deliver at least once). An output over
10 MB fails the task for good with Conductor's message.
"""

from __future__ import annotations

import json
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
MAX_LOGS_PER_UPDATE = 10
MAX_TASK_OUTPUT_BYTES = 10240 * 1024


def apply_result(state: EngineState, result: Any) -> Task | None:
    """Apply a TaskResult as Conductor's WorkflowExecutorOps.updateTask does; returns the task
    it was for, or None for ``extendLease`` (which only restarts the response timeout)."""
    f = Fields(result, "TaskResult")
    workflow_id = f.string("workflowInstanceId", required=True)
    task_id = f.string("taskId", required=True)
    if f.boolean("extendLease"):
        task = state.task(task_id)
        if not task.is_terminal:
            task.update_time = state.now_ms()
            watch_response_timeout(state, task)
        return None
    status = f.choice("status", RESULT_STATUSES)
    if status is None:
        raise invalid("TaskResult.status", f"is required, one of {', '.join(RESULT_STATUSES)}")
    # A TaskResult starts with an empty output map: no outputData means {}, not "unchanged".
    output = f.obj("outputData") or {}
    reason = f.string("reasonForIncompletion")
    callback_seconds = f.integer("callbackAfterSeconds", default=0, minimum=0)
    worker_id = f.string("workerId")
    entries = f.items("logs")
    logs = [_parse_log(state, entry, i, task_id) for i, entry in enumerate(entries)]

    task = _task_of_workflow(state, workflow_id, task_id)
    workflow = state.workflows.get(workflow_id)
    if task.is_terminal or (workflow is not None and workflow.is_terminal):
        return task  # a late or repeated update changes nothing
    now = state.now_ms()
    # Conductor indexes the first taskExecLogSizeLimit (10) logs of one update.
    task.logs = task.logs + logs[:MAX_LOGS_PER_UPDATE]
    task.update_time = now
    # Every field is taken from the result, absent ones included (they clear the old value).
    task.worker_id = worker_id
    task.reason_for_incompletion = None if reason is None else reason[:MAX_REASON_LENGTH]
    task.callback_after_seconds = callback_seconds
    task.output_data = output
    oversized = _oversized_output(task)
    if oversized is not None:
        task.output_data = {}
        fail(state, task, "FAILED_WITH_TERMINAL_ERROR", oversized)
    elif status == "IN_PROGRESS":
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


def _oversized_output(task: Task) -> str | None:
    """Conductor's message when the output is over maxTaskOutputPayloadSizeThreshold (10 MB,
    ExternalPayloadStorageUtils.verifyAndUpload), else None."""
    if not task.output_data:
        return None
    size = len(json.dumps(task.output_data, separators=(",", ":"), ensure_ascii=False).encode())
    if size <= MAX_TASK_OUTPUT_BYTES:
        return None
    return (
        f"The payload size: {size} of task: {task.task_id} in workflow: "
        f"{task.workflow_instance_id}  is greater than the permissible limit: "
        f"{MAX_TASK_OUTPUT_BYTES} bytes"
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
