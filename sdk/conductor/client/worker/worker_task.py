"""The ``@WorkerTask`` decorator: turns a module-level function into a worker.

::

    @WorkerTask(task_definition_name="greet", domain="test", poll_interval=250)
    def greet(name: str, greeting: str = "Hello") -> dict:
        return {"message": f"{greeting}, {name}"}

The decorated function stays the plain function (callable and testable as before); the
decorator only records it. ``TaskHandler(scan_for_annotated_workers=True)`` (or
``import_modules=[...]``) turns every recorded function into a ``Worker``. ``poll_interval`` is
in milliseconds, like everywhere else in this SDK. ``worker_task`` is the same decorator.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from conductor.client.worker.worker import Worker

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class WorkerRegistration:
    """One decorated function and the settings its decorator gave."""

    task_definition_name: str
    function: Callable[..., Any]
    domain: str | None = None
    worker_id: str | None = None
    poll_interval: float | None = None
    thread_count: int = 1

    def to_worker(self) -> Worker:
        return Worker(
            task_definition_name=self.task_definition_name,
            execute_function=self.function,
            poll_interval=self.poll_interval,
            domain=self.domain,
            worker_id=self.worker_id,
            thread_count=self.thread_count,
        )


# Keyed by (task name, source file, qualified name): importing the same file twice under two
# module names (a script and a package path, say) still registers one worker.
_registry: dict[tuple[str, str, str], WorkerRegistration] = {}
_registry_lock = threading.Lock()


def WorkerTask(  # the guide's name for the decorator
    task_definition_name: str,
    domain: str | None = None,
    worker_id: str | None = None,
    poll_interval: float | None = None,
    thread_count: int = 1,
    *,
    poll_interval_millis: float | None = None,
) -> Callable[[F], F]:
    """Registers the decorated function as the worker for ``task_definition_name``.

    ``poll_interval`` (or its alias ``poll_interval_millis``) is in milliseconds.
    """
    if poll_interval is not None and poll_interval_millis is not None:
        raise ValueError(
            f"WorkerTask({task_definition_name!r}): pass poll_interval or poll_interval_millis, "
            "not both"
        )
    interval = poll_interval if poll_interval is not None else poll_interval_millis

    def register(function: F) -> F:
        registration = WorkerRegistration(
            task_definition_name=task_definition_name,
            function=function,
            domain=domain,
            worker_id=worker_id,
            poll_interval=interval,
            thread_count=thread_count,
        )
        registration.to_worker()  # checks the values now, at the decorator, not at start
        with _registry_lock:
            _registry[_key(task_definition_name, function)] = registration
        return function

    return register


worker_task = WorkerTask


def registered_workers() -> list[WorkerRegistration]:
    """Every function registered so far, in registration order."""
    with _registry_lock:
        return list(_registry.values())


def _key(task_definition_name: str, function: Callable[..., Any]) -> tuple[str, str, str]:
    code = getattr(function, "__code__", None)
    source = os.path.realpath(code.co_filename) if code is not None else function.__module__
    return task_definition_name, source, getattr(function, "__qualname__", repr(function))
