"""How a task that raised is told: one log record, and the same text in the task's logs.

The record's first line names the task, the exception type and its message; the traceback
attached to it starts at the worker's own code: the SDK frames that called the worker
(runner, ``Worker.execute``, argument binding) are left out, since they are the same for every
failure and say nothing about this one. Frames of SDK code that the worker itself called stay.
"""

from __future__ import annotations

import logging
import os
import traceback
from types import TracebackType

import conductor.client
from conductor.client.context.task_context import current_context
from conductor.client.http.models.task import Task
from conductor.client.http.models.task_exec_log import TaskExecLog
from conductor.client.http.models.task_result import TaskResult
from conductor.client.http.models.task_result_status import TaskResultStatus
from conductor.client.worker.exception import NonRetryableException

logger = logging.getLogger(__name__)

_SDK_DIR = os.path.dirname(os.path.abspath(conductor.client.__file__)) + os.sep


def is_sdk_frame(tb: TracebackType) -> bool:
    return tb.tb_frame.f_code.co_filename.startswith(_SDK_DIR)


def worker_traceback(error: BaseException) -> TracebackType | None:
    """``error``'s traceback from the first frame outside the SDK on (``None`` if none)."""
    tb = error.__traceback__
    while tb is not None and is_sdk_frame(tb):
        tb = tb.tb_next
    return tb


def failure_text(error: BaseException) -> str:
    """The traceback text of ``error`` as the task's logs get it (SDK callers left out)."""
    lines = traceback.format_exception(type(error), error, worker_traceback(error))
    return "".join(lines).rstrip("\n")


def failure_reason(error: BaseException) -> str:
    """``ExcType: message`` (or only the type when there is no message)."""
    message = str(error)
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def log_failure(
    logger: logging.Logger, task_id: str | None, task_type: str | None, error: BaseException
) -> None:
    """One record at ERROR: the task, the exception, and the worker's part of the traceback."""
    logger.error(
        "Task %s (%s) failed: %s",
        task_id,
        task_type,
        failure_reason(error),
        exc_info=(type(error), error, worker_traceback(error)),
    )


def failed_result(task: Task, worker_id: str | None, error: BaseException) -> TaskResult:
    """The result that reports ``error``: ``FAILED`` (``NonRetryableException``:
    ``FAILED_WITH_TERMINAL_ERROR``), the reason, and the traceback in the task's logs.

    Logs the one record of the failure, and tells the running task's context (if any) which
    exception ended it, for event listeners and metrics.
    """
    log_failure(logger, task.task_id, task.task_def_name or task.task_type, error)
    context = current_context()
    if context is not None and context.task is task:
        context.error = error
    terminal = isinstance(error, NonRetryableException)
    result = TaskResult(
        task_id=task.task_id,
        workflow_instance_id=task.workflow_instance_id,
        worker_id=worker_id,
        status=(
            TaskResultStatus.FAILED_WITH_TERMINAL_ERROR if terminal else TaskResultStatus.FAILED
        ),
        reason_for_incompletion=failure_reason(error),
    )
    result.logs.append(TaskExecLog.now(failure_text(error), task.task_id))
    return result
