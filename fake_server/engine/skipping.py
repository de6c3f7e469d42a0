"""Time skipping: tests of retries, callbacks and waits run in seconds with real workers.

An engine on a :class:`~fake_server.engine.clock.SkippingClock` keeps a :class:`TimeSkipper`.
Time runs as the wall clock does; whenever nothing is under way (no task held by a worker, no
task ready to hand out, no HTTP call pending; see :mod:`.timers`) and a timer is pending, the
clock jumps to the earliest timer, which then fires, and long polls waiting at that moment
get the task at once. A task that is running keeps real time: its worker's own work is not
skipped, and neither is its response timeout (a test may still move the clock explicitly).

The rule is that of Temporal's time-skipping test server. The skipper only decides and counts;
the engine jumps under its lock, fires what came due and wakes its long polls.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from fake_server.engine import timers
from fake_server.engine.clock import SkippingClock
from fake_server.engine.state import EngineState

log = logging.getLogger(__name__)

REQUESTED = "requested by a test"


@dataclass(frozen=True)
class Skip:
    """One jump of the clock: from, to, and why."""

    from_ms: int
    to_ms: int
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"from": self.from_ms, "to": self.to_ms, "reason": self.reason}


class TimeSkipper:
    """Decides when a :class:`SkippingClock` jumps, and keeps count (not thread safe: the
    engine calls it under its lock)."""

    def __init__(self, clock: SkippingClock) -> None:
        self.clock = clock
        self.enabled = True
        self.skips = 0
        self.skipped_ms = 0
        self.last_skip: Skip | None = None

    def skip_if_idle(self, state: EngineState) -> Skip | None:
        """Jump to the next timer when skipping is on and nothing is under way; the caller
        fires what came due. Returns the jump made, if any."""
        if not self.enabled:
            return None
        now = self.clock.now_ms()
        if timers.under_way(state, now) is not None:
            return None
        timer = timers.next_timer(state, now)
        if timer is None:
            return None
        landed = self.clock.jump_to(timer.due_ms)
        skip = Skip(now, landed, timer.what)
        self._count(skip)
        log.info("time skipped %s to %s: %s", _span(landed - now), landed, timer.what)
        return skip

    def record_requested(self, from_ms: int, to_ms: int) -> None:
        """Count a move of the clock that a test asked for."""
        self._count(Skip(from_ms, to_ms, REQUESTED))

    def reset_counts(self) -> None:
        """Start counting afresh, skipping on (the engine's state was reset; the clock keeps
        its time: it never goes back)."""
        self.enabled = True
        self.skips = 0
        self.skipped_ms = 0
        self.last_skip = None

    def _count(self, skip: Skip) -> None:
        self.skips += 1
        self.skipped_ms += skip.to_ms - skip.from_ms
        self.last_skip = skip

    def to_json(self, state: EngineState) -> dict[str, Any]:
        """``{"enabled", "skips", "skippedMs", "lastSkip", "underWay", "nextTimer"}``."""
        view = timers.outlook(state, self.clock.now_ms())
        return {
            "enabled": self.enabled,
            "skips": self.skips,
            "skippedMs": self.skipped_ms,
            "lastSkip": self.last_skip.to_json() if self.last_skip else None,
            **view.to_json(),
        }


def _span(ms: int) -> str:
    """``ms`` for a log line: ``2 h 5 min 3.2 s``."""
    seconds = ms / 1000
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{int(hours)} h" if hours else "", f"{int(minutes)} min" if minutes else ""]
    parts.append(f"{seconds:.1f} s" if seconds or not any(parts) else "")
    return " ".join(part for part in parts if part)
