"""The interface every worker implements: ``execute`` plus overridable settings.

A worker class implements ``execute(task)``; everything else has a default that a subclass may
override (the guide's class worker overrides ``get_polling_interval_in_seconds``). Settings
given in code, through the constructor, by assigning the attribute (``self.thread_count = 4``)
or by overriding a getter, are the "argument" level of the configuration precedence:
environment variables and ``worker.ini`` still win over them (see
``conductor.client.worker.worker_config``). Every value is checked when it is given, with the
same rules and messages as the other levels.

``paused`` works both ways that worker code uses it: as a value (``Worker(paused=True)``,
``if worker.paused:``, ``worker.paused = False``) and as a method (``worker.paused()``, or a
subclass that overrides ``def paused(self)`` to decide at every poll).
"""

from __future__ import annotations

import abc
import copy
import socket
from collections.abc import Sequence
from typing import Any, Generic, TypeVar, overload

from conductor.client.http.models.task import Task
from conductor.client.http.models.task_result import TaskResult
from conductor.client.worker.worker_config import (
    DEFAULT_POLL_TIMEOUT_MS,
    DEFAULT_POLLING_INTERVAL_MS,
    PROPERTIES,
    WorkerConfigError,
    check_argument,
)

T = TypeVar("T")
DEFAULT_POLLING_INTERVAL = int(DEFAULT_POLLING_INTERVAL_MS)  # conductor-python's name (ms)


class PausedFlag:
    """Whether a worker is paused: true or false as a value, and callable as ``paused()``."""

    __slots__ = ("_value",)

    def __init__(self, value: bool) -> None:
        self._value = bool(value)

    def __call__(self) -> bool:
        return self._value

    def __bool__(self) -> bool:
        return self._value

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (PausedFlag, bool)):
            return self._value == bool(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return repr(self._value)


class _Setting(Generic[T]):
    """A worker setting given in code: checked when set, ``None`` means "not given"."""

    def __init__(self, prop: str, default: T) -> None:
        self.prop = prop
        self.default = default

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, worker: None, owner: type) -> _Setting[T]: ...
    @overload
    def __get__(self, worker: WorkerInterface, owner: type) -> T: ...
    def __get__(self, worker: WorkerInterface | None, owner: type) -> T | _Setting[T]:
        if worker is None:
            return self
        settings = worker.__dict__.get("_settings", {})
        value = settings.get(self.prop)
        return self.default if value is None else value

    def __set__(self, worker: WorkerInterface, value: Any) -> None:
        settings = worker.__dict__.setdefault("_settings", {})
        if value is None:
            settings.pop(self.prop, None)
        else:
            settings[self.prop] = check_argument(self.prop, value, worker.describe_name())


class WorkerInterface(abc.ABC):
    """Base class of workers.

    Arguments:
        task_definition_name: the task type this worker polls for, or a list of task types
            (the worker then runs once per task type).
        poll_interval: milliseconds to pause between polls when the server answers an empty
            poll at once (a server without long polling); default 100 ms.
        domain: the task domain to poll (``None``: tasks without a domain).
        worker_id: the worker id the server records; default: this machine's host name.
        thread_count: how many tasks one worker process runs at once (threads), default 1.
        paused, poll_timeout, register_task_def, overwrite_task_def, strict_schema,
        register_schema, lease_extend_enabled: see ``worker_config`` (each may also be set by
            assigning the attribute of that name).
    """

    domain = _Setting[str | None]("domain", None)
    poll_interval = _Setting[float]("polling_interval", DEFAULT_POLLING_INTERVAL_MS)
    thread_count = _Setting[int]("thread_count", 1)
    poll_timeout = _Setting[int]("poll_timeout", DEFAULT_POLL_TIMEOUT_MS)
    register_task_def = _Setting[bool]("register_task_def", False)
    overwrite_task_def = _Setting[bool]("overwrite_task_def", True)
    strict_schema = _Setting[bool]("strict_schema", False)
    register_schema = _Setting[bool]("register_schema", False)
    lease_extend_enabled = _Setting[bool]("lease_extend_enabled", False)

    def __init__(
        self,
        task_definition_name: str | Sequence[str],
        poll_interval: float | None = None,
        domain: str | None = None,
        worker_id: str | None = None,
        thread_count: int | None = None,
        *,
        paused: bool | None = None,
        poll_timeout: int | None = None,
        register_task_def: bool | None = None,
        overwrite_task_def: bool | None = None,
        strict_schema: bool | None = None,
        register_schema: bool | None = None,
        lease_extend_enabled: bool | None = None,
    ) -> None:
        self.task_definition_name = _checked_task_names(self, task_definition_name)
        self._settings: dict[str, Any] = {}
        self._worker_id: str | None = None
        self.poll_interval = poll_interval
        self.domain = domain or None
        self.worker_id = worker_id
        self.thread_count = thread_count
        if paused is not None:  # a subclass may define paused() itself
            self.paused = paused
        self.poll_timeout = poll_timeout
        self.register_task_def = register_task_def
        self.overwrite_task_def = overwrite_task_def
        self.strict_schema = strict_schema
        self.register_schema = register_schema
        self.lease_extend_enabled = lease_extend_enabled

    @abc.abstractmethod
    def execute(self, task: Task) -> TaskResult | Any:
        """Runs one task. Returns a ``TaskResult``, or any other object as the task's output."""

    # -- settings (each may be overridden) ---------------------------------------------------

    def get_task_definition_name(self) -> str:
        """The task type this worker polls (the first one, for a worker of several)."""
        return self.task_definition_names[0]

    @property
    def task_definition_names(self) -> list[str]:
        """Every task type this worker is for."""
        names = self.task_definition_name
        return list(names) if isinstance(names, list) else [names]

    def get_identity(self) -> str:
        """The worker id sent with polls and results."""
        return self.worker_id

    @property
    def worker_id(self) -> str:
        """The worker id: as given, else this machine's host name."""
        return self.__dict__.get("_worker_id") or socket.gethostname()

    @worker_id.setter
    def worker_id(self, value: str | None) -> None:
        self._worker_id = (
            None if value is None else check_argument("worker_id", value, self.describe_name())
        )

    def get_polling_interval_in_seconds(self) -> float:
        """Seconds to pause between polls that come back empty at once."""
        return self.poll_interval / 1000.0

    def get_domain(self) -> str | None:
        return self.domain

    @property
    def paused(self) -> PausedFlag:
        """Whether the worker takes no new tasks: ``if worker.paused:`` or ``worker.paused()``."""
        return PausedFlag(self.__dict__.get("_settings", {}).get("paused", False))

    @paused.setter
    def paused(self, value: bool | None) -> None:
        settings = self.__dict__.setdefault("_settings", {})
        if value is None:
            settings.pop("paused", None)
        else:
            settings["paused"] = check_argument("paused", value, self.describe_name())

    def pause(self) -> None:
        """Stops taking new tasks (running ones finish). Acts in the process that calls it."""
        self.paused = True

    def resume(self) -> None:
        self.paused = False

    # -- helpers -----------------------------------------------------------------------------

    def get_task_result_from_task(self, task: Task) -> TaskResult:
        """An empty result for ``task``, with its ids and this worker's id filled in."""
        return TaskResult(
            task_id=task.task_id,
            workflow_instance_id=task.workflow_instance_id,
            worker_id=self.get_identity(),
        )

    def get_arguments(self) -> dict[str, Any]:
        """The settings this worker was given in code, as arguments for the precedence rules.

        A value counts when it was passed to the constructor or decorator, assigned to its
        attribute, or when a subclass overrides its getter; anything else is left to
        ``worker.ini``, environment and defaults. Keys are the property names of
        ``worker_config`` (``polling_interval`` in ms, ...).
        """
        given = self.__dict__.get("_settings", {})
        arguments = {name: value for name, value in given.items() if name in PROPERTIES}
        if self._overrides("get_domain"):
            domain = self.get_domain()
            if domain:
                arguments["domain"] = domain
        if self._overrides("get_polling_interval_in_seconds"):
            arguments["polling_interval"] = self.get_polling_interval_in_seconds() * 1000.0
        if self.__dict__.get("_worker_id") is not None or self._overrides("get_identity"):
            arguments["worker_id"] = self.get_identity()
        if self._overrides("paused") and is_paused(self):
            arguments["paused"] = True
        if getattr(self, "lease_extend_enabled", False):
            arguments["lease_extend_enabled"] = True
        return arguments

    def apply_settings(self, settings: Any) -> None:
        """Adopts the resolved settings (``WorkerSettings``) that the worker process runs with.

        Getters that a subclass overrides keep their own answers; the runner itself uses
        ``settings``.
        """
        self.domain = settings.domain or None
        self.poll_interval = settings.polling_interval_ms
        self.worker_id = settings.worker_id
        self.thread_count = settings.thread_count
        self.poll_timeout = settings.poll_timeout_ms
        if not self._overrides("paused"):
            self.paused = settings.paused
        for name in (
            "register_task_def",
            "overwrite_task_def",
            "strict_schema",
            "register_schema",
            "lease_extend_enabled",
        ):
            setattr(self, name, getattr(settings, name))

    def one_per_task(self) -> list[WorkerInterface]:
        """This worker for each of its task types: itself when it has one, else a copy per
        task type (each with its own settings, resolved for its own task)."""
        names = self.task_definition_names
        if len(names) == 1:
            return [self]
        copies = []
        for name in names:
            single = copy.copy(self)
            single.__dict__["_settings"] = dict(self.__dict__.get("_settings", {}))
            single.task_definition_name = name
            copies.append(single)
        return copies

    def describe_name(self) -> str:
        """How messages name this worker: ``'greet'`` (``['a', 'b']`` for several)."""
        names = self.__dict__.get("task_definition_name", "?")
        return repr(names)

    def _overrides(self, method: str) -> bool:
        return getattr(type(self), method) is not getattr(WorkerInterface, method)

    def __repr__(self) -> str:
        domain = f", domain={self.domain!r}" if self.domain else ""
        return f"{type(self).__name__}(task_definition_name={self.task_definition_name!r}{domain})"


def is_paused(worker: WorkerInterface) -> bool:
    """Whether ``worker`` takes no new tasks now, however its class spells ``paused``."""
    paused: Any = getattr(worker, "paused", False)
    return bool(paused() if callable(paused) else paused)


def _checked_task_names(worker: WorkerInterface, names: Any) -> str | list[str]:
    if isinstance(names, str) and names.strip():
        return names
    if (
        isinstance(names, (list, tuple))
        and names
        and all(isinstance(n, str) and n.strip() for n in names)
    ):
        return names[0] if len(names) == 1 else list(names)
    raise WorkerConfigError(
        f"{type(worker).__name__}: task_definition_name must be a non-empty string (or a list "
        f"of them), not {names!r}"
    )
