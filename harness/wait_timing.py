"""Real time and server time in the harness's waits.

A wait (``wait_for_workflow``, ``drain``) gives up after its timeout in real seconds, whatever
the server's clock does; on a server that skips time, hours of server time may pass in one real
second. So a wait reports both: its answer is a :class:`WaitResult` (the server's answer, with
``real_seconds`` and ``server_seconds``), and its timeout message says how far the server's
clock moved and, on a time-skipping server, what kept it from jumping.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

# Reads GET /fake/clock; None when the server has no such endpoint (a real Conductor).
ClockReader = Callable[[], Mapping[str, Any] | None]


class WaitResult(dict[str, Any]):
    """The server's answer that ended a wait (a workflow, the stats), as a plain dict, plus how
    long the wait took: ``real_seconds`` by this machine's clock, ``server_seconds`` by the
    server's (None against a server without the fake admin API)."""

    real_seconds: float
    server_seconds: float | None

    def __init__(
        self, answer: Mapping[str, Any], real_seconds: float, server_seconds: float | None
    ) -> None:
        super().__init__(answer)
        self.real_seconds = real_seconds
        self.server_seconds = server_seconds


class ServerTimeSpan:
    """Measures one wait in real time and in server time."""

    def __init__(self, read_clock: ClockReader) -> None:
        self._read_clock = read_clock
        self._started = time.monotonic()
        clock = read_clock()
        self._server_start_ms: int | None = clock["now"] if clock is not None else None

    def result(self, answer: Mapping[str, Any]) -> WaitResult:
        """``answer`` with the real and server time the wait took."""
        real = time.monotonic() - self._started
        clock = self._read_clock() if self._server_start_ms is not None else None
        server = self._server_seconds(clock)
        return WaitResult(answer, real, server)

    def note(self) -> str:
        """What to add to a timeout message: how far the server's clock moved, and what
        time skipping waits for; empty against a server without the fake admin API."""
        clock = self._read_clock() if self._server_start_ms is not None else None
        server = self._server_seconds(clock)
        if clock is None or server is None:
            return ""
        note = f"; the server's clock moved {format_duration(server)} meanwhile"
        skipping = clock.get("timeSkipping")
        if skipping is None:
            return note
        if not skipping.get("enabled"):
            return note + " (time skipping is switched off)"
        timer = skipping.get("nextTimer")
        if skipping.get("underWay"):
            waits = f"; time skipping waits for: {skipping['underWay']}"
            return note + waits + (f" (next timer: {timer['what']})" if timer else "")
        return note + ("" if timer else "; no timer is pending")

    def _server_seconds(self, clock: Mapping[str, Any] | None) -> float | None:
        if clock is None or self._server_start_ms is None:
            return None
        return (int(clock["now"]) - self._server_start_ms) / 1000


def format_duration(seconds: float) -> str:
    """``2 h 5 min 3.2 s``, ``3 d 1 h``, ``0.4 s``."""
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, rest = divmod(rest, 60)
    parts = [f"{int(days)} d" if days else "", f"{int(hours)} h" if hours else ""]
    parts.append(f"{int(minutes)} min" if minutes else "")
    if rest >= 0.05 or not any(parts):
        parts.append(f"{rest:.1f} s")
    return " ".join(part for part in parts if part)
