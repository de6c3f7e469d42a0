"""A worker made of a plain function: ``Worker(task_definition_name, execute_function)``.

What the function receives:

- a single parameter annotated ``Task``: the ``Task`` itself;
- a single other parameter: the task's ``input_data`` (a dict);
- several parameters, or keyword-only ones: the input values of the same names, as keyword
  arguments (defaults apply to missing inputs; a parameter annotated ``Task`` gets the Task;
  ``**kwargs`` gets the remaining inputs). A missing input without a default fails the task
  with a reason that names it;
- no parameter: nothing.

What it returns: a ``TaskResult`` is reported as it is (missing ids are filled in); a
``TaskInProgress`` reports ``IN_PROGRESS``; a dict becomes the output; ``None`` an empty
output; any other value the output ``{"result": value}``. ``async def`` functions are run to
completion in the worker's thread.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from conductor.client.context.task_context import TaskInProgress
from conductor.client.http.models.task import Task
from conductor.client.http.models.task_result import TaskResult
from conductor.client.http.models.task_result_status import TaskResultStatus
from conductor.client.worker.worker_interface import WorkerInterface

ExecuteTaskFunction = Callable[..., Any]


class MissingInputError(ValueError):
    """A function worker's required parameter has no input of that name."""


class Worker(WorkerInterface):
    """A worker that runs ``execute_function`` for each task (see the module doc for the rules).

    Arguments:
        task_definition_name: the task type to poll for.
        execute_function: the function; it must be defined at module top level to run under
            the ``spawn`` and ``forkserver`` start methods (it is sent by reference).
        poll_interval: milliseconds between polls that come back empty at once.
        domain, worker_id, thread_count: as for ``WorkerInterface``.
    """

    def __init__(
        self,
        task_definition_name: str,
        execute_function: ExecuteTaskFunction,
        poll_interval: float | None = None,
        domain: str | None = None,
        worker_id: str | None = None,
        thread_count: int = 1,
    ) -> None:
        super().__init__(
            task_definition_name,
            poll_interval=poll_interval,
            domain=domain,
            worker_id=worker_id,
            thread_count=thread_count,
        )
        if not callable(execute_function):
            raise TypeError(
                f"Worker({task_definition_name!r}): execute_function must be callable, "
                f"not {type(execute_function).__name__}"
            )
        self.execute_function = execute_function
        self._calling: _CallingConvention | None = None

    def execute(self, task: Task) -> TaskResult:
        returned = self.call_function(task)
        return as_task_result(task, returned, self.get_identity())

    def call_function(self, task: Task) -> Any:
        """Calls the function with what its signature asks for; awaits a coroutine's result."""
        returned = self._call(task)
        if inspect.isawaitable(returned):
            returned = run_awaitable(returned)
        return returned

    async def call_function_async(self, task: Task) -> Any:
        """``call_function`` for the event loop of an async worker: a coroutine is awaited on
        the running loop."""
        returned = self._call(task)
        if inspect.isawaitable(returned):
            returned = await returned
        return returned

    def _call(self, task: Task) -> Any:
        if self._calling is None:
            self._calling = _CallingConvention.of(self.execute_function)
        return self._calling.call(self.execute_function, task)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_calling"] = None  # recomputed where the worker runs
        return state

    def __repr__(self) -> str:
        name = getattr(self.execute_function, "__qualname__", repr(self.execute_function))
        domain = f", domain={self.domain!r}" if self.domain else ""
        return f"Worker({self.task_definition_name!r}, {name}{domain})"


def as_task_result(task: Task, returned: Any, worker_id: str | None) -> TaskResult:
    """The result a worker's return value stands for (see the module doc)."""
    if isinstance(returned, TaskResult):
        result = returned
        if result.task_id is None:
            result.task_id = task.task_id
        if result.workflow_instance_id is None:
            result.workflow_instance_id = task.workflow_instance_id
        if result.worker_id is None:
            result.worker_id = worker_id
        if result.status is None:
            result.status = TaskResultStatus.COMPLETED
        if result.output_data is None:
            result.output_data = {}
        return result
    result = TaskResult(
        task_id=task.task_id,
        workflow_instance_id=task.workflow_instance_id,
        worker_id=worker_id,
        status=TaskResultStatus.COMPLETED,
    )
    if isinstance(returned, TaskInProgress):
        result.status = TaskResultStatus.IN_PROGRESS
        result.callback_after_seconds = returned.callback_after_seconds
        result.output_data = dict(returned.output or {})
    elif isinstance(returned, dict):
        result.output_data = returned
    elif returned is not None:
        result.output_data = {"result": returned}
    return result


# -- calling the function ----------------------------------------------------------------------

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


@dataclass(frozen=True)
class _CallingConvention:
    """How a function wants its task: ``task``, ``input``, ``keywords`` or ``nothing``."""

    style: str
    parameters: tuple[inspect.Parameter, ...] = ()

    @classmethod
    def of(cls, function: Callable[..., Any]) -> _CallingConvention:
        try:
            signature = inspect.signature(function)
        except (TypeError, ValueError):  # some builtins have no signature: pass the input
            return cls("input")
        parameters = tuple(
            p
            for p in signature.parameters.values()
            if p.kind is not inspect.Parameter.VAR_POSITIONAL
        )
        if not parameters:
            return cls("nothing")
        if len(parameters) == 1 and parameters[0].kind in _POSITIONAL:
            return cls("task" if _wants_task(parameters[0]) else "input")
        return cls("keywords", parameters)

    def call(self, function: Callable[..., Any], task: Task) -> Any:
        if self.style == "task":
            return function(task)
        if self.style == "input":
            return function(task.input_data)
        if self.style == "nothing":
            return function()
        return function(**self._keywords(function, task))

    def _keywords(self, function: Callable[..., Any], task: Task) -> dict[str, Any]:
        inputs = task.input_data or {}
        keywords: dict[str, Any] = {}
        named: set[str] = set()
        for parameter in self.parameters:
            if parameter.kind is inspect.Parameter.VAR_KEYWORD:
                continue
            named.add(parameter.name)
            if _wants_task(parameter):
                keywords[parameter.name] = task
            elif parameter.name in inputs:
                keywords[parameter.name] = inputs[parameter.name]
            elif parameter.default is inspect.Parameter.empty:
                raise MissingInputError(
                    f"task input has no {parameter.name!r}, which "
                    f"{getattr(function, '__qualname__', 'the worker function')}() requires "
                    f"(inputs: {', '.join(sorted(map(str, inputs))) or 'none'})"
                )
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in self.parameters):
            keywords.update((k, v) for k, v in inputs.items() if k not in named)
        return keywords


def _wants_task(parameter: inspect.Parameter) -> bool:
    annotation = parameter.annotation
    if annotation is Task:
        return True
    # ``from __future__ import annotations`` leaves the annotation as text.
    return isinstance(annotation, str) and annotation.rsplit(".", 1)[-1] == "Task"


# -- async functions ---------------------------------------------------------------------------

_loops = threading.local()


def run_awaitable(awaitable: Any) -> Any:
    """Runs a coroutine to completion on this thread's own event loop (kept for reuse)."""
    loop = getattr(_loops, "loop", None)
    if loop is None or loop.is_closed():
        loop = _loops.loop = asyncio.new_event_loop()
    return loop.run_until_complete(awaitable)
