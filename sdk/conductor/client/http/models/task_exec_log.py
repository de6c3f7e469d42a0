from __future__ import annotations

import time
from dataclasses import dataclass

from conductor.client.http.models._wire import WireModel


@dataclass
class TaskExecLog(WireModel):
    """One log line attached to a task execution (``created_time`` in epoch milliseconds;
    ``None`` unless given, as in conductor-python 2.0.0: ``now()`` stamps it)."""

    log: str | None = None
    task_id: str | None = None
    created_time: int | None = None

    @classmethod
    def now(cls, log: str | None, task_id: str | None) -> TaskExecLog:
        """A log line created now (what the SDK adds: task logs, failures)."""
        return cls(log, task_id, int(time.time() * 1000))
