"""The task a worker is running right now, and how a worker reports long-running work.

Inside a worker's ``execute`` (or a decorated function), ``get_task_context()`` gives the task
being executed: its ids, input, poll and retry counts, and ways to shape the result:

- ``add_log(line)``: a line for the task's execution log (sent with the result);
- ``set_output(dict)``: output to report; what the function returns is added on top of it
  (a returned key wins);
- ``set_callback_after(seconds)``: the ``callbackAfterSeconds`` of the result. Alone it does not
  keep the task running: return ``TaskInProgress`` for that.

The context follows the running task into ``async def`` workers (it is a ``contextvars``
variable), and belongs to the thread that runs the task: a thread the worker starts itself has
none.

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
from typing import Any

from conductor.client.http.models.task import Task
from conductor.client.http.models.task_exec_log import TaskExecLog
from conductor.client.http.models.task_result import TaskResult


class TaskInProgress:
    """Returned by a worker: not done yet, hand the task out again in a while.

    Arguments:
        callback_after_seconds: when the server may hand the task out again (0 = at once).
        output: output to record meanwhile (it replaces the task's previous output).

    Both stay modifiable after construction (``in_progress.output["step"] = 2``).
    """

    def __init__(self, callback_after_seconds: int = 60, output: dict[str, Any] | None = None):
        if (
            isinstance(callback_after_seconds, bool)
            or not isinstance(callback_after_seconds, int)
            or callback_after_seconds < 0
        ):
            raise ValueError(
                f"TaskInProgress: callback_after_seconds={callback_after_seconds!r} must be a "
                "whole number of seconds, 0 or more"
            )
        if output is not None and not isinstance(output, dict):
            raise ValueError(
                f"TaskInProgress: output must be a dict or None, not {type(output).__name__}"
            )
        self.callback_after_seconds = callback_after_seconds
        self.output: dict[str, Any] = output if output is not None else {}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TaskInProgress):
            return NotImplemented
        return (self.callback_after_seconds, self.output) == (
            other.callback_after_seconds,
            other.output,
        )

    def __repr__(self) -> str:
        return (
            f"TaskInProgress(callback_after_seconds={self.callback_after_seconds}, "
            f"output={self.output!r})"
        )


class TaskContext:
    """The task being executed (see ``get_task_context``), and what the worker added to its
    result so far (``task_result``: logs, output, callback)."""

    def __init__(self, task: Task, task_result: TaskResult | None = None) -> None:
        self.task = task
        self._result = task_result  # made when the worker first adds something
        self._output_set = False
        self._nesting = 0
        self.error: BaseException | None = None  # what failed the task, once it has

    @property
    def task_result(self) -> TaskResult:
        """What the worker added to the result so far (logs, output, callback)."""
        if self._result is None:
            self._result = TaskResult(
                task_id=self.task.task_id, workflow_instance_id=self.task.workflow_instance_id
            )
        return self._result

    # -- what the task is --------------------------------------------------------------------

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

    @property
    def logs(self) -> list[str]:
        """The lines added with ``add_log`` so far."""
        return [str(entry.log) for entry in self._result.logs] if self._result else []

    # conductor-python's getters
    def get_task_id(self) -> str | None:
        return self.task_id

    def get_workflow_instance_id(self) -> str | None:
        return self.workflow_instance_id

    def get_retry_count(self) -> int:
        return self.retry_count

    def get_poll_count(self) -> int:
        return self.poll_count

    def get_input(self) -> dict[str, Any]:
        return self.task.input_data or {}

    def get_task_def_name(self) -> str | None:
        return self.task.task_def_name

    def get_workflow_task_type(self) -> str:
        workflow_task = self.task.workflow_task
        return str(getattr(workflow_task, "type", None) or "")

    def get_callback_after_seconds(self) -> int:
        return self._result.callback_after_seconds or 0 if self._result else 0

    # -- shaping the result ------------------------------------------------------------------

    def add_log(self, line: str) -> None:
        """Adds a line to the task's execution log; it is sent with the task's result."""
        self.task_result.logs.append(TaskExecLog.now(str(line), self.task.task_id))

    def set_output(self, output_data: dict[str, Any]) -> None:
        """Output to report; keys the function returns are added on top (and win)."""
        if not isinstance(output_data, dict):
            raise ValueError(f"set_output() takes a dict, not {type(output_data).__name__}")
        self.task_result.output_data = output_data
        self._output_set = True

    def set_callback_after(self, seconds: int) -> None:
        """The result's ``callbackAfterSeconds`` (when an ``IN_PROGRESS`` task comes back)."""
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
            raise ValueError(
                f"set_callback_after({seconds!r}): give a whole number of seconds, 0 or more"
            )
        self.task_result.callback_after_seconds = seconds

    def apply_to(self, result: TaskResult) -> None:
        """Adds what the worker put in the context to ``result``: log lines first (they were
        written before the result existed), the output set, the callback if the result has
        none. Done once, by whoever opened the context."""
        added = self._result
        if self._nesting or added is None:
            return
        if added.logs:
            result.logs[:0] = added.logs
            added.logs = []
        if self._output_set and isinstance(result.output_data, dict):
            result.output_data = {**added.output_data, **result.output_data}
            self._output_set = False
        if added.callback_after_seconds and not result.callback_after_seconds:
            result.callback_after_seconds = added.callback_after_seconds

    def __repr__(self) -> str:
        return (
            f"TaskContext(task_id={self.task_id}, workflow_id={self.workflow_instance_id}, "
            f"retry_count={self.retry_count})"
        )

    get = staticmethod(lambda: get_task_context())  # conductor-python: TaskContext.get()


# A context variable, not a thread-local: the tasks of an async worker share one thread, and
# each asyncio task sees its own value.
_current: ContextVar[TaskContext | None] = ContextVar("conductor_task_context", default=None)


def get_task_context() -> TaskContext:
    """The task being executed in this thread (or ``async`` task).

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
    """Makes ``task`` the current task for the duration of the block.

    Opened again for the same task inside the block (the runner around ``Worker.execute``),
    it yields the same context, and only the outermost block's ``apply_to`` acts.
    """
    current = _current.get()
    if current is not None and current.task is task:
        current._nesting += 1
        try:
            yield current
        finally:
            current._nesting -= 1
        return
    context = TaskContext(task)
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)
