"""The HTTP servers the fake server runs on, behind one small interface (:class:`HttpBackend`).

- ``waitress`` (pure Python, a fixed pool of threads): :class:`WaitressBackend`, for a server in
  a thread of another program (``FakeServer``, the pytest plugin), and the command line on
  request (``--wsgi waitress``) or off Linux.
- ``granian`` (Rust does the sockets and HTTP; Python threads run the app): the command line's
  server on Linux, so also ``ServerHandle(mode="subprocess")`` and the benchmark. It is driven
  through its public API only: ``Granian(..., interface="wsgi", workers=1, factory=True)
  .serve()`` runs one worker process of granian's own, where the app, its engine and its timer
  live (see :mod:`fake_server.granian_worker`).

Measured on a shared 2-core machine (server CPU per task in the benchmark's 4 x 10 drain,
``python -m harness bench``; docs/benchmarks.md): granian about half of waitress's.

:func:`serve` runs the command line's server (and the benchmark's bare Flask app) until SIGINT
or SIGTERM. Outages injected on purpose are made the same way on both, on the sockets of the
process that serves (see :mod:`fake_server.outage`): a backend only says which descriptor it
listens on.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from fake_server import outage
from fake_server.options import BACKENDS, DEFAULT_THREADS
from fake_server.sockets import reset_connections

if TYPE_CHECKING:
    from fake_server.http.faults import FaultPlan

IDLE_SECONDS = 60  # an idle keep-alive connection is closed after this
CONNECTION_LIMIT = 1000
# What granian_worker_app reads in granian's worker process (which inherits the environment).
SERVE_VARIABLE = "FAKE_SERVER_SERVE"
# granian logs to standard output; standard error keeps that for the announcement.
_GRANIAN_LOGS_TO_STDERR = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {
        handler: {"class": "logging.StreamHandler", "formatter": form, "stream": "ext://sys.stderr"}
        for handler, form in (("console", "generic"), ("access", "access"))
    },
}

log = logging.getLogger(__name__)

WsgiApp = Callable[..., Any]


class HttpBackend(Protocol):
    """What the fake server needs of an HTTP server: the port it listens on, the descriptor of
    its listening socket (where an outage acts), a way to stop, and ``stopping``, set once it
    stops (outages in progress end then)."""

    @property
    def port(self) -> int: ...

    @property
    def listener(self) -> int: ...

    stopping: threading.Event

    def stop(self) -> None: ...


@dataclass(frozen=True)
class ServedApp:
    """What an app factory gives :func:`serve`: the WSGI app, and what to do when the server
    stops accepting connections (end long polls in progress, stop timers)."""

    app: WsgiApp
    on_stop: Callable[[], None] = lambda: None
    # The app's fault rules: the server that serves it makes the outages they ask for.
    faults: FaultPlan | None = None


def serve(
    factory: str,
    *,
    host: str,
    port: int,
    backend: str,
    threads: int = DEFAULT_THREADS,
    announce: str,
    log_level: str = "WARNING",
) -> None:
    """Serve the app of ``factory`` (``"module:function"`` returning a :class:`ServedApp`,
    called in the process that serves) until SIGINT or SIGTERM. Prints ``announce``, its
    ``{root_url}`` replaced by e.g. ``http://127.0.0.1:8080``, once connections are accepted.

    Raises ``OSError`` when ``host``:``port`` cannot be bound, ``RuntimeError`` when the
    backend cannot run here."""
    if backend == "granian":
        _serve_on_granian(factory, host, port, threads, announce, log_level)
    elif backend == "waitress":
        _serve_on_waitress(factory, host, port, threads, announce)
    else:
        raise ValueError(f"unknown HTTP server {backend!r}; choose one of {', '.join(BACKENDS)}")


def root_url(host: str, port: int) -> str:
    """``http://host:port`` with a host that a client can connect to."""
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def load_factory(target: str) -> Callable[[], ServedApp]:
    module, _, name = target.partition(":")
    factory: Callable[[], ServedApp] = getattr(importlib.import_module(module), name)
    return factory


# ---------------------------------------------------------------------------------- waitress
class WaitressServer:
    """waitress serving ``app`` from a pool of ``threads``: binds when created (port 0 gives a
    free port at once), serves in :meth:`serve_forever` until :meth:`shutdown`, which closes
    every connection, idle keep-alive ones included."""

    def __init__(self, app: WsgiApp, host: str, port: int, threads: int) -> None:
        from waitress.server import create_server

        self._server: Any = create_server(
            app,
            host=host,
            port=port,
            threads=threads,
            connection_limit=CONNECTION_LIMIT,
            channel_timeout=IDLE_SECONDS,
            ident="fake-conductor",
            expose_tracebacks=False,
        )
        self.port = int(self._server.effective_port)
        self.listener: socket.socket = self._server.socket
        self._done = threading.Event()

    def serve_forever(self) -> None:
        try:
            self._server.run()
        finally:
            self._done.set()

    def shutdown(self, on_closed: Callable[[], None] = lambda: None) -> None:
        """Stop accepting and close every connection, call ``on_closed()`` (to end long polls
        in progress), then return once its threads have ended."""
        # waitress's documented API starts a server (create_server(...).run()) but has no stop
        # (its maintainers say so): close() only closes the listener and the loop's wake-up
        # pipe, from outside the loop (racing with it); open connections keep the loop running
        # and the request threads are left running. So this uses the least of its inside that
        # stops cleanly: the sockets are closed inside its loop, through its trigger; the
        # request threads are joined; the trigger's own pipe goes last, once no request thread
        # can pull it any more.
        self._server.trigger.pull_trigger(self._close_sockets)
        self._done.wait(timeout=10)
        on_closed()
        self._server.task_dispatcher.shutdown(cancel_pending=True, timeout=10)
        self._server.trigger.close()

    def _close_sockets(self) -> None:
        from waitress import wasyncore

        for channel in list(self._server.active_channels.values()):
            channel.handle_close()
        wasyncore.dispatcher.close(self._server)  # the listening socket, not the trigger
        self._server.trigger.del_channel()


class WaitressBackend:
    """:class:`HttpBackend` on waitress: a :class:`WaitressServer` serving from a thread;
    ``on_closed`` runs once it stops listening (to end long polls in progress)."""

    def __init__(
        self, app: WsgiApp, host: str, port: int, threads: int, on_closed: Callable[[], None]
    ) -> None:
        self.on_closed = on_closed
        self.server = WaitressServer(app, host, port, threads)
        self.port = self.server.port
        self.listener = self.server.listener.fileno()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one stop at a time
        self.stopping = threading.Event()

    def start(self) -> WaitressBackend:
        self._thread = threading.Thread(
            target=self.server.serve_forever, name=f"fake-conductor-http-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        with self._lock:
            if self._thread is None:
                return
            # Processes forked from this one (worker processes in a test) hold its sockets too:
            # closing them here would leave them open there. Shutting the listener down stops
            # it listening in every process (and frees the port); the open connections are
            # reset, which ends them everywhere.
            listener = self.server.listener.dup()
            reset_connections(self.port)
            self.server.shutdown(on_closed=self.on_closed)
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RD)
            listener.close()
            self._thread.join(timeout=10)
            self._thread = None


def _serve_on_waitress(factory: str, host: str, port: int, threads: int, announce: str) -> None:
    served = load_factory(factory)()
    try:
        backend = WaitressBackend(served.app, host, port, threads, on_closed=served.on_stop)
    except BaseException:
        served.on_stop()
        raise
    outages = outage.serve_outages(served.faults, backend) if served.faults is not None else None
    stop = _stop_on_signals()
    backend.start()
    print(announce.replace("{root_url}", root_url(host, backend.port)), flush=True)
    stop.wait()
    if outages is not None:
        outages.stop_backend()
    else:
        backend.stop()


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    return stop


# ----------------------------------------------------------------------------------- granian
def _serve_on_granian(
    factory: str, host: str, port: int, threads: int, announce: str, log_level: str
) -> None:
    try:
        from granian import Granian
        from granian.constants import HTTPModes, Interfaces
        from granian.http import HTTP1Settings
        from granian.log import LogLevels
    except ImportError:
        raise RuntimeError(
            "granian is not installed: pip install granian, or choose waitress"
        ) from None
    if not os.path.isdir("/dev/fd"):  # how its worker finds the socket granian listens on
        raise RuntimeError("granian runs here on Linux and macOS only; choose waitress")
    _check_bindable(host, port)
    server = Granian(
        "fake_server.granian_worker:granian_worker_app",
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=1,
        factory=True,
        blocking_threads=threads,
        backpressure=CONNECTION_LIMIT,
        http=HTTPModes.http1,
        # Idle keep-alive connections are closed after this, as waitress does (granian's
        # default is 30 s).
        http1_settings=HTTP1Settings(header_read_timeout=IDLE_SECONDS * 1000),
        websockets=False,
        # granian warns, on every start, that more threads than cores is a lot: long polls
        # need them. Its errors still show; everything at DEBUG or INFO.
        log_level=LogLevels.info if log_level in ("DEBUG", "INFO") else LogLevels.error,
        log_dictconfig=_GRANIAN_LOGS_TO_STDERR,
    )
    os.environ[SERVE_VARIABLE] = json.dumps({"factory": factory, "announce": announce})
    try:
        server.serve()
    finally:
        del os.environ[SERVE_VARIABLE]


def _check_bindable(host: str, port: int) -> None:
    """An ``OSError`` now when ``host``:``port`` cannot be bound: granian's worker would only
    log it and exit."""
    if port == 0:
        return
    family = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM)[0][0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
