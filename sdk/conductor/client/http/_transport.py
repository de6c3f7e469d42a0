"""How the synchronous clients' requests reach the server: a request out, status and body
back. Internal to the SDK: an ``ApiConnection`` (``TaskClient``'s, ``MetadataClient``'s) sends
over one of two transports, which ``transport_for`` picks for a ``Configuration``:

- ``KeepAliveTransport``, the default: connections to the one server the client talks to, kept
  open in a small pool that the process's threads share. Each request goes out in one write,
  and its answer is read as it comes, both as ``conductor.client.http._http11`` writes and
  reads them. Why not ``requests``: at full load a worker makes one request per task, and a
  ``TaskClient`` call through a keep-alive ``requests.Session`` measured about five times the
  client CPU of one through this transport (docs/benchmarks.md, "The SDK's own transport").
- ``SessionTransport``: through a ``requests.Session``, for what the first one does not do:
  a proxy (``configuration.proxy``, or one the environment sets for the server), or a session
  the application passes in.

Both check TLS certificates as the configuration's ``ConnectionSettings`` say
(``conductor.client.http.connection_settings``).

Both raise ``requests``' exceptions for a request that got no answer (``ConnectionError``,
``ConnectTimeout``, ``ReadTimeout``, ``SSLError``). A kept-alive connection that the server
closed while it sat idle is replaced before use when the close is already visible; otherwise
the request is sent once more, on a new connection, only when the server cannot have answered
it: writing the request failed, or the server closed the reused connection without a byte of
an answer (it closed the idle connection as the request arrived). A timeout, or an answer cut
short, is never resent.
"""

from __future__ import annotations

import http.client
import os
import select
import socket
import ssl
import threading
from collections.abc import Mapping
from typing import Any, NamedTuple, Protocol

import requests

from conductor.client.configuration.configuration import Configuration
from conductor.client.http._http11 import (
    FIXED_HEADERS,
    PROCESS_HEADER,
    AnswerParser,
    Endpoint,
    ParsedAnswer,
    connect_failure,
)
from conductor.client.http.connection_settings import ConnectionSettings

__all__ = ["Answer", "KeepAliveTransport", "SessionTransport", "Transport", "transport_for"]

Timeouts = tuple[float, float]  # (connect, read) seconds

RECEIVE_BYTES = 65536
# How a reused connection shows that the server closed it before or as the request came.
STALE_CONNECTION_ERRORS = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)


class Answer(NamedTuple):
    """The server's answer, as much of it as the clients read."""

    status: int
    reason: str
    body: bytes


class Transport(Protocol):
    def send(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: bytes | None,
        timeouts: Timeouts,
    ) -> Answer:
        """Sends ``method`` to ``path`` (below the API base URL, query included)."""

    def close(self) -> None:
        """Closes idle connections; the transport opens new ones if used again."""


def transport_for(
    configuration: Configuration, *, pool_maxsize: int, session: requests.Session | None = None
) -> Transport:
    """The client's own keep-alive connections, unless a session is given or a proxy is set
    for the server, in the configuration or the environment (proxies are left to
    ``requests``). TLS and proxy settings: ``ConnectionSettings``."""
    settings = ConnectionSettings.of(configuration)
    url = configuration.server_api_url
    if session is not None:
        if settings.verify and not settings.check_hostname:
            raise ValueError(
                "Configuration: assert_hostname=False cannot be applied to a requests.Session "
                "passed in: mount an HTTPAdapter that skips the host name check on it instead"
            )
        return SessionTransport(session, url, owned=False, options=settings.request_options())
    if settings.proxy_url:
        return SessionTransport(
            settings.session(), url, owned=True, options=settings.request_options()
        )
    tls_context = settings.tls_context() if url.startswith("https:") else None
    return KeepAliveTransport(url, pool_maxsize=pool_maxsize, tls_context=tls_context)


class SessionTransport:
    """Sends through a ``requests.Session``: its adapters, proxies and TLS settings, except
    where ``options`` (``requests`` arguments given with each request) say otherwise.
    ``close()`` closes the session only when it is ``owned`` (made for this transport)."""

    def __init__(
        self,
        session: requests.Session,
        base_url: str,
        *,
        owned: bool,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        self.session = session
        self._base_url = base_url
        self._owned = owned
        self._options = dict(options or {})  # sent with each request: verify, cert, proxies

    def send(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: bytes | None,
        timeouts: Timeouts,
    ) -> Answer:
        response = self.session.request(
            method,
            self._base_url + path,
            data=body,
            headers={**FIXED_HEADERS, PROCESS_HEADER: str(os.getpid()), **headers},
            timeout=timeouts,
            **self._options,
        )
        return Answer(response.status_code, response.reason, response.content)

    def close(self) -> None:
        if self._owned:
            self.session.close()


class KeepAliveTransport:
    """Pooled keep-alive connections to the server of ``base_url``.

    Arguments:
        base_url: the API base URL; requests go to paths below it.
        pool_maxsize: idle connections kept open; a thread that finds none idle opens one.
        tls_context: for ``https``, how to check the server and what client certificate to
            show (default: ``ConnectionSettings``' defaults, ``requests``' CA bundle).
    """

    def __init__(
        self, base_url: str, *, pool_maxsize: int, tls_context: ssl.SSLContext | None = None
    ) -> None:
        self._endpoint = endpoint = Endpoint(base_url)
        self._host, self._port = endpoint.host, endpoint.port
        self._tls: ssl.SSLContext | None = None
        if endpoint.tls:
            self._tls = tls_context or ConnectionSettings().tls_context()
        self._pool_maxsize = pool_maxsize
        self._idle: list[socket.socket] = []
        self._lock = threading.Lock()
        self._generation = 0  # moves on at close(): connections out at the time are not kept

    def send(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: bytes | None,
        timeouts: Timeouts,
    ) -> Answer:
        message = self._endpoint.request(method, path, headers, body)
        connection, reused = self._checkout(timeouts[0])
        while True:
            try:
                return self._exchange(connection, method, message, timeouts[1])
            except _StaleConnection as stale:
                connection.close()
                if not reused:  # a new connection failed: that is the answer
                    raise requests.ConnectionError(f"Connection aborted: {stale.cause!r}") from (
                        stale.cause
                    )
            # The server closed a kept-alive connection before it took the request: a new one.
            connection, reused = self._connect(timeouts[0]), False

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
            self._generation += 1
        for connection in idle:
            connection.close()

    # -- one exchange ------------------------------------------------------------------------

    def _exchange(
        self, connection: _Connection, method: str, message: bytes, read_timeout: float
    ) -> Answer:
        sock = connection.sock
        parser = AnswerParser(method)
        doing = "sending the request"
        try:
            if sock.gettimeout() != read_timeout:
                sock.settimeout(read_timeout)
            sock.sendall(message)
            doing = "reading the response"
            answer = _receive(sock, parser)
        except BaseException as exc:
            stale = isinstance(exc, STALE_CONNECTION_ERRORS)  # RemoteDisconnected is one
            if stale and not parser.started:  # else the server did answer
                raise _StaleConnection(exc) from exc
            connection.close()
            if isinstance(exc, (OSError, http.client.HTTPException)):
                raise _transfer_error(exc, doing) from exc
            raise
        if answer.reusable:
            self._checkin(connection)
        else:
            connection.close()
        return Answer(answer.status, answer.reason, answer.body)

    # -- the pool ----------------------------------------------------------------------------

    def _checkout(self, connect_timeout: float) -> tuple[_Connection, bool]:
        """An idle connection that still looks open, else a new one; and which of the two."""
        while True:
            with self._lock:
                sock = self._idle.pop() if self._idle else None
                generation = self._generation
            if sock is None:
                return self._connect(connect_timeout), False
            if _looks_open(sock):
                return _Connection(sock, generation), True
            sock.close()  # the server closed it while it sat idle

    def _checkin(self, connection: _Connection) -> None:
        with self._lock:
            if connection.generation == self._generation and len(self._idle) < self._pool_maxsize:
                self._idle.append(connection.sock)
                return
        connection.close()

    def _connect(self, timeout: float) -> _Connection:
        with self._lock:
            generation = self._generation
        where = f"{self._host}:{self._port}"
        sock: socket.socket | None = None
        try:
            sock = socket.create_connection((self._host, self._port), timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._tls is not None:
                sock = self._tls.wrap_socket(sock, server_hostname=self._host)
        except BaseException as exc:
            if sock is not None:
                sock.close()
            message = connect_failure(exc, where, timeout)
            if message is None:
                raise
            if isinstance(exc, TimeoutError):
                raise requests.ConnectTimeout(message) from exc
            if isinstance(exc, ssl.SSLError):
                raise requests.exceptions.SSLError(message) from exc
            raise requests.ConnectionError(message) from exc
        return _Connection(sock, generation)


class _Connection:
    """A socket of the pool, with the pool generation it belongs to."""

    __slots__ = ("generation", "sock")

    def __init__(self, sock: socket.socket, generation: int) -> None:
        self.sock = sock
        self.generation = generation

    def close(self) -> None:
        self.sock.close()


class _StaleConnection(Exception):
    """The server closed the connection before it took the request (see the module doc)."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


def _receive(sock: socket.socket, parser: AnswerParser) -> ParsedAnswer:
    """The answer, read from ``sock`` as it comes."""
    while True:
        data = sock.recv(RECEIVE_BYTES)
        if not data:
            return parser.closed()
        answer = parser.feed(data)
        if answer is not None:
            return answer


def _looks_open(sock: socket.socket) -> bool:
    """False when the peer already closed (or wrote to) an idle connection: it is unusable."""
    try:
        poller = select.poll()  # select.select() cannot watch descriptors above 1023
        poller.register(sock, select.POLLIN)
        return not poller.poll(0)
    except OSError:
        return False


def _transfer_error(exc: OSError | http.client.HTTPException, doing: str) -> Exception:
    """The ``requests`` exception for a failure while sending or receiving."""
    if isinstance(exc, TimeoutError):
        if doing == "sending the request":  # as urllib3 reports it: the connection broke
            return requests.ConnectionError(f"timed out {doing}")
        return requests.ReadTimeout(f"read timed out {doing}")
    if isinstance(exc, ssl.SSLError):
        return requests.exceptions.SSLError(f"TLS failed {doing}: {exc}")
    return requests.ConnectionError(f"Connection aborted while {doing}: {exc!r}")
