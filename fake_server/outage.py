"""Outages injected on purpose: for a while the server fails at the connection level, as a
crashed or unreachable server does, not with error answers.

- ``reset``: every connection open to the server's port is reset (TCP RST) now, and every new
  one as soon as the server accepts it, until the window ends; requests that reach the app
  meanwhile are held and never answered. Works on every HTTP server: the sockets are found
  among this process's descriptors and reset with ``connect(AF_UNSPEC)``, which sends RST
  without closing the server's descriptor (the server then closes it itself).
- ``refuse``: the server stops listening, so connections are refused, and closes the open
  ones; it listens again on the same port when the window ends. The server must be able to
  stop and start listening while the app lives on: waitress can (:class:`RefuseWindow`);
  granian cannot, and answers 400 "not supported by the fake server".

:func:`serve_outages` is the one way they are made, on either HTTP server, through
:class:`~fake_server.backends.HttpBackend` (``ServerHandle.restart`` is a ``refuse`` outage).
Linux only (descriptors are listed from ``/dev/fd``).
"""

from __future__ import annotations

import ctypes
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from fake_server.engine.errors import BadRequestError

if TYPE_CHECKING:
    from fake_server.backends import HttpBackend
    from fake_server.http.faults import FaultPlan

log = logging.getLogger(__name__)

# What an outage does to connections: refuse new ones, or reset them as they come.
MODES = ("refuse", "reset")
# How often a reset window looks for new connections to reset.
RESET_SCAN_SECONDS = 0.005
# An outage begins this long after it is asked for, so that the request asking gets its answer.
BEGIN_DELAY_SECONDS = 0.1


class _SockAddr(ctypes.Structure):
    _fields_ = [("sa_family", ctypes.c_ushort), ("sa_data", ctypes.c_char * 14)]


def reset_connections(port: int) -> int:
    """Resets every established TCP connection of this process whose local port is ``port``
    (the server's side of its clients' connections); returns how many."""
    libc = ctypes.CDLL(None, use_errno=True)
    unspecified = _SockAddr(socket.AF_UNSPEC)
    count = 0
    for descriptor in _descriptors():
        if _is_connection_on(descriptor, port):
            # connect() with AF_UNSPEC disconnects a TCP socket, sending RST to the peer.
            libc.connect(descriptor, ctypes.byref(unspecified), ctypes.sizeof(unspecified))
            count += 1
    return count


def _descriptors() -> list[int]:
    try:
        return [int(name) for name in os.listdir("/dev/fd")]
    except OSError:
        return []


def _is_connection_on(descriptor: int, port: int) -> bool:
    try:
        sock = socket.socket(fileno=descriptor)
    except OSError:
        return False
    try:
        if sock.family not in (socket.AF_INET, socket.AF_INET6) or sock.type != socket.SOCK_STREAM:
            return False
        if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
            return False
        sock.getpeername()  # raises when not connected
        return bool(sock.getsockname()[1] == port)
    except OSError:
        return False
    finally:
        sock.detach()  # the descriptor stays open, and the server's


class OutageClock:
    """When the current reset outage ends: the app holds the requests that reach it until
    then, while the window resets their connections."""

    def __init__(self) -> None:
        self.until = 0.0
        self.mode = ""
        self._ended = threading.Event()
        self._ended.set()

    def begin(self, mode: str, seconds: float) -> None:
        self.mode = mode
        self.until = time.monotonic() + seconds
        self._ended.clear()

    def end(self) -> None:
        self.until = 0.0
        self._ended.set()

    @property
    def active(self) -> bool:
        until = self.until  # checked on every request: no clock read without an outage
        return until != 0.0 and until > time.monotonic()

    def hold(self) -> None:
        """Holds a request until the outage ends (its connection is reset meanwhile)."""
        self._ended.wait(max(0.0, self.until - time.monotonic()))


class ResetWindow(threading.Thread):
    """Resets the connections to ``port`` for ``seconds`` (see the module docstring)."""

    def __init__(
        self, port: int, seconds: float, clock: OutageClock, stopping: threading.Event
    ) -> None:
        super().__init__(name=f"fake-conductor-outage-{port}", daemon=True)
        self.port = port
        self.seconds = seconds
        self.clock = clock
        self.stopping = stopping
        self.resets = 0

    def run(self) -> None:
        if self.stopping.wait(BEGIN_DELAY_SECONDS):
            return
        self.clock.begin("reset", self.seconds)
        deadline = time.monotonic() + self.seconds
        try:
            while time.monotonic() < deadline and not self.stopping.is_set():
                self.resets += reset_connections(self.port)
                self.stopping.wait(RESET_SCAN_SECONDS)
        finally:
            self.clock.end()
            log.warning("outage over: %s connections reset on port %s", self.resets, self.port)


class RefuseWindow(threading.Thread):
    """Stops listening for ``seconds``, then listens again: ``stop_listening()`` closes the
    listener and every connection, ``listen_again()`` serves on the same port. It begins
    after ``BEGIN_DELAY_SECONDS``, so that the request asking for it gets its answer."""

    def __init__(
        self,
        seconds: float,
        stop_listening: Callable[[], None],
        listen_again: Callable[[], None],
        stopping: threading.Event,
    ) -> None:
        super().__init__(name="fake-conductor-outage", daemon=True)
        self.seconds = seconds
        self.stop_listening = stop_listening
        self.listen_again = listen_again
        self.stopping = stopping

    def run(self) -> None:
        if self.stopping.wait(BEGIN_DELAY_SECONDS):
            return
        started = time.monotonic()
        self.stop_listening()
        self.stopping.wait(max(0.0, self.seconds - (time.monotonic() - started)))
        if self.stopping.is_set():
            return
        try:
            self.listen_again()
        except OSError as error:
            log.error("the outage is over but the server cannot listen again: %s", error)
        else:
            log.warning("outage over: listening again")


class Outages:
    """The outage windows begun on one server; :meth:`join` waits for them once it stops."""

    def __init__(self, faults: FaultPlan, backend: HttpBackend) -> None:
        self.faults = faults
        self.backend = backend
        self.windows: list[threading.Thread] = []

    def begin(self, mode: str, seconds: float) -> None:
        backend = self.backend
        if mode == "refuse" and not backend.can_stop_listening:
            raise BadRequestError(
                "not supported by the fake server: a 'refuse' outage on granian (it cannot "
                "stop listening while the app lives on); use mode 'reset', or serve on "
                "waitress (--wsgi waitress, ServerHandle(backend='waitress'))"
            )
        window: threading.Thread
        if mode == "reset":
            window = ResetWindow(backend.port, seconds, self.faults.outage_clock, backend.stopping)
        else:
            window = RefuseWindow(
                seconds, backend.stop_listening, backend.listen_again, backend.stopping
            )
        self.windows = [w for w in self.windows if w.is_alive()] + [window]
        window.start()

    def join(self) -> None:
        for window in self.windows:
            window.join(timeout=10)


def serve_outages(faults: FaultPlan, backend: HttpBackend) -> Outages:
    """Makes the outages ``faults`` asks for (``POST /fake/faults/outage``) on ``backend``."""
    outages = Outages(faults, backend)
    faults.outage_handler = outages.begin
    return outages
