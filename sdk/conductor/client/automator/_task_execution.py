"""Running one task through a worker and turning whatever happens into a ``TaskResult``.

Nothing a worker does here escapes as an exception: an exception becomes ``FAILED`` (reason
``ExcType: message``, traceback in the task's logs), ``NonRetryableException`` becomes
``FAILED_WITH_TERMINAL_ERROR``, and ``output_data`` that is not a dict becomes ``FAILED``.
What the worker added through its task context (log lines, output, callback) is added to the
result. Output that JSON cannot carry is found where the result is encoded, once, to be sent:
the clients' ``deliver`` reports it ``FAILED``, naming the offending type
(``conductor.client.http._encoding``).
"""

from __future__ import annotations

import inspect
import logging
import threading

from conductor.client.context.task_context import TaskContext, running_task
from conductor.client.http.models.task import Task
from conductor.client.http.models.task_result import TaskResult
from conductor.client.http.models.task_result_status import TaskResultStatus
from conductor.client.worker._failure import failed_result
from conductor.client.worker._results import as_task_result
from conductor.client.worker.worker import Worker
from conductor.client.worker.worker_interface import WorkerInterface

logger = logging.getLogger(__name__)


def execute_task(worker: WorkerInterface, task: Task, worker_id: str) -> TaskResult:
    """Runs ``task`` through ``worker`` and returns the result to report, never raising."""
    return run_task(worker, task, worker_id)[0]


def run_task(
    worker: WorkerInterface, task: Task, worker_id: str
) -> tuple[TaskResult, BaseException | None]:
    """``execute_task``, also telling which exception failed the task (``None``: none did)."""
    with running_task(task) as context:
        try:
            result = as_task_result(task, worker.execute(task), worker_id)
        except BaseException as error:  # a worker must never take its process down
            if isinstance(error, (KeyboardInterrupt, SystemExit)) and _is_main_thread():
                raise
            result = failed_result(task, worker_id, error)
        return _finished(worker, task, result, context), context.error


async def run_task_async(
    worker: WorkerInterface, task: Task, worker_id: str
) -> tuple[TaskResult, BaseException | None]:
    """``run_task`` for an async worker, on the running event loop."""
    with running_task(task) as context:
        try:
            if isinstance(worker, Worker):
                returned = await worker.call_function_async(task)
            else:
                returned = worker.execute(task)
                if inspect.isawaitable(returned):
                    returned = await returned
            result = as_task_result(task, returned, worker_id)
        except Exception as error:  # a worker must never take its process down
            result = failed_result(task, worker_id, error)
        return _finished(worker, task, result, context), context.error


def _finished(
    worker: WorkerInterface, task: Task, result: TaskResult, context: TaskContext
) -> TaskResult:
    """Adds what the worker put in the task's context, and fails a result whose output is not
    a dict."""
    context.apply_to(result)
    if not isinstance(result.output_data, dict):
        problem = f"output_data must be a dict, not {type(result.output_data).__name__}"
        logger.error("Task %s (%s): %s", task.task_id, worker.get_task_definition_name(), problem)
        result.status = TaskResultStatus.FAILED
        result.reason_for_incompletion = problem
        result.output_data = {}
    return result


def _is_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()
