"""The decorators ``@WorkerTask`` (the guide's) and ``@worker_task`` (conductor-python's).

::

    @WorkerTask(task_definition_name="greet", domain="test", poll_interval=250)
    def greet(name: str, greeting: str = "Hello") -> dict:
        return {"message": f"{greeting}, {name}"}

The decorated function stays the plain function (callable and testable as before); the
decorator only records it. ``TaskHandler`` turns every recorded function into a ``Worker``
(see there for when). ``poll_interval`` (also ``poll_interval_millis``) is in milliseconds,
like everywhere else in this SDK; ``poll_interval_seconds`` is the same in seconds.

The two decorators take the same keywords and differ only in the order of their positional
arguments: ``WorkerTask(name, domain, worker_id, poll_interval, thread_count)`` as the guide
documents it, ``worker_task(name, poll_interval_millis, domain, worker_id, thread_count,
register_task_def, poll_timeout, lease_extend_enabled, task_def, overwrite_task_def,
strict_schema, register_schema)`` as conductor-python 2.0.0 has it.

Tests that decorate functions can keep the registry as it was with
``isolated_worker_registry()`` (or ``clear_registered_workers`` and
``restore_registered_workers``).
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from conductor.client.http.models.task_def import TaskDef
from conductor.client.worker.worker import Worker
from conductor.client.worker.worker_config import WorkerConfigError

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class WorkerRegistration:
    """One decorated function and the settings its decorator gave (``None``: not given)."""

    task_definition_name: str
    function: Callable[..., Any]
    domain: str | None = None
    worker_id: str | None = None
    poll_interval: float | None = None
    thread_count: int | None = None
    register_task_def: bool | None = None
    poll_timeout: int | None = None
    lease_extend_enabled: bool | None = None
    task_def: TaskDef | None = None
    overwrite_task_def: bool | None = None
    strict_schema: bool | None = None
    register_schema: bool | None = None

    def to_worker(self) -> Worker:
        return Worker(
            task_definition_name=self.task_definition_name,
            execute_function=self.function,
            poll_interval=self.poll_interval,
            domain=self.domain,
            worker_id=self.worker_id,
            thread_count=self.thread_count,
            register_task_def=self.register_task_def,
            poll_timeout=self.poll_timeout,
            lease_extend_enabled=self.lease_extend_enabled,
            task_def_template=self.task_def,
            overwrite_task_def=self.overwrite_task_def,
            strict_schema=self.strict_schema,
            register_schema=self.register_schema,
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
    thread_count: int | None = None,
    *,
    poll_interval_millis: float | None = None,
    poll_interval_seconds: float | None = None,
    register_task_def: bool | None = None,
    poll_timeout: int | None = None,
    lease_extend_enabled: bool | None = None,
    task_def: TaskDef | None = None,
    overwrite_task_def: bool | None = None,
    strict_schema: bool | None = None,
    register_schema: bool | None = None,
) -> Callable[[F], F]:
    """Registers the decorated function as the worker for ``task_definition_name``."""
    interval = _poll_interval_ms(
        task_definition_name, poll_interval, poll_interval_millis, poll_interval_seconds
    )

    def register(function: F) -> F:
        registration = WorkerRegistration(
            task_definition_name,
            function,
            domain=domain,
            worker_id=worker_id,
            poll_interval=interval,
            thread_count=thread_count,
            register_task_def=register_task_def,
            poll_timeout=poll_timeout,
            lease_extend_enabled=lease_extend_enabled,
            task_def=task_def,
            overwrite_task_def=overwrite_task_def,
            strict_schema=strict_schema,
            register_schema=register_schema,
        )
        registration.to_worker()  # checks the values now, at the decorator, not at start
        with _registry_lock:
            _registry[_key(task_definition_name, function)] = registration
        return function

    return register


def worker_task(  # conductor-python's name, with its order of positional arguments
    task_definition_name: str,
    poll_interval_millis: float | None = None,
    domain: str | None = None,
    worker_id: str | None = None,
    thread_count: int | None = None,
    register_task_def: bool | None = None,
    poll_timeout: int | None = None,
    lease_extend_enabled: bool | None = None,
    task_def: TaskDef | None = None,
    overwrite_task_def: bool | None = None,
    strict_schema: bool | None = None,
    register_schema: bool | None = None,
    *,
    poll_interval: float | None = None,
    poll_interval_seconds: float | None = None,
) -> Callable[[F], F]:
    """Registers the decorated function as the worker for ``task_definition_name``."""
    return WorkerTask(
        task_definition_name,
        domain=domain,
        worker_id=worker_id,
        poll_interval=poll_interval,
        thread_count=thread_count,
        poll_interval_millis=poll_interval_millis,
        poll_interval_seconds=poll_interval_seconds,
        register_task_def=register_task_def,
        poll_timeout=poll_timeout,
        lease_extend_enabled=lease_extend_enabled,
        task_def=task_def,
        overwrite_task_def=overwrite_task_def,
        strict_schema=strict_schema,
        register_schema=register_schema,
    )


# -- the registry --------------------------------------------------------------------------


def registered_workers() -> list[WorkerRegistration]:
    """Every function registered so far, in registration order."""
    with _registry_lock:
        return list(_registry.values())


def get_registered_workers() -> list[Worker]:
    """A ``Worker`` for every registered function (conductor-python's name)."""
    return [registration.to_worker() for registration in registered_workers()]


def get_registered_worker_names() -> list[str]:
    """The task names of the registered functions (conductor-python's name)."""
    return [registration.task_definition_name for registration in registered_workers()]


def clear_registered_workers() -> list[WorkerRegistration]:
    """Forgets every registered function; returns what was registered (for
    ``restore_registered_workers``)."""
    with _registry_lock:
        removed = list(_registry.values())
        _registry.clear()
    return removed


def restore_registered_workers(registrations: Iterable[WorkerRegistration]) -> None:
    """Makes ``registrations`` (what ``clear_registered_workers`` returned) the registry."""
    with _registry_lock:
        _registry.clear()
        for registration in registrations:
            _registry[_key(registration.task_definition_name, registration.function)] = registration


@contextmanager
def isolated_worker_registry(*, keep: bool = True) -> Iterator[None]:
    """Inside the block, functions decorated are registered as usual; afterwards the registry
    is as it was before. With ``keep=False`` the block starts from an empty registry."""
    saved = registered_workers()
    if not keep:
        clear_registered_workers()
    try:
        yield
    finally:
        restore_registered_workers(saved)


def _poll_interval_ms(
    task_name: str, millis: float | None, alias: float | None, seconds: float | None
) -> float | None:
    given = {
        name: value
        for name, value in (
            ("poll_interval", millis),
            ("poll_interval_millis", alias),
            ("poll_interval_seconds", seconds or None),  # 0: not given, as in conductor-python
        )
        if value is not None
    }
    if len(given) > 1:
        raise WorkerConfigError(
            f"worker {task_name!r}: pass one of {', '.join(given)}, not several "
            "(they all set the polling interval)"
        )
    if seconds:
        number = isinstance(seconds, (int, float)) and not isinstance(seconds, bool)
        if not number or not 0 < seconds < math.inf:
            raise WorkerConfigError(
                f"argument poll_interval_seconds={seconds!r} of worker {task_name!r} is not a "
                "positive number of seconds"
            )
        return float(seconds) * 1000.0
    return millis if millis is not None else alias


def _key(task_definition_name: str, function: Callable[..., Any]) -> tuple[str, str, str]:
    code = getattr(function, "__code__", None)
    source = os.path.realpath(code.co_filename) if code is not None else function.__module__
    return task_definition_name, source, getattr(function, "__qualname__", repr(function))
