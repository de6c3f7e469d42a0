"""A plain-text progress line on stderr (no dependency): a bar redrawn in place on a
terminal, one line per step otherwise (logs, CI)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

BAR_WIDTH = 24


class Progress:
    def __init__(self, total: int, *, stream: TextIO | None = None, enabled: bool = True) -> None:
        self.total = max(total, 1)
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.started = time.monotonic()
        self._in_place = enabled and self.stream.isatty()

    def step(self, label: str) -> None:
        """Announces the step about to run (``done`` steps are finished)."""
        if not self.enabled:
            return
        elapsed = time.monotonic() - self.started
        filled = BAR_WIDTH * self.done // self.total
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        text = f"[{bar}] {self.done + 1}/{self.total} {elapsed:5.0f}s  {label}"
        if self._in_place:
            self.stream.write("\r\033[K" + text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def advance(self) -> None:
        self.done = min(self.done + 1, self.total)

    def finish(self) -> None:
        if not self.enabled:
            return
        elapsed = time.monotonic() - self.started
        end = f"done: {self.done} steps in {elapsed:.0f} s"
        self.stream.write(("\r\033[K" + end + "\n") if self._in_place else end + "\n")
        self.stream.flush()
