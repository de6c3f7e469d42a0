"""What a worker process reports to event listeners: polls, executions, failed updates.

The names and fields are those of conductor-python 2.0.0, so listeners written for it work
unchanged. Every event is a frozen dataclass carrying the task type and a UTC ``timestamp``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class TaskRunnerEvent:
    """Base of every worker event: ``task_type`` is the task definition name."""

    task_type: str


@dataclass(frozen=True)
class PollStarted(TaskRunnerEvent):
    """A poll is about to be sent, asking for ``poll_count`` tasks."""

    worker_id: str
    poll_count: int
    timestamp: datetime = field(default_factory=_now)


@dataclass(frozen=True)
class PollCompleted(TaskRunnerEvent):
    """A poll was answered with ``tasks_received`` tasks after ``duration_ms``."""

    duration_ms: float
    tasks_received: int
    timestamp: datetime = field(default_factory=_now)


@dataclass(frozen=True)
class PollFailure(TaskRunnerEvent):
    """A poll failed (no connection, timeout, error status) after ``duration_ms``."""

    duration_ms: float
    cause: BaseException
    timestamp: datetime = field(default_factory=_now)


@dataclass(frozen=True)
class TaskExecutionStarted(TaskRunnerEvent):
    """The worker is about to execute a task."""

    task_id: str
    worker_id: str
    workflow_instance_id: str | None = None
    timestamp: datetime = field(default_factory=_now)


@dataclass(frozen=True)
class TaskExecutionCompleted(TaskRunnerEvent):
    """The worker returned a result (any status but a failure) after ``duration_ms``.

    ``output_size_bytes`` is the size of the output as JSON, when it could be measured.
    """

    task_id: str
    worker_id: str
    workflow_instance_id: str | None
    duration_ms: float
    output_size_bytes: int | None = None
    timestamp: datetime = field(default_factory=_now)


@dataclass(frozen=True)
class TaskExecutionFailure(TaskRunnerEvent):
    """The worker raised ``cause`` (the task is reported ``FAILED``) after ``duration_ms``."""

    task_id: str
    worker_id: str
    workflow_instance_id: str | None
    cause: BaseException
    duration_ms: float
    timestamp: datetime = field(default_factory=_now)


@dataclass(frozen=True)
class TaskUpdateFailure(TaskRunnerEvent):
    """A task's result could not be delivered: the server refused it, or the worker stopped
    while the server was unreachable. ``task_result`` is the undelivered result."""

    task_id: str
    worker_id: str
    workflow_instance_id: str | None
    cause: BaseException
    retry_count: int
    task_result: Any
    timestamp: datetime = field(default_factory=_now)


__all__ = [
    "PollCompleted",
    "PollFailure",
    "PollStarted",
    "TaskExecutionCompleted",
    "TaskExecutionFailure",
    "TaskExecutionStarted",
    "TaskRunnerEvent",
    "TaskUpdateFailure",
]
