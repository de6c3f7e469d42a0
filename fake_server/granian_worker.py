"""granian's worker process: where the fake server's app, its engine and its timer live when the
command line serves on granian (see :mod:`fake_server.backends`).

granian tells a WSGI app neither the port it bound (port 0 picks a free one) nor that it is
stopping. The worker learns both from the listening socket itself (:class:`ListenerWatch`): it
announces the URL once the socket listens, and ends the long polls in progress once granian
closes it, which granian does first when it stops.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from fake_server import outage
from fake_server.backends import SERVE_VARIABLE, WsgiApp, load_factory, root_url

_LISTENER_POLL_SECONDS = 0.05
_LISTENER_WAIT_SECONDS = 30.0

log = logging.getLogger(__name__)


def granian_worker_app() -> WsgiApp:
    """granian's factory, called in its worker process: the app of the factory :func:`serve`
    was given, with a :class:`ListenerWatch` that announces it and stops it."""
    settings = json.loads(os.environ[SERVE_VARIABLE])
    served = load_factory(settings["factory"])()
    backend = GranianWorkerBackend()

    def stopped() -> None:  # granian closed its listener: it is stopping
        backend.stop()
        served.on_stop()

    backend.watch = ListenerWatch(settings["announce"], stopped)
    backend.watch.start()
    if served.faults is not None:
        outage.serve_outages(served.faults, backend)
    return served.app


class GranianWorkerBackend:
    """:class:`~fake_server.backends.HttpBackend` as seen from granian's worker: the port its
    listener has; granian cannot stop listening and start again while its worker (and the app's
    state in it) lives on, so a ``refuse`` outage is not offered."""

    can_stop_listening = False

    def __init__(self) -> None:
        self.watch: ListenerWatch | None = None
        self.stopping = threading.Event()

    @property
    def port(self) -> int:
        if self.watch is None or self.watch.port is None:
            raise RuntimeError("granian's listener is not found yet")
        return self.watch.port

    def stop(self) -> None:
        """granian stops its worker itself; this ends the outage windows in progress."""
        self.stopping.set()

    def stop_listening(self) -> None:
        raise RuntimeError("granian cannot stop listening while its worker lives on")

    def listen_again(self) -> None:
        raise RuntimeError("granian cannot stop listening while its worker lives on")


class ListenerWatch(threading.Thread):
    """In granian's worker: waits for the listening socket granian opens in this process,
    prints the announcement with its port, then calls ``on_stop`` once granian closes it.

    A worker whose granian process is gone (killed, so it could not stop its worker) stops
    itself as granian would have: no server is left behind, holding its port."""

    def __init__(self, announce: str, on_stop: Callable[[], None]) -> None:
        super().__init__(name="fake-server-listener-watch", daemon=True)
        self.announce = announce
        self.on_stop = on_stop
        self.granian_pid = os.getppid()
        self.port: int | None = None  # once the listener is found

    def run(self) -> None:
        try:
            self._watch()
        finally:
            if os.getppid() != self.granian_pid:
                log.warning("granian's process %s is gone: stopping its worker", self.granian_pid)
                os.kill(os.getpid(), signal.SIGTERM)  # granian's worker stops on it

    def _watch(self) -> None:
        deadline = time.monotonic() + _LISTENER_WAIT_SECONDS
        while (found := find_listener()) is None:
            if os.getppid() != self.granian_pid:
                return
            if time.monotonic() > deadline:
                log.error("granian opened no listening socket within %s s", _LISTENER_WAIT_SECONDS)
                return
            time.sleep(_LISTENER_POLL_SECONDS)
        descriptor, (host, port) = found[0], found[1][:2]
        self.port = port
        print(self.announce.replace("{root_url}", root_url(host, port)), flush=True)
        while _is_listener(descriptor, port) and os.getppid() == self.granian_pid:
            time.sleep(_LISTENER_POLL_SECONDS)
        self.on_stop()


def find_listener() -> tuple[int, tuple[Any, ...]] | None:
    """The descriptor and address of a listening TCP socket of this process, if it has one."""
    for name in os.listdir("/dev/fd"):
        descriptor = int(name)
        with contextlib.suppress(OSError):
            address = _listening_address(descriptor)
            if address is not None:
                return descriptor, address
    return None


def _is_listener(descriptor: int, port: int) -> bool:
    try:
        address = _listening_address(descriptor)
    except OSError:  # closed
        return False
    return address is not None and address[1] == port


def _listening_address(descriptor: int) -> tuple[Any, ...] | None:
    """The address of ``descriptor`` if it is a listening TCP socket (OSError if not a socket).
    The socket is only looked at: it stays open, and granian's."""
    sock = socket.socket(fileno=descriptor)
    try:
        if sock.family not in (socket.AF_INET, socket.AF_INET6) or sock.type != socket.SOCK_STREAM:
            return None
        if not sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
            return None
        address: tuple[Any, ...] = sock.getsockname()
        return address
    finally:
        sock.detach()
