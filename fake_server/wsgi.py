"""The WSGI servers the fake server can run on, behind one small interface.

``waitress`` (the default) serves from a fixed pool of threads; ``werkzeug`` starts a thread per
connection. Both bind when created (port 0 gives a free port at once), serve until
:meth:`WsgiServer.shutdown`, and then close every connection, idle keep-alive ones included.
A long poll holds a thread for up to 5 s, so the waitress pool is sized for many of them.
waitress is the default because it measured 1.4 to 1.7 times the round trips per second of
werkzeug's threaded server (``python -m fake_server.roundtrips`` repeats the measurement).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from typing import Any, Protocol

BACKENDS = ("waitress", "werkzeug")
DEFAULT_BACKEND = "waitress"
# Each long poll holds a thread, so this must exceed the workers long polling at once (one per
# worker process); more threads than that only queue up on the engine's lock (at 128 threads,
# 80 busy connections cut throughput by two thirds: see docs/benchmarks.md).
DEFAULT_THREADS = 32
_CONNECTION_LIMIT = 1000


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
            channel_timeout=60,
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
