"""The task a worker is running right now, and how a worker reports long-running work.

Inside a worker's ``execute`` (or a decorated function), ``get_task_context()`` gives the task
being executed in this thread: its ids, poll and retry counts, and ``add_log(line)`` to attach
lines to the task's execution log (they are sent with the result).

A worker whose work takes longer than one execution returns ``TaskInProgress``: the task goes
back to the server as ``IN_PROGRESS`` and is handed out again after ``callback_after_seconds``,
with ``poll_count`` one higher, so the worker can pick up where it left off::

    def wait_for_approval(order: dict) -> object:
        if not approved(order["id"]):
            return TaskInProgress(callback_after_seconds=30, output={"waiting": True})
        return {"approved": True}
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from conductor.client.http.models.task import Task


@dataclass(frozen=True)
class TaskInProgress:
    """Returned by a worker: not done yet, hand the task out again in a while.

    Arguments:
        callback_after_seconds: when the server may hand the task out again (0 = at once).
        output: output to record meanwhile (it replaces the task's previous output).
    """

    callback_after_seconds: int = 60
    output: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        seconds = self.callback_after_seconds
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
            raise ValueError(
                f"TaskInProgress: callback_after_seconds={seconds!r} must be a whole number "
                "of seconds, 0 or more"
            )
        if self.output is not None and not isinstance(self.output, dict):
            raise ValueError(
                f"TaskInProgress: output must be a dict or None, not {type(self.output).__name__}"
            )


@dataclass
class TaskContext:
    """The task being executed in the current thread (see ``get_task_context``)."""

    task: Task
    logs: list[str] = field(default_factory=list)
    error: BaseException | None = None  # what failed the task, once it has

    @property
    def task_id(self) -> str | None:
        return self.task.task_id

    @property
    def workflow_instance_id(self) -> str | None:
        return self.task.workflow_instance_id

    @property
    def poll_count(self) -> int:
        """How many times the server handed this task out (1 on the first execution)."""
        return self.task.poll_count or 0

    @property
    def retry_count(self) -> int:
        """0 on the first attempt, 1 on the first retry, and so on."""
        return self.task.retry_count or 0

    @property
    def input_data(self) -> dict[str, Any]:
        return self.task.input_data

    def add_log(self, line: str) -> None:
        """Adds a line to the task's execution log; it is sent with the task's result."""
        self.logs.append(str(line))


# A context variable, not a thread-local: the tasks of an async worker share one thread, and
# each asyncio task sees its own value.
_current: ContextVar[TaskContext | None] = ContextVar("conductor_task_context", default=None)


def get_task_context() -> TaskContext:
    """The task being executed in this thread.

    Raises ``RuntimeError`` outside a running task (for example, at import time or in a
    thread the worker started itself).
    """
    context = _current.get()
    if context is None:
        raise RuntimeError(
            "get_task_context() was called outside a running task: call it from the thread "
            "that runs the worker's execute function"
        )
    return context


def current_context() -> TaskContext | None:
    """The running task's context, or ``None`` outside a running task."""
    return _current.get()


@contextmanager
def running_task(task: Task) -> Iterator[TaskContext]:
    """Makes ``task`` the current task of this thread for the duration of the block."""
    context = TaskContext(task)
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)
