"""The interface every worker implements: ``execute`` plus overridable settings.

A worker class implements ``execute(task)``; everything else has a default that a subclass may
override (the guide's class worker overrides ``get_polling_interval_in_seconds``). Settings
given in code, through the constructor or an overridden getter, are the "argument" level of the
configuration precedence: environment variables and ``worker.ini`` still win over them (see
``conductor.client.worker.worker_config``).
"""

from __future__ import annotations

import abc
import math
import socket
from typing import Any

from conductor.client.http.models.task import Task
from conductor.client.http.models.task_result import TaskResult
from conductor.client.worker.worker_config import DEFAULT_POLLING_INTERVAL_MS


class WorkerInterface(abc.ABC):
    """Base class of workers.

    Arguments:
        task_definition_name: the task type this worker polls for.
        poll_interval: milliseconds to pause between polls when the server answers an empty
            poll at once (a server without long polling); default 100 ms.
        domain: the task domain to poll (``None``: tasks without a domain).
        worker_id: the worker id the server records; default: this machine's host name.
        thread_count: how many tasks one worker process runs at once (threads), default 1.
    """

    def __init__(
        self,
        task_definition_name: str,
        poll_interval: float | None = None,
        domain: str | None = None,
        worker_id: str | None = None,
        thread_count: int = 1,
    ) -> None:
        if not isinstance(task_definition_name, str) or not task_definition_name.strip():
            raise ValueError(
                f"{type(self).__name__}: task_definition_name must be a non-empty string, "
                f"not {task_definition_name!r}"
            )
        self.task_definition_name = task_definition_name
        self.poll_interval = _check_poll_interval(self, poll_interval)
        self.domain = domain or None
        self.worker_id = worker_id or None
        self.thread_count = _check_thread_count(self, thread_count)
        self._paused = False

    @abc.abstractmethod
    def execute(self, task: Task) -> TaskResult | Any:
        """Runs one task. Returns a ``TaskResult``, or any other object as the task's output."""

    # -- settings (each may be overridden) ---------------------------------------------------

    def get_task_definition_name(self) -> str:
        return self.task_definition_name

    def get_identity(self) -> str:
        """The worker id sent with polls and results."""
        return self.worker_id or socket.gethostname()

    def get_polling_interval_in_seconds(self) -> float:
        """Seconds to pause between polls that come back empty at once."""
        interval = self.poll_interval
        return (interval if interval is not None else DEFAULT_POLLING_INTERVAL_MS) / 1000.0

    def get_domain(self) -> str | None:
        return self.domain

    def paused(self) -> bool:
        """Checked before every poll: a paused worker takes no new tasks until resumed."""
        return self._paused

    def pause(self) -> None:
        """Stops taking new tasks (running ones finish). Acts in the process that calls it."""
        self._paused = True

    def resume(self) -> None:
        self._paused = False

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

        A value counts when it was passed to the constructor or decorator, or when a subclass
        overrides its getter; anything else is left to ``worker.ini``, environment and defaults.
        Keys: ``domain``, ``polling_interval`` (ms), ``thread_count``, ``worker_id``, ``paused``.
        """
        arguments: dict[str, Any] = {}
        if self.domain is not None or self._overrides("get_domain"):
            domain = self.get_domain()
            if domain:
                arguments["domain"] = domain
        if self.poll_interval is not None or self._overrides("get_polling_interval_in_seconds"):
            arguments["polling_interval"] = self.get_polling_interval_in_seconds() * 1000.0
        if self.worker_id is not None or self._overrides("get_identity"):
            arguments["worker_id"] = self.get_identity()
        if self.thread_count != 1:
            arguments["thread_count"] = self.thread_count
        if self.paused():
            arguments["paused"] = True
        return arguments

    def apply_settings(self, settings: Any) -> None:
        """Adopts the resolved settings (``WorkerSettings``) that the worker process runs with.

        Getters that a subclass overrides keep their own answers; the runner itself uses
        ``settings``.
        """
        self.domain = settings.domain or None
        self.poll_interval = float(settings.polling_interval_ms)
        self.worker_id = settings.worker_id
        self.thread_count = settings.thread_count
        self._paused = bool(settings.paused)

    def _overrides(self, method: str) -> bool:
        return getattr(type(self), method) is not getattr(WorkerInterface, method)

    def __repr__(self) -> str:
        domain = f", domain={self.domain!r}" if self.domain else ""
        return f"{type(self).__name__}(task_definition_name={self.task_definition_name!r}{domain})"


def _check_poll_interval(worker: WorkerInterface, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise ValueError(
            f"{type(worker).__name__}({worker.task_definition_name!r}): poll_interval={value!r} "
            "must be a positive number of milliseconds"
        )
    return float(value)


def _check_thread_count(worker: WorkerInterface, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            f"{type(worker).__name__}({worker.task_definition_name!r}): thread_count={value!r} "
            "must be a whole number, 1 or more"
        )
    return value
