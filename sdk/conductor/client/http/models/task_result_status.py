from __future__ import annotations

from enum import Enum


class TaskResultStatus(str, Enum):
    """The statuses a worker may report for a task."""

    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    FAILED_WITH_TERMINAL_ERROR = "FAILED_WITH_TERMINAL_ERROR"
    IN_PROGRESS = "IN_PROGRESS"

    def __str__(self) -> str:
        return self.value
