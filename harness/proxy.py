"""A TCP proxy on loopback that can cut the connections passing through it.

Chaos tests put it between workers and the fake server to stage a server outage that clients
see as a network fault, not as a clean HTTP error::

    with TcpProxy(server.url) as proxy:          # workers talk to proxy.url
        ...
        proxy.cut()       # every open connection is reset (RST); new ones are reset at once
        ...
        proxy.restore()   # connections go through again

Each accepted connection gets two pump threads (one per direction). ``cut()`` closes both
sockets of every connection with ``SO_LINGER`` 0, which sends a TCP reset: a client blocked in
a long poll sees ``ConnectionResetError`` at once.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from urllib.parse import urlsplit, urlunsplit

_RESET = struct.pack("ii", 1, 0)  # SO_LINGER on, timeout 0: close() sends RST


class TcpProxy:
    """Forwards ``127.0.0.1:<port>`` to the host and port of ``target_url`` (see module doc)."""

    def __init__(self, target_url: str) -> None:
        parts = urlsplit(target_url)
        if parts.hostname is None or parts.port is None:
            raise ValueError(f"target_url needs a host and a port: {target_url!r}")
        self.target_url = target_url
        self.target = (parts.hostname, parts.port)
        self._listener: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._pumps: list[threading.Thread] = []
        self._cut = False
        self._closed = threading.Event()
        self.connections_accepted = 0
        self.connections_reset = 0

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> TcpProxy:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        self._listener = listener
        self._accept_thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._accept_thread.start()
        return self

    def stop(self) -> None:
        self._closed.set()
        if self._listener is not None:
            # shutdown() wakes the accept() in progress; close() alone does not on Linux.
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
        if self._accept_thread is not None:
            self._accept_thread.join(5)
        self._reset_all()
        for pump in list(self._pumps):
            pump.join(5)

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- what tests use -----------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._listener is None:
            raise RuntimeError("the proxy is not started")
        return int(self._listener.getsockname()[1])

    @property
    def url(self) -> str:
        """``target_url`` with the proxy's address in place of the target's."""
        parts = urlsplit(self.target_url)
        return urlunsplit(parts._replace(netloc=f"127.0.0.1:{self.port}"))

    @property
    def is_cut(self) -> bool:
        return self._cut

    def cut(self) -> None:
        """Resets every open connection, and every new one until ``restore()``."""
        with self._lock:
            self._cut = True
        self._reset_all()

    def restore(self) -> None:
        """Lets connections through again."""
        with self._lock:
            self._cut = False

    # -- internals ----------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self.connections_accepted += 1
            if self._cut:
                _reset(client)
                self.connections_reset += 1
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:  # the target is down: the client sees a reset, as with no server
                _reset(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                if self._cut:
                    _reset(client)
                    _reset(upstream)
                    continue
                self._connections.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                pump = threading.Thread(target=self._pump, args=(source, sink), daemon=True)
                self._pumps.append(pump)
                pump.start()
            self._pumps = [p for p in self._pumps if p.is_alive()]

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass  # reset by cut(), or by either end: the other pump closes the pair
        finally:
            self._close_pair(source, sink)

    def _close_pair(self, *sockets: socket.socket) -> None:
        with self._lock:
            owned = [s for s in sockets if s in self._connections]
            self._connections.difference_update(owned)
        for sock in owned:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _reset_all(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, set()
        for sock in connections:
            _reset(sock)
            self.connections_reset += 1


def _reset(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RESET)
    with contextlib.suppress(OSError):
        # Wakes a recv() blocked on this socket in a pump thread, sending nothing to the peer
        # (SHUT_WR would send a FIN): the close() below then sends the reset.
        sock.shutdown(socket.SHUT_RD)
    sock.close()
