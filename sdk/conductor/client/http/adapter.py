"""A ``requests`` transport adapter that makes its HTTP exchanges with the standard library.

``KeepAliveAdapter`` is a ``requests.adapters.HTTPAdapter``: it is mounted on a session, it
takes prepared requests and returns ``requests.Response`` objects, and it raises the
``requests`` exceptions (``ConnectionError``, ``ConnectTimeout``, ``ReadTimeout``,
``SSLError``). Only the exchange itself is different: it goes over ``http.client``
connections kept alive in a small pool per (scheme, host, port), which costs the client far
less CPU than the urllib3 stack under ``HTTPAdapter`` (a TaskClient call about a third less
in all). A worker makes a request per task, so this is much of what the SDK costs per task.

What it leaves to ``HTTPAdapter``: requests through a proxy, streamed responses
(``stream=True``) and bodies that are not plain bytes or text (files, generators). It reads
every response in full, decodes gzip and deflate bodies, and fills no cookie jar.

A kept-alive connection that the server closed while it sat idle is replaced before use when
the close is already visible. Otherwise the request is sent once more on a new connection
only when the server cannot have answered it: writing the request failed, or the server
closed the reused connection without a byte of an answer (the keep-alive race: it closed the
idle connection as the request arrived). A timeout, or an answer cut short, is never resent.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import select
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import DEFAULT_POOLSIZE, HTTPAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import DEFAULT_CA_BUNDLE_PATH, get_encoding_from_headers, select_proxy

__all__ = ["KeepAliveAdapter"]

Timeouts = float | tuple[float | None, float | None] | None
# (scheme, host, port, verify, cert): connections made with other TLS settings are not shared.
PoolKey = tuple[str, str, int, Any, Any]

DEFAULT_PORTS = {"http": 80, "https": 443}
# Failures that show the server closed the connection (a reused one: before or as the request came).
STALE_CONNECTION_ERRORS = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)


class KeepAliveAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` that sends requests over pooled ``http.client`` keep-alive connections.

    Arguments are ``HTTPAdapter``'s. ``pool_maxsize`` caps the idle connections kept per
    (scheme, host, port); every thread of the process shares them, and a thread that finds
    none idle opens one (it never waits for one, whatever ``pool_block`` says).
    ``max_retries`` applies only to the requests left to ``HTTPAdapter``.
    ``connections_opened`` counts the TCP connections it opened.
    """

    def __init__(
        self,
        pool_connections: int = 1,
        pool_maxsize: int = DEFAULT_POOLSIZE,
        max_retries: Any = 0,
        pool_block: bool = False,
    ) -> None:
        super().__init__(pool_connections, pool_maxsize, max_retries, pool_block)
        self._start_pool()

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)  # a pickled session: its adapters come back without pools
        self._start_pool()

    def _start_pool(self) -> None:
        self._idle: dict[PoolKey, list[_Pooled]] = {}
        self._idle_lock = threading.Lock()
        self._generation = 0  # moves on at close(): connections out at the time are not kept
        self._tls_contexts: dict[tuple[Any, Any], ssl.SSLContext] = {}
        self.connections_opened = 0

    # -- requests' adapter interface ---------------------------------------------------------

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Timeouts = None,
        verify: bool | str = True,
        cert: str | tuple[str, str] | None = None,
        proxies: dict[str, str] | None = None,
    ) -> requests.Response:
        body = request.body
        if (
            stream
            or (proxies and select_proxy(request.url, proxies))
            or not isinstance(body, (bytes, str, type(None)))
            or not isinstance(timeout, (tuple, float, int, type(None)))
        ):
            return super().send(request, stream, timeout, verify, cert, proxies)
        scheme, netloc, path, query, _ = urlsplit(request.url)
        if scheme not in DEFAULT_PORTS:
            return super().send(request, stream, timeout, verify, cert, proxies)
        try:
            host, port = _host_and_port(scheme, netloc)
        except ValueError as exc:
            raise requests.exceptions.InvalidURL(f"{exc}: {request.url!r}") from exc
        connect_timeout, read_timeout = _split_timeout(timeout)
        if scheme == "https":
            key = (scheme, host, port, verify, tuple(cert) if isinstance(cert, list) else cert)
        else:
            key = (scheme, host, port, None, None)
        target = (path or "/") + ("?" + query if query else "")
        if isinstance(body, str):
            body = body.encode("utf-8")
        started = time.perf_counter()
        answer, connection = self._exchange(
            key, request, target, request.headers, body, (connect_timeout, read_timeout)
        )
        return self._build(request, answer, connection, time.perf_counter() - started)

    def close(self) -> None:
        """Closes the idle connections (and ``HTTPAdapter``'s); the adapter stays usable."""
        with self._idle_lock:
            idle = [pooled for pooled_list in self._idle.values() for pooled in pooled_list]
            self._idle.clear()
            self._generation += 1
        for pooled in idle:
            pooled.http.close()
        super().close()

    # -- one exchange ------------------------------------------------------------------------

    def _exchange(
        self,
        key: PoolKey,
        request: requests.PreparedRequest,
        target: str,
        headers: Any,
        body: bytes | None,
        timeouts: tuple[float | None, float | None],
    ) -> tuple[http.client.HTTPResponse, _Pooled]:
        """Sends the request and reads the status and headers; retries a stale connection once."""
        connection, reused = self._checkout(key, timeouts[0], request)
        while True:
            try:
                return self._send_and_read_head(
                    connection, request, target, headers, body, timeouts
                )
            except _StaleConnection as stale:
                connection.http.close()
                if not reused:  # a new connection failed: that is the answer
                    raise _connection_error(stale.cause, request) from stale.cause
            # The server closed a kept-alive connection before it took our request: a new one.
            connection, reused = self._checkout(key, timeouts[0], request, fresh=True)

    def _send_and_read_head(
        self,
        connection: _Pooled,
        request: requests.PreparedRequest,
        target: str,
        headers: Any,
        body: bytes | None,
        timeouts: tuple[float | None, float | None],
    ) -> tuple[http.client.HTTPResponse, _Pooled]:
        conn = connection.http
        if conn.sock.gettimeout() != timeouts[1]:
            conn.sock.settimeout(timeouts[1])
        with _failures_while(conn, request, "sending the request", STALE_CONNECTION_ERRORS):
            conn.request(request.method, target, body, headers)
        stale_answers = (http.client.RemoteDisconnected, *STALE_CONNECTION_ERRORS)
        with _failures_while(conn, request, "reading the response", stale_answers):
            return conn.getresponse(), connection

    def _build(
        self,
        request: requests.PreparedRequest,
        answer: http.client.HTTPResponse,
        connection: _Pooled,
        elapsed: float,
    ) -> requests.Response:
        try:
            content = answer.read()
        except (OSError, http.client.HTTPException) as exc:
            connection.http.close()
            raise _transfer_error(exc, request, "reading the response body") from exc
        except BaseException:
            connection.http.close()
            raise
        self._checkin(connection)
        headers = _headers(answer)
        encoding = headers.get("content-encoding")
        if encoding and content:
            content = _decode(content, encoding, headers)
        response = requests.Response()
        response.status_code = answer.status
        response.reason = answer.reason
        response.headers = headers
        response.encoding = get_encoding_from_headers(headers)
        response._content = content
        response._content_consumed = True
        response.url = request.url
        response.request = request
        response.connection = self
        response.elapsed = timedelta(seconds=elapsed)
        return response

    # -- the pool ----------------------------------------------------------------------------

    def _checkout(
        self,
        key: PoolKey,
        connect_timeout: float | None,
        request: requests.PreparedRequest,
        fresh: bool = False,
    ) -> tuple[_Pooled, bool]:
        """An idle connection that still looks open, else a newly opened one; and which."""
        while not fresh:
            with self._idle_lock:
                idle = self._idle.get(key)
                pooled = idle.pop() if idle else None
            if pooled is None:
                break
            if _looks_open(pooled.http.sock):
                return pooled, True
            pooled.http.close()  # the server closed it while it sat idle
        return self._open(key, connect_timeout, request), False

    def _checkin(self, pooled: _Pooled) -> None:
        if pooled.http.sock is not None:  # else the server closed it (and so did http.client)
            with self._idle_lock:
                idle = self._idle.setdefault(pooled.key, [])
                if pooled.generation == self._generation and len(idle) < self._pool_maxsize:
                    idle.append(pooled)
                    return
            pooled.http.close()

    def _open(
        self, key: PoolKey, connect_timeout: float | None, request: requests.PreparedRequest
    ) -> _Pooled:
        scheme, host, port, verify, cert = key
        conn: http.client.HTTPConnection
        if scheme == "https":
            context = self._tls_context(verify, cert)
            conn = _HTTPSConnection(host, port, timeout=connect_timeout, context=context)
        else:
            conn = _HTTPConnection(host, port, timeout=connect_timeout)
        try:
            conn.connect()
        except OSError as exc:  # refusals, timeouts and TLS failures are all OSErrors
            conn.close()
            raise _connect_error(exc, host, port, connect_timeout, request) from exc
        except BaseException:
            conn.close()
            raise
        with self._idle_lock:
            self.connections_opened += 1
            return _Pooled(conn, key, self._generation)

    def _tls_context(self, verify: bool | str, cert: Any) -> ssl.SSLContext:
        context = self._tls_contexts.get((verify, cert))
        if context is None:  # made once per setting: loading a CA bundle takes milliseconds
            context = self._tls_contexts[(verify, cert)] = tls_context(verify, cert)
        return context


class _OneWrite:
    """Writes a request's head and its (bytes) body with one send instead of two.

    ``http.client`` sends them apart: a second system call, and a second segment that the
    server must read. A worker's requests are small JSON bodies, one per task, so this is a
    few percent of its CPU (and of the server's)."""

    _buffer: list[bytes]

    def _send_output(self, message_body: Any = None, encode_chunked: bool = False) -> None:
        if type(message_body) is not bytes or encode_chunked:
            super()._send_output(message_body, encode_chunked)  # type: ignore[misc]
            return
        self._buffer.extend((b"", message_body))
        message = b"\r\n".join(self._buffer)
        del self._buffer[:]
        self.send(message)  # type: ignore[attr-defined]


class _HTTPConnection(_OneWrite, http.client.HTTPConnection):
    pass


class _HTTPSConnection(_OneWrite, http.client.HTTPSConnection):
    pass


class _Pooled:
    """A connection of the pool, with its pool key and the adapter generation it belongs to."""

    __slots__ = ("generation", "http", "key")

    def __init__(self, conn: http.client.HTTPConnection, key: PoolKey, generation: int) -> None:
        self.http = conn
        self.key = key
        self.generation = generation


def tls_context(verify: bool | str, cert: str | tuple[str, str] | None) -> ssl.SSLContext:
    """The TLS settings of ``requests``' ``verify`` and ``cert`` arguments.

    ``verify``: ``True`` checks the server against requests' CA bundle, a path against that
    file or directory of CA certificates, ``False`` not at all. ``cert``: a client certificate
    file (with its key), or a (certificate, key) pair.
    """
    if verify is False:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        location = DEFAULT_CA_BUNDLE_PATH if verify is True else verify
        if not isinstance(location, str) or not os.path.exists(location):
            raise OSError(
                f"Could not find a suitable TLS CA certificate bundle, invalid path: {location}"
            )
        if os.path.isdir(location):
            context = ssl.create_default_context(capath=location)
        else:
            context = ssl.create_default_context(cafile=location)
    if cert:
        certfile, keyfile = (cert, None) if isinstance(cert, str) else cert
        context.load_cert_chain(certfile, keyfile)
    return context


class _StaleConnection(Exception):
    """The server closed the connection before it took the request (see ``_exchange``)."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


def _host_and_port(scheme: str, netloc: str) -> tuple[str, int]:
    host_port = netloc.rpartition("@")[2]
    if host_port.startswith("["):  # IPv6 literal
        host, _, rest = host_port[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port = host_port.partition(":")
    if not host:
        raise ValueError("no host in the URL")
    return host, int(port) if port else DEFAULT_PORTS[scheme]


def _split_timeout(timeout: Timeouts) -> tuple[float | None, float | None]:
    if isinstance(timeout, tuple):
        try:
            connect, read = timeout
        except ValueError:
            raise ValueError(
                f"Invalid timeout {timeout}. Pass a (connect, read) timeout tuple, "
                "or a single float to set both timeouts to the same value."
            ) from None
        return connect, read
    return timeout, timeout


@contextlib.contextmanager
def _failures_while(
    conn: http.client.HTTPConnection,
    request: requests.PreparedRequest,
    doing: str,
    stale_errors: tuple[type[BaseException], ...],
) -> Iterator[None]:
    """What fails while ``doing``: ``stale_errors`` become ``_StaleConnection`` (the caller may
    retry on a new connection), anything else closes the connection; I/O and HTTP failures are
    raised as ``requests`` errors."""
    try:
        yield
    except stale_errors as exc:
        raise _StaleConnection(exc) from exc
    except (OSError, http.client.HTTPException) as exc:
        conn.close()
        raise _transfer_error(exc, request, doing) from exc
    except BaseException:
        conn.close()
        raise


def _looks_open(sock: socket.socket | None) -> bool:
    """False when the peer already closed (or wrote to) an idle connection: it is unusable."""
    if sock is None:
        return False
    try:
        if hasattr(select, "poll"):  # select() cannot watch descriptors above 1023
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return not poller.poll(0)
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


def _headers(answer: http.client.HTTPResponse) -> CaseInsensitiveDict:
    fields = answer.getheaders()
    headers: CaseInsensitiveDict = CaseInsensitiveDict(fields)
    if len(headers) < len(fields):  # a repeated field: joined the way urllib3 joins them
        headers = CaseInsensitiveDict()
        for name, value in fields:
            earlier = headers.get(name)
            headers[name] = value if earlier is None else f"{earlier}, {value}"
    return headers


def _decode(content: bytes, encoding: str, headers: CaseInsensitiveDict) -> bytes:
    """The body without its Content-Encoding (gzip, deflate; others through urllib3)."""
    codings = [coding.strip().lower() for coding in encoding.split(",")]
    try:
        for coding in reversed(codings):
            if coding in ("gzip", "x-gzip"):
                content = zlib.decompress(content, 16 + zlib.MAX_WBITS)
            elif coding == "deflate":
                content = _inflate(content)
            elif coding not in ("", "identity"):
                return _decode_with_urllib3(content, encoding, headers)
    except zlib.error as exc:
        raise requests.exceptions.ContentDecodingError(
            f"cannot decode a {encoding!r} response body: {exc}"
        ) from exc
    return content


def _inflate(content: bytes) -> bytes:
    try:
        return zlib.decompress(content)
    except zlib.error:  # raw deflate, without the zlib header: some servers send that
        return zlib.decompress(content, -zlib.MAX_WBITS)


def _decode_with_urllib3(content: bytes, encoding: str, headers: CaseInsensitiveDict) -> bytes:
    import io

    import urllib3

    try:
        decoded = urllib3.HTTPResponse(
            body=io.BytesIO(content),
            headers=dict(headers),
            decode_content=True,
            preload_content=True,
        )
    except urllib3.exceptions.DecodeError as exc:
        raise requests.exceptions.ContentDecodingError(
            f"cannot decode a {encoding!r} response body: {exc}"
        ) from exc
    return decoded.data


def _connection_error(exc: BaseException, request: requests.PreparedRequest) -> Exception:
    return requests.ConnectionError(f"Connection aborted: {exc!r}", request=request)


def _connect_error(
    exc: OSError,
    host: str,
    port: int,
    timeout: float | None,
    request: requests.PreparedRequest,
) -> requests.RequestException:
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return requests.ConnectTimeout(
            f"connecting to {host}:{port} timed out ({timeout} s)", request=request
        )
    if isinstance(exc, ssl.SSLError):
        return requests.exceptions.SSLError(exc, request=request)
    return requests.ConnectionError(f"cannot connect to {host}:{port}: {exc}", request=request)


def _transfer_error(
    exc: OSError | http.client.HTTPException, request: requests.PreparedRequest, doing: str
) -> requests.RequestException:
    """The ``requests`` exception for a failure while sending or receiving."""
    if isinstance(exc, (TimeoutError, socket.timeout)):
        if doing == "sending the request":  # as urllib3 reports it: the connection broke
            return requests.ConnectionError(f"timed out {doing}", request=request)
        return requests.ReadTimeout(f"read timed out {doing}", request=request)
    if isinstance(exc, ssl.SSLError):
        return requests.exceptions.SSLError(exc, request=request)
    return requests.ConnectionError(f"Connection aborted while {doing}: {exc!r}", request=request)
