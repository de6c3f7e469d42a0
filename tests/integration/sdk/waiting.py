"""Helpers of the SDK's integration tests that are not fixtures: waiting on a condition with
room for worker processes starting on a busy machine, running a runner to its end, and whether
processes are gone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from harness import waiting
from tests.paths import REPO

EXAMPLES = REPO / "examples"
T = TypeVar("T")


def wait_until(
    condition: Callable[[], T | None], *, timeout: float = 15.0, message: str = "condition"
) -> T:
    """``harness.waiting.wait_until`` with room for worker processes starting on a busy machine."""
    return waiting.wait_until(condition, timeout=timeout, message=message)


def run_blocking(runner: Any, **kwargs: Any) -> None:
    """Runs a ``TaskRunner`` (``run()`` blocks) or an ``AsyncTaskRunner`` (``run()`` is a
    coroutine) until it stops."""
    import asyncio
    import inspect

    running = runner.run(**kwargs)
    if inspect.iscoroutine(running):
        asyncio.run(running)


def gone(pids: list[int]) -> bool:
    import psutil

    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                return False
        except psutil.NoSuchProcess:
            continue
    return True
