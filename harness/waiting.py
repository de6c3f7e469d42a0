"""Waiting on conditions with deadlines: the harness never sleeps blindly."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class WaitTimeout(AssertionError):
    """A condition did not hold before its deadline (an AssertionError, so pytest shows it)."""


def wait_until(
    condition: Callable[[], T | None],
    *,
    timeout: float = 10.0,
    interval: float = 0.02,
    message: str | Callable[[], str] = "condition",
) -> T:
    """Calls ``condition`` until it returns something truthy, and returns that value.

    Raises ``WaitTimeout`` naming ``message`` when ``timeout`` seconds pass first. The pause
    between checks grows from ``interval`` to at most 0.25 s, so short waits stay fast and long
    ones stay cheap.
    """
    __tracebackhide__ = True  # the failure is the caller's: pytest shows the caller's line
    deadline = time.monotonic() + timeout
    pause = interval
    while True:
        value = condition()
        if value:
            return value
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            text = message() if callable(message) else message
            raise WaitTimeout(f"timed out after {timeout:g}s waiting for {text}")
        time.sleep(min(pause, remaining))
        pause = min(pause * 1.5, 0.25)
