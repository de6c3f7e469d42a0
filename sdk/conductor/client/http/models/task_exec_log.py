from __future__ import annotations

import time
from dataclasses import dataclass, field

from conductor.client.http.models._wire import WireModel


@dataclass
class TaskExecLog(WireModel):
    """One log line attached to a task execution (``created_time`` in epoch milliseconds)."""

    log: str | None = None
    task_id: str | None = None
    created_time: int | None = field(default_factory=lambda: int(time.time() * 1000))
