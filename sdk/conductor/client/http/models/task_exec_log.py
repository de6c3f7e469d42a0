from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from conductor.client.http.models._wire import from_json, to_dict, to_json


@dataclass
class TaskExecLog:
    """One log line attached to a task execution (``created_time`` in epoch milliseconds)."""

    log: str | None = None
    task_id: str | None = None
    created_time: int | None = field(default_factory=lambda: int(time.time() * 1000))

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> TaskExecLog:
        return from_json(cls, data)

    from_dict = from_json

    def to_json(self) -> dict[str, Any]:
        return to_json(self)

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)
