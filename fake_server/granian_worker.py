"""granian's worker process: where the fake server's app, its engine and its timer live when the
command line serves on granian (see :mod:`fake_server.backends`).

granian tells a WSGI app neither the port it bound (port 0 picks a free one) nor that it is
stopping. The worker learns both from the listening socket itself (:class:`ListenerWatch`): it
announces the URL once the socket listens, and ends the long polls in progress once granian
closes it, which granian does first when it stops.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
from collections.abc import Callable

from fake_server import outage
from fake_server.backends import SERVE_VARIABLE, WsgiApp, load_factory, root_url
from fake_server.sockets import find_listener, listening_address

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
    if served.faults is not None:
        backend.watch.outages = outage.serve_outages(served.faults, backend)
    backend.watch.start()
    return served.app


class GranianWorkerBackend:
    """:class:`~fake_server.backends.HttpBackend` as seen from granian's worker: the port and
    the descriptor of the listener granian opened in it."""

    def __init__(self) -> None:
        self.watch: ListenerWatch | None = None
        self.stopping = threading.Event()

    @property
    def port(self) -> int:
        return self._found()[1]

    @property
    def listener(self) -> int:
        return self._found()[0]

    def _found(self) -> tuple[int, int]:
        if self.watch is None or self.watch.found is None:
            raise RuntimeError("granian's listener is not found yet")
        return self.watch.found

    def stop(self) -> None:
        """granian stops its worker itself; this ends the outage windows in progress."""
        self.stopping.set()


class ListenerWatch(threading.Thread):
    """In granian's worker: waits for the listening socket granian opens in this process,
    prints the announcement with its port, then calls ``on_stop`` once granian closes it (a
    ``refuse`` outage that has it off its port meanwhile is not granian closing it).

    A worker whose granian process is gone (killed, so it could not stop its worker) stops
    itself as granian would have: no server is left behind, holding its port."""

    def __init__(self, announce: str, on_stop: Callable[[], None]) -> None:
        super().__init__(name="fake-server-listener-watch", daemon=True)
        self.announce = announce
        self.on_stop = on_stop
        self.granian_pid = os.getppid()
        self.found: tuple[int, int] | None = None  # the listener's descriptor and port
        self.outages: outage.Outages | None = None

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
        self.found = (descriptor, port)
        print(self.announce.replace("{root_url}", root_url(host, port)), flush=True)
        while self._listening(descriptor, port) and os.getppid() == self.granian_pid:
            time.sleep(_LISTENER_POLL_SECONDS)
        self.on_stop()

    def _listening(self, descriptor: int, port: int) -> bool:
        if self.outages is not None and self.outages.listener_off:
            return True
        address = listening_address(descriptor)
        return address is not None and address[1] == port
