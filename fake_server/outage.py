"""Outages injected on purpose: for a while the server fails at the connection level, as a
crashed or unreachable server does, not with error answers. One mechanism on every HTTP server
(waitress or granian): it acts on the sockets of the process that serves, through
:mod:`fake_server.sockets`, never through the HTTP server's own API.

- ``refuse``: the listening socket is taken off its port, so connections are refused, and the
  open ones are reset; the same socket listens again on the same port when the window ends (the
  app and its state live on). ``ServerHandle.restart`` is this outage.
- ``reset``: every connection open to the server's port is reset (TCP RST) now, and every new
  one as soon as the server accepts it, until the window ends.

In both, requests that reach the app meanwhile are held and never answered (their connection
is reset). :func:`serve_outages` wires the windows to the fault plan (``POST
/fake/faults/outage``) on a :class:`~fake_server.backends.HttpBackend`. Linux only.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from typing import TYPE_CHECKING

from fake_server.engine.errors import BadRequestError
from fake_server.sockets import Unlisten, reset_connections

if TYPE_CHECKING:
    from fake_server.backends import HttpBackend
    from fake_server.http.faults import FaultPlan

log = logging.getLogger(__name__)

# What an outage does to connections: refuse new ones, or reset them as they come.
MODES = ("refuse", "reset")
# How often a window looks for new connections to reset.
RESET_SCAN_SECONDS = 0.005
# An outage begins this long after it is asked for, so that the request asking gets its answer.
BEGIN_DELAY_SECONDS = 0.1


class OutageClock:
    """Whether an outage is under way: the app holds the requests that reach it until the last
    one ends, while the windows reset their connections."""

    def __init__(self) -> None:
        self.until = 0.0
        self.mode = ""
        self._windows = 0
        self._lock = threading.Lock()
        self._ended = threading.Event()
        self._ended.set()

    def begin(self, mode: str, seconds: float) -> None:
        with self._lock:
            self.mode = mode
            self.until = max(self.until, time.monotonic() + seconds)
            self._windows += 1
            self._ended.clear()

    def end(self) -> None:
        with self._lock:
            self._windows -= 1
            if self._windows == 0:
                self.until = 0.0
                self._ended.set()

    @property
    def active(self) -> bool:
        until = self.until  # checked on every request: no clock read without an outage
        return until != 0.0 and until > time.monotonic()

    def hold(self) -> None:
        """Holds a request until the outage ends (its connection is reset meanwhile)."""
        self._ended.wait(max(0.0, self.until - time.monotonic()))


class OutageWindow(threading.Thread):
    """One outage of ``mode`` for ``seconds`` on the server of ``outages`` (see the module
    docstring)."""

    def __init__(self, mode: str, seconds: float, outages: Outages) -> None:
        super().__init__(name=f"fake-conductor-outage-{outages.backend.port}", daemon=True)
        self.mode = mode
        self.seconds = seconds
        self.outages = outages
        self.resets = 0

    def run(self) -> None:
        outages, stopping = self.outages, self.outages.backend.stopping
        if stopping.wait(BEGIN_DELAY_SECONDS):
            return
        port = outages.backend.port
        clock = outages.faults.outage_clock
        clock.begin(self.mode, self.seconds)
        deadline = time.monotonic() + self.seconds
        refuse = self.mode == "refuse"
        try:
            if refuse:
                outages.take_listener_off()
            while time.monotonic() < deadline and not stopping.is_set():
                self.resets += reset_connections(port)
                if refuse and outages.unlisten.server_stopped():
                    break
                stopping.wait(RESET_SCAN_SECONDS)
        finally:
            clock.end()
            if refuse:
                outages.put_listener_back()
        log.warning("%s outage over on port %s: %s connections reset", self.mode, port, self.resets)


class Outages:
    """The outage windows begun on one server. Windows may overlap: the listener is off its
    port from the first ``refuse`` window's start to the last one's end. :meth:`stop_backend`
    waits for them, so that the server gets its listener back before it closes it."""

    def __init__(self, faults: FaultPlan, backend: HttpBackend) -> None:
        self.faults = faults
        self.backend = backend
        self.windows: list[OutageWindow] = []
        self._lock = threading.Lock()
        self._refusing = 0  # refuse windows under way
        self._unlisten: Unlisten | None = None

    def begin(self, mode: str, seconds: float) -> None:
        if not sys.platform.startswith("linux"):
            raise BadRequestError(
                f"not supported by the fake server: an outage on {sys.platform} (it acts on "
                "the server's sockets through Linux's /proc)"
            )
        window = OutageWindow(mode, seconds, self)
        with self._lock:
            self.windows = [w for w in self.windows if w.is_alive()] + [window]
        window.start()

    @property
    def unlisten(self) -> Unlisten:
        if self._unlisten is None:
            self._unlisten = Unlisten(self.backend.listener)
        return self._unlisten

    @property
    def listener_off(self) -> bool:
        """Whether a ``refuse`` window has the listener off its port now."""
        return self._refusing > 0

    def take_listener_off(self) -> None:
        with self._lock:
            self._refusing += 1
            if self._refusing == 1:
                try:
                    self.unlisten.begin()
                except OSError as error:  # connections are still reset for the window
                    log.error("cannot take the listener off port %s: %s", self.backend.port, error)

    def put_listener_back(self) -> None:
        with self._lock:
            try:
                if self._refusing == 1:  # the last refuse window
                    self.unlisten.end()
                    log.warning("listening again on port %s", self.backend.port)
            except OSError as error:
                log.error("the outage is over but the server cannot listen again: %s", error)
            finally:
                # Counted down only now: until the listener is back, its descriptor holds the
                # stand-in, which granian's listener watch must not take for granian stopping.
                self._refusing -= 1

    def join(self) -> None:
        for window in self.windows:
            window.join(timeout=10)

    def stop_backend(self) -> None:
        """Stops the backend once the windows in progress have given its listener back."""
        self.backend.stopping.set()
        self.join()
        self.backend.stop()


def serve_outages(faults: FaultPlan, backend: HttpBackend) -> Outages:
    """Makes the outages ``faults`` asks for (``POST /fake/faults/outage``) on ``backend``."""
    outages = Outages(faults, backend)
    faults.outage_handler = outages.begin
    return outages
