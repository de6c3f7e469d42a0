"""The WSGI servers the fake server can run on, behind one small interface.

``granian`` is a Rust HTTP server: Rust threads read and write the sockets, and up to
``threads`` Python threads call the app. ``waitress`` serves from a fixed pool of Python threads
behind a Python event loop; ``werkzeug`` starts a thread per connection. Each binds when created
(port 0 gives a free port at once), serves until :meth:`WsgiServer.shutdown`, and then closes
every connection, idle keep-alive ones included, ending long polls in progress. A long poll
holds a thread for up to 5 s, so the pools are sized for many of them (``DEFAULT_THREADS``).

Which one where (measured on a shared 2-core machine, Python 3.11, medians of 3 runs, server
CPU read from /proc; ``python -m harness bench --server-wsgi`` repeats the comparison):

- In a process of its own (``python -m fake_server``, so ``ServerHandle(mode="subprocess")``
  and the benchmark too): granian, ``CLI_BACKEND``. In the benchmark at 4 worker processes x
  10 threads, the server's CPU per task was 0.22 to 0.24 ms on granian against 0.52 to 0.55 ms
  on waitress; this SDK drained 1.7 to 2.0 times as many tasks per second, the plain
  http.client loop 2.0 to 2.6 times, and a poll+update client loop got 2.1 to 2.4 times the
  requests per second. One client's update-v2 loop: 0.29 against 0.45 ms of server CPU per
  request; a bare WSGI callable 0.14 against 0.30 ms; a bare Flask route 0.37 against 0.48 ms.
- In a thread of another program (``FakeServer``, ``ServerHandle``'s thread mode, the pytest
  plugin): waitress, ``DEFAULT_BACKEND``. granian runs there too (``backend="granian"``; the
  server's tests run on every backend; 0.31 against 0.45 ms per update-v2 request), but it is
  driven through parts that are not granian's public API (below), and a test process is where
  a fault should stay a failing test: waitress is pure Python.
- Elsewhere than Linux, the command line uses waitress as well: the embedding of granian is
  tested on Linux only.
- werkzeug measured 1.4 to 1.7 times fewer round trips per second than waitress; it stays for
  comparison.

How granian is embedded: granian's own servers take the app as an import string and run it in
worker processes they spawn (or, on a free-threaded build, threads), binding each worker's
listener themselves. Here the socket is bound first (so port 0 is known at once, before
anything is served) and its descriptor handed to one granian worker, the object granian's worker
processes run, serving from this process: the app, its engine and its timer stay in one process,
signals stay the command line's, and there is one process to stop. Those parts change between
granian's minor versions, hence the pin ``granian>=2.8,<2.9`` in pyproject.toml and the version
check in ``_granian_parts``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

BACKENDS = ("granian", "waitress", "werkzeug")
# In a process of its own (the command line, so also ServerHandle's subprocess mode and the
# benchmark): granian, the least CPU per request, where its embedding is tested. In a thread of
# another program (FakeServer, the pytest plugin): waitress. Why: the module docstring.
CLI_BACKEND = "granian" if sys.platform.startswith("linux") else "waitress"
DEFAULT_BACKEND = "waitress"
# Each long poll holds a thread, so this must exceed the workers long polling at once (one per
# worker process); more threads than that only queue up on the engine's lock (at 128 threads,
# 80 busy connections cut throughput by two thirds: see docs/benchmarks.md).
DEFAULT_THREADS = 32
# granian's worker is driven directly (see _GranianServer): the series it was written for.
GRANIAN_SERIES = "2.8."
GRANIAN_VERSIONS = ">=2.8,<2.9"
_CONNECTION_LIMIT = 1000
_BACKLOG = 1024
_STOP_SECONDS = 10.0
_IDLE_SECONDS = 60  # an idle keep-alive connection is closed after this

log = logging.getLogger(__name__)


class WsgiServer(Protocol):
    port: int

    def serve_forever(self) -> None:
        """Serve until :meth:`shutdown`; call from the thread that should do the serving."""

    def shutdown(self, on_closed: Callable[[], None] = lambda: None) -> None:
        """Stop accepting and close every connection, call ``on_closed()`` (to end long polls
        in progress), then return once serving has ended. (waitress joins its request threads
        here; werkzeug's per-connection threads end by themselves once their sockets close.)"""


def make_wsgi_server(
    app: Any,
    host: str,
    port: int,
    *,
    threads: int = DEFAULT_THREADS,
    backend: str = DEFAULT_BACKEND,
) -> WsgiServer:
    """A bound, listening server for ``app`` (not serving yet)."""
    if backend == "granian":
        return _GranianServer(app, host, port, threads)
    if backend == "waitress":
        return _WaitressServer(app, host, port, threads)
    if backend == "werkzeug":
        return _WerkzeugServer(app, host, port)
    raise ValueError(f"unknown WSGI backend {backend!r}; choose one of {', '.join(BACKENDS)}")


class _WaitressServer:
    def __init__(self, app: Any, host: str, port: int, threads: int) -> None:
        from waitress.server import create_server

        self._server = create_server(
            app,
            host=host,
            port=port,
            threads=threads,
            connection_limit=_CONNECTION_LIMIT,
            channel_timeout=_IDLE_SECONDS,
            ident="fake-conductor",
            expose_tracebacks=False,
        )
        self.port = int(self._server.effective_port)
        self._done = threading.Event()

    def serve_forever(self) -> None:
        try:
            self._server.run()
        finally:
            self._done.set()

    def shutdown(self, on_closed: Callable[[], None] = lambda: None) -> None:
        # waitress has no public stop. Its loop runs until its map of sockets is empty, so
        # close the sockets from inside the loop (a thunk given to its trigger). The trigger's
        # own pipe is closed last, once no request thread can write to it any more.
        self._server.trigger.pull_trigger(self._close_sockets)
        self._done.wait(timeout=10)
        on_closed()
        self._server.task_dispatcher.shutdown(cancel_pending=True, timeout=10)
        self._server.trigger.close()

    def _close_sockets(self) -> None:
        from waitress import wasyncore

        for dispatcher in list(self._server._map.values()):
            if dispatcher is not self._server and dispatcher is not self._server.trigger:
                dispatcher.handle_close()
        wasyncore.dispatcher.close(self._server)  # the listening socket, not the trigger
        self._server.trigger.del_channel()


class _WerkzeugServer:
    def __init__(self, app: Any, host: str, port: int) -> None:
        from werkzeug.serving import WSGIRequestHandler, make_server

        class QuietHandler(WSGIRequestHandler):
            # The app logs requests itself (logger fake_server.access), whatever the backend.
            def log_request(self, *args: Any, **kwargs: Any) -> None:
                pass

        self._server = make_server(host, port, app, threaded=True, request_handler=QuietHandler)
        self._server.daemon_threads = True
        self.port = int(self._server.port)
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        original_process = self._server.process_request

        def track(request: socket.socket, client_address: Any) -> None:
            with self._lock:
                self._connections.add(request)
            original_process(request, client_address)

        original_shutdown_request = self._server.shutdown_request

        def untrack(request: socket.socket) -> None:
            with self._lock:
                self._connections.discard(request)
            original_shutdown_request(request)

        self._server.process_request = track
        self._server.shutdown_request = untrack

    def serve_forever(self) -> None:
        self._server.serve_forever(poll_interval=0.1)

    def shutdown(self, on_closed: Callable[[], None] = lambda: None) -> None:
        self._server.shutdown()
        self._server.server_close()
        on_closed()
        # Keep-alive connections have threads of their own: end them by closing their sockets.
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)


class _GranianServer:
    """granian embedded in this process: one granian worker (a Rust runtime that does the I/O,
    and up to ``threads`` Python threads that call the app) serving a socket bound here, so that
    port 0 is known at once and the app, its engine and its timer stay in this process.

    granian's own servers take the app as an import string and run it in worker processes or
    threads that they start and stop; this drives the worker they would start, directly, with
    parts that are not granian's public API: hence the pinned version (see ``_granian_parts``).
    """

    def __init__(self, app: Any, host: str, port: int, threads: int) -> None:
        import asyncio

        parts = _granian_parts()
        self._socket = _listening_socket(host, port)
        self.port = int(self._socket.getsockname()[1])
        self._loop = asyncio.new_event_loop()  # the scheduler wants one; WSGI calls never use it
        try:
            self._scheduler = parts.scheduler(self._loop, parts.wsgi_callback(app, {}, None), True)
            self._signal = parts.WorkerSignal()
            self._worker = parts.WSGIWorker(
                1,
                (None, parts.socket_holder(self._socket.fileno())),
                None,
                threads=1,  # Rust threads doing the I/O: one is plenty next to the Python side
                py_threads=threads,
                py_threads_idle_timeout=30,
                backpressure=_CONNECTION_LIMIT,
                http_mode="1",
                # Idle keep-alive connections are closed after this, as waitress does (its
                # channel_timeout); granian's default is 30 s.
                http1_opts=parts.HTTP1Settings(header_read_timeout=_IDLE_SECONDS * 1000),
            )
        except BaseException:
            self._socket.close()
            self._loop.close()
            raise
        self._stopped = threading.Event()
        self._signal.add_cb(self._stopped.set)  # called once the worker has stopped
        self._owns_descriptor = parts.takes_descriptor
        self._lock = threading.Lock()
        self._serving = False
        self._stopping = False

    def serve_forever(self) -> None:
        with self._lock:
            if self._stopping:
                return
            self._worker.serve_mtr(self._scheduler, self._loop, self._signal)  # returns at once
            if self._owns_descriptor:
                self._socket.detach()  # granian's listener closes it when the worker stops
            self._serving = True
        self._stopped.wait()

    def shutdown(self, on_closed: Callable[[], None] = lambda: None) -> None:
        with self._lock:
            self._stopping = True
            serving = self._serving
            self._signal.set()
        if serving:
            # granian stops accepting, closes idle connections and lets requests in progress
            # finish: end the long polls among them, again until it has stopped, since a
            # request read a moment ago may only now start one.
            deadline = time.monotonic() + _STOP_SECONDS
            while not self._stopped.wait(0.05):
                on_closed()
                if time.monotonic() > deadline:
                    log.warning("granian did not stop within %s s; leaving it", _STOP_SECONDS)
                    break
        else:
            on_closed()
        self._socket.close()  # a no-op once granian has taken the descriptor
        self._loop.close()


@dataclasses.dataclass(frozen=True)
class _GranianParts:
    WSGIWorker: Any
    WorkerSignal: Any
    HTTP1Settings: Any
    scheduler: Callable[..., Any]
    wsgi_callback: Callable[..., Any]
    socket_holder: Callable[[int], Any]
    takes_descriptor: bool  # whether its listener closes the descriptor it is given


def _granian_parts() -> _GranianParts:
    """granian's pieces that ``_GranianServer`` drives; a clear error when they are missing."""
    try:
        import granian
    except ImportError:
        raise RuntimeError(
            "the granian WSGI backend needs the granian package: pip install "
            f"'granian{GRANIAN_VERSIONS}', or choose another backend ({', '.join(BACKENDS[1:])})"
        ) from None
    if not granian.__version__.startswith(GRANIAN_SERIES):
        raise RuntimeError(
            f"the granian WSGI backend drives granian's worker directly, which is tested with "
            f"granian {GRANIAN_SERIES}x only, and granian {granian.__version__} is installed: "
            f"pip install 'granian{GRANIAN_VERSIONS}', or choose another backend "
            f"({', '.join(BACKENDS[1:])})"
        )
    if sys.platform == "win32":
        raise RuntimeError(
            "the granian WSGI backend runs on Linux and other Unix systems only; "
            f"choose another backend ({', '.join(BACKENDS[1:])})"
        )
    from granian._futures import _new_cbscheduler
    from granian._granian import BUILD_GIL, SocketHolder, WorkerSignal, WSGIWorker
    from granian.http import HTTP1Settings
    from granian.wsgi import _callback_wrapper

    # The Linux build also takes the backlog (and listens itself, which is harmless here).
    linux = sys.platform.startswith(("linux", "freebsd"))
    holder = _linux_socket_holder if linux else _unix_socket_holder
    return _GranianParts(
        WSGIWorker=WSGIWorker,
        WorkerSignal=WorkerSignal,
        HTTP1Settings=HTTP1Settings,
        scheduler=_new_cbscheduler,
        wsgi_callback=_callback_wrapper,
        socket_holder=functools.partial(holder, SocketHolder),
        takes_descriptor=bool(BUILD_GIL),  # a free-threaded build listens on a copy of it
    )


def _linux_socket_holder(holder_type: Any, descriptor: int) -> Any:
    return holder_type(descriptor, False, _BACKLOG)


def _unix_socket_holder(holder_type: Any, descriptor: int) -> Any:
    return holder_type(descriptor, False)


def _listening_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port`` (an ``OSError`` when that cannot be)."""
    family = socket.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0][0]
    listener = socket.create_server((host, port), family=family, backlog=_BACKLOG)
    # Accepted connections inherit it: without it, a response that granian writes in two parts
    # (headers, then body) waits for the client's delayed ACK, 40 ms a request.
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return listener
