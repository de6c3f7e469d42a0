"""A worker made of a plain function: ``Worker(task_definition_name, execute_function)``.

What the function receives is decided once from its signature (``calling``): the ``Task`` for
a lone parameter annotated ``Task`` or ``object`` or not annotated; otherwise each parameter
gets the input of its name, converted to its annotation (dataclasses included); a lone
parameter annotated ``dict`` whose name is not an input key gets the whole ``input_data``.

What it returns becomes the result as ``results`` describes: a ``TaskResult`` as it is, a
``TaskInProgress`` as ``IN_PROGRESS``, a dict or a dataclass as the output, anything else as
``{"result": value}``. ``async def`` functions are run to completion in the worker's thread.

``execute`` never raises: an exception becomes a ``FAILED`` result (``NonRetryableException``:
``FAILED_WITH_TERMINAL_ERROR``), so a unit test can call ``worker.execute(task)`` directly.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable, Sequence
from typing import Any

from conductor.client.context.task_context import running_task
from conductor.client.http.models.task import Task
from conductor.client.http.models.task_def import TaskDef
from conductor.client.http.models.task_result import TaskResult
from conductor.client.worker._calling import CallPlan, plan_call
from conductor.client.worker._failure import failed_result
from conductor.client.worker._results import as_task_result
from conductor.client.worker.worker_interface import WorkerInterface

ExecuteTaskFunction = Callable[..., Any]


class Worker(WorkerInterface):
    """A worker that runs ``execute_function`` for each task (see the module doc).

    Arguments (in conductor-python's order, so positional calls work as there):
        task_definition_name: the task type to poll for (or a list of task types).
        execute_function: the function; it must be defined at module top level to run under
            the ``spawn`` and ``forkserver`` start methods (it is sent by reference).
        poll_interval: milliseconds between polls that come back empty at once.
        domain, worker_id, thread_count: as for ``WorkerInterface``.
        register_task_def: register the task definition when the worker starts
            (``task_def_template`` for its settings, ``register_schema`` to include JSON
            schemas of the function's input and output, ``strict_schema`` to refuse other
            keys, ``overwrite_task_def`` to replace an existing definition).
        poll_timeout: how long the server may hold an idle poll, in milliseconds.
        lease_extend_enabled, paused: see ``worker_config``.
    """

    def __init__(
        self,
        task_definition_name: str | Sequence[str],
        execute_function: ExecuteTaskFunction,
        poll_interval: float | None = None,
        domain: str | None = None,
        worker_id: str | None = None,
        thread_count: int | None = None,
        register_task_def: bool | None = None,
        poll_timeout: int | None = None,
        lease_extend_enabled: bool | None = None,
        paused: bool | None = None,
        task_def_template: TaskDef | None = None,
        overwrite_task_def: bool | None = None,
        strict_schema: bool | None = None,
        register_schema: bool | None = None,
    ) -> None:
        super().__init__(
            task_definition_name,
            poll_interval=poll_interval,
            domain=domain,
            worker_id=worker_id,
            thread_count=thread_count,
            paused=paused,
            poll_timeout=poll_timeout,
            register_task_def=register_task_def,
            overwrite_task_def=overwrite_task_def,
            strict_schema=strict_schema,
            register_schema=register_schema,
            lease_extend_enabled=lease_extend_enabled,
        )
        if not callable(execute_function):
            raise TypeError(
                f"Worker({self.describe_name()}): execute_function must be callable, "
                f"not {type(execute_function).__name__}"
            )
        if task_def_template is not None and not isinstance(task_def_template, TaskDef):
            raise TypeError(
                f"Worker({self.describe_name()}): task_def_template must be a TaskDef, "
                f"not {type(task_def_template).__name__}"
            )
        self._calling: CallPlan | None = None
        self.execute_function = execute_function
        self.task_def_template = task_def_template

    @property
    def execute_function(self) -> ExecuteTaskFunction:
        return self._execute_function

    @execute_function.setter
    def execute_function(self, function: ExecuteTaskFunction) -> None:
        self._execute_function = function
        self._calling = None  # worked out again for the new function

    def execute(self, task: Task) -> TaskResult:
        """Runs the function for ``task`` and returns the result to report; never raises
        (``KeyboardInterrupt`` and ``SystemExit`` in the main thread aside)."""
        worker_id = self.get_identity()
        with running_task(task) as context:
            try:
                result = as_task_result(task, self.call_function(task), worker_id)
            except BaseException as error:  # a worker must never take its process down
                if isinstance(error, (KeyboardInterrupt, SystemExit)) and _in_main_thread():
                    raise
                result = failed_result(task, worker_id, error)
            context.apply_to(result)
        return result

    def call_function(self, task: Task) -> Any:
        """Calls the function with what its signature asks for; awaits a coroutine's result."""
        returned = self.calling.call(self.execute_function, task)
        if inspect.isawaitable(returned):
            returned = run_awaitable(returned)
        return returned

    async def call_function_async(self, task: Task) -> Any:
        """``call_function`` for the event loop of an async worker: a coroutine is awaited on
        the running loop."""
        returned = self.calling.call(self.execute_function, task)
        if inspect.isawaitable(returned):
            returned = await returned
        return returned

    @property
    def calling(self) -> CallPlan:
        """How the function is called (``calling.describe()`` says it in one line)."""
        if self._calling is None:
            self._calling = plan_call(self.execute_function)
        return self._calling

    def describe_call(self) -> str:
        """How the function is called, e.g. ``greet(name) <- input["name"]``."""
        return self.calling.describe()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_calling"] = None  # recomputed where the worker runs
        return state

    def __repr__(self) -> str:
        name = getattr(self.execute_function, "__qualname__", repr(self.execute_function))
        domain = f", domain={self.domain!r}" if self.domain else ""
        return f"Worker({self.task_definition_name!r}, {name}{domain})"


# -- async functions ---------------------------------------------------------------------------

_loops = threading.local()


def run_awaitable(awaitable: Any) -> Any:
    """Runs a coroutine to completion on this thread's own event loop (kept for reuse)."""
    loop = getattr(_loops, "loop", None)
    if loop is None or loop.is_closed():
        loop = _loops.loop = asyncio.new_event_loop()
    return loop.run_until_complete(awaitable)


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()
