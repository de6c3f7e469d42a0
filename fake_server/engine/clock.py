"""Clocks for the fake server: the wall clock, a manual one that tests move forward, and a
skipping one that runs as the wall clock does until a time-skipping engine jumps it forward.

The engine reads time only through ``now_ms()``. A :class:`ManualClock` tells its subscribers
after every move, so an engine can fire timeouts and wake long polls at once instead of waiting
for real time to pass.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable

Listener = Callable[[], None]


class Clock(Protocol):
    """What the engine needs from a clock."""

    is_manual: bool

    def now_ms(self) -> int:
        """Milliseconds since the epoch."""

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener()`` (from the caller's thread) whenever the time jumps."""

    def unsubscribe(self, listener: Listener) -> None:
        """Forget a listener given to :meth:`subscribe`; unknown listeners are ignored."""


@runtime_checkable
class MovableClock(Clock, Protocol):
    """A clock that a test may move forward (``POST /fake/clock/advance``)."""

    def advance(self, ms: float) -> int:
        """Move ``ms`` milliseconds forward, tell the subscribers; returns the new time."""


class SystemClock:
    """The wall clock. Time flows by itself, so there is nothing to announce."""

    is_manual = False

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def subscribe(self, listener: Listener) -> None:
        pass

    def unsubscribe(self, listener: Listener) -> None:
        pass

    def __repr__(self) -> str:
        return "SystemClock()"


# 2023-11-14T22:13:20Z: a fixed, realistic epoch so that times in JSON look like real ones.
DEFAULT_MANUAL_START_MS = 1_700_000_000_000


class ManualClock:
    """A clock that stands still until :meth:`advance` moves it (thread safe)."""

    is_manual = True

    def __init__(self, start_ms: int = DEFAULT_MANUAL_START_MS) -> None:
        self._now_ms = int(start_ms)
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []

    def now_ms(self) -> int:
        with self._lock:
            return self._now_ms

    def advance(self, ms: float) -> int:
        """Move the clock ``ms`` milliseconds forward; returns the new time."""
        if ms < 0:
            raise ValueError(f"a clock only moves forward, got ms={ms}")
        with self._lock:
            self._now_ms += int(ms)
            now = self._now_ms
            listeners = list(self._listeners)
        # Outside the lock: a listener may read the clock or take its own locks.
        for listener in listeners:
            listener()
        return now

    def advance_seconds(self, seconds: float) -> int:
        """Move the clock ``seconds`` forward; returns the new time in ms."""
        return self.advance(seconds * 1000)

    def subscribe(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def __repr__(self) -> str:
        return f"ManualClock(now_ms={self.now_ms()})"


class SkippingClock:
    """The time of ``base`` (the wall clock by default) plus the time skipped so far.

    It runs at ``base``'s pace; a time-skipping engine (:mod:`.skipping`) moves it forward with
    :meth:`jump_to` whenever it has nothing to do but wait for a timer, and a test may move it
    with :meth:`advance`, as a manual clock. It never goes back. Thread safe.
    """

    is_manual = False

    def __init__(self, base: Clock | None = None) -> None:
        self._base: Clock = base if base is not None else SystemClock()
        self._skipped_ms = 0
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []
        # Moves of the base clock (a manual one, in tests) are moves of this clock too.
        self._base.subscribe(self._tell_listeners)

    def now_ms(self) -> int:
        with self._lock:
            return self._base.now_ms() + self._skipped_ms

    @property
    def skipped_ms(self) -> int:
        """Milliseconds skipped so far: how far ahead of its base clock this clock is."""
        with self._lock:
            return self._skipped_ms

    def jump_to(self, target_ms: int) -> int:
        """Move forward to ``target_ms`` (nothing happens if it is not ahead) without telling
        the subscribers: the engine that jumps fires what comes due itself. Returns the new
        time."""
        with self._lock:
            now = self._base.now_ms() + self._skipped_ms
            self._skipped_ms += max(0, int(target_ms) - now)
            return self._base.now_ms() + self._skipped_ms

    def advance(self, ms: float) -> int:
        """Move ``ms`` milliseconds forward and tell the subscribers; returns the new time."""
        if ms < 0:
            raise ValueError(f"a clock only moves forward, got ms={ms}")
        with self._lock:
            self._skipped_ms += int(ms)
            now = self._base.now_ms() + self._skipped_ms
        self._tell_listeners()
        return now

    def subscribe(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def _tell_listeners(self) -> None:
        with self._lock:
            listeners = list(self._listeners)
        # Outside the lock: a listener may read the clock or take its own locks.
        for listener in listeners:
            listener()

    def __repr__(self) -> str:
        return f"SkippingClock(base={self._base!r}, skipped_ms={self.skipped_ms})"
