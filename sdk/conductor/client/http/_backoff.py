"""How the SDK waits between retries of a call to the server, and what it logs meanwhile.

One policy for every retried call (a runner's polls, a client's result deliveries): the wait
before retry ``n`` (0 for the first) is a random time below a ceiling that starts at
``BASE_SECONDS`` and doubles per failure in a row, up to ``CAP_SECONDS`` ("full jitter", so
that workers that failed together do not retry in step). A streak of failures is logged twice:
a warning when it starts, with the first error, and a line when the call works again, with the
number of failed attempts and how long the streak lasted.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable

from conductor.client.http.errors import ConductorApiError

__all__ = ["BASE_SECONDS", "CAP_SECONDS", "Backoff"]

BASE_SECONDS = 0.1
CAP_SECONDS = 10.0


class Backoff:
    """The retry waits and the streak of failures of one kind of call. Thread-safe: threads
    that fail at the same time share one streak (one warning for all of them).

    Arguments:
        what: the call, as the log lines name it (``"Worker greet: polling"``).
        logger: where the two lines of a streak go.
        base: the first ceiling, in seconds (default ``BASE_SECONDS``, read when the
            ``Backoff`` is made).
        cap: the highest ceiling, in seconds (default ``CAP_SECONDS``).
        jitter: a source of numbers in ``[0, 1)`` (default ``random.random``, which a forked
            process reseeds, so that every process draws its own).
    """

    def __init__(
        self,
        what: str,
        logger: logging.Logger,
        *,
        base: float | None = None,
        cap: float | None = None,
        jitter: Callable[[], float] | None = None,
    ) -> None:
        self.what = what
        self.base = BASE_SECONDS if base is None else base
        self.cap = CAP_SECONDS if cap is None else cap
        self._logger = logger
        self._jitter = random.random if jitter is None else jitter
        self._lock = threading.Lock()
        self._failures = 0
        self._failing_since = 0.0

    @property
    def failures(self) -> int:
        """Failures in the current streak (0 while the call works)."""
        return self._failures

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (0 for the first) of one call."""
        ceiling = min(self.cap, self.base * 2.0 ** min(retry, 32))
        return ceiling * self._jitter()

    def failed(self, error: BaseException) -> None:
        """Counts a failure; the first of a streak is logged (with a traceback when it is not
        a server error, which would mean a bug)."""
        with self._lock:
            self._failures += 1
            if self._failures > 1:
                return
            self._failing_since = time.monotonic()
        self._logger.warning(
            "%s failed, retrying with backoff until the server answers (further failures are "
            "not logged): %s",
            self.what,
            error,
            exc_info=None if isinstance(error, ConductorApiError) else error,
        )

    def succeeded(self) -> None:
        """Ends a streak of failures, if there is one, and logs how long it lasted."""
        if self._failures == 0:  # the common case, without the lock
            return
        with self._lock:
            failures, self._failures = self._failures, 0
            if failures == 0:
                return  # another thread ended the streak meanwhile
            seconds = time.monotonic() - self._failing_since
        self._logger.info(
            "%s works again after %d failed attempts over %.1f s", self.what, failures, seconds
        )
