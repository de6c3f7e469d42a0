"""How ``AsyncTaskClient``'s requests reach the server on the event loop: a request out, status
and body back. Internal to the SDK. ``async_transport_for`` picks one of two transports for a
``Configuration``, as ``conductor.client.http._transport`` does for threads:

- ``AsyncKeepAliveTransport``, the default: connections to the one server the client talks to,
  kept open in a pool, each an ``asyncio.Protocol`` that writes a request in one piece and
  reads its answer as it comes, as ``conductor.client.http._http11`` writes and reads them.
  Why not ``aiohttp`` here: at full load an async worker makes one request per task, and
  ``aiohttp``'s client machinery was about a third of such a worker's CPU.
- ``AiohttpTransport``: through ``aiohttp``, for a proxy (``configuration.proxy``, or one the
  environment sets for the server).

Both check TLS certificates as the configuration's ``ConnectionSettings`` say, and raise
``NoAnswer`` for a request that got no answer. The kept-alive connections follow the threads'
transport's rules: one that the server closed while it sat idle is not used; a request is sent
once more, on a new connection, only when the server cannot have answered it (it closed a
reused connection without a byte of an answer); a timeout, or an answer cut short, is never
resent.
"""

from __future__ import annotations

import asyncio
import http.client
import os
import ssl
from collections.abc import Mapping
from typing import Protocol

from conductor.client.configuration.configuration import Configuration
from conductor.client.http._http11 import (
    FIXED_HEADERS,
    PROCESS_HEADER,
    AnswerParser,
    Endpoint,
    ParsedAnswer,
    connect_failure,
)
from conductor.client.http._transport import STALE_CONNECTION_ERRORS, Answer, Timeouts
from conductor.client.http.connection_settings import ConnectionSettings

__all__ = [
    "AiohttpTransport",
    "AsyncKeepAliveTransport",
    "AsyncTransport",
    "NoAnswer",
    "async_transport_for",
]


class NoAnswer(Exception):
    """A request that got no answer: ``timed_out``, and ``not_connected`` when no connection to
    the server could be made."""

    def __init__(self, cause: str, *, timed_out: bool, not_connected: bool) -> None:
        super().__init__(cause)
        self.cause = cause
        self.timed_out = timed_out
        self.not_connected = not_connected


class AsyncTransport(Protocol):
    async def send(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: bytes | None,
        timeouts: Timeouts,
    ) -> Answer:
        """Sends ``method`` to ``path`` (below the API base URL, query included)."""

    async def close(self) -> None:
        """Closes the connections; the transport opens new ones if used again."""


def async_transport_for(configuration: Configuration, *, pool_maxsize: int) -> AsyncTransport:
    """The client's own keep-alive connections, unless a proxy is set for the server, in the
    configuration or the environment (proxies are left to ``aiohttp``)."""
    settings = ConnectionSettings.of(configuration)
    url = configuration.server_api_url
    tls_context = settings.tls_context() if url.startswith("https:") else None
    if settings.proxy_url:
        return AiohttpTransport(url, settings.proxy_url, pool_maxsize, tls_context)
    return AsyncKeepAliveTransport(url, pool_maxsize=pool_maxsize, tls_context=tls_context)


class AsyncKeepAliveTransport:
    """Pooled keep-alive connections to the server of ``base_url``, on the running event loop.

    Arguments:
        base_url: the API base URL; requests go to paths below it.
        pool_maxsize: idle connections kept open; a request that finds none idle opens one.
        tls_context: for ``https``, how to check the server and what client certificate to
            show (default: ``ConnectionSettings``' defaults).
    """

    def __init__(
        self, base_url: str, *, pool_maxsize: int, tls_context: ssl.SSLContext | None = None
    ) -> None:
        self._endpoint = endpoint = Endpoint(base_url)
        self._tls: ssl.SSLContext | None = None
        if endpoint.tls:
            self._tls = tls_context or ConnectionSettings().tls_context()
        self._pool_maxsize = pool_maxsize
        self._idle: list[_Connection] = []
        self._generation = 0  # moves on at close(): connections out at the time are not kept
        self._deadlines: _Deadlines | None = None

    async def send(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: bytes | None,
        timeouts: Timeouts,
    ) -> Answer:
        message = self._endpoint.request(method, path, headers, body)
        connection = self._checkout()
        reused = connection is not None
        if connection is None:
            connection = await self._connect(timeouts[0])
        while True:
            parser = AnswerParser(method)
            try:
                answer = await connection.exchange(message, parser, timeouts[1])
            except (OSError, http.client.HTTPException) as error:  # TimeoutError is an OSError
                connection.close()
                if reused and isinstance(error, STALE_CONNECTION_ERRORS) and not parser.started:
                    # The server closed a kept-alive connection as the request came: a new one.
                    connection, reused = await self._connect(timeouts[0]), False
                    continue
                raise NoAnswer(
                    _describe(error), timed_out=isinstance(error, TimeoutError), not_connected=False
                ) from error
            except BaseException:  # cancelled mid-exchange: the answer may still come
                connection.close()
                raise
            self._checkin(connection, answer)
            return Answer(answer.status, answer.reason, answer.body)

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        self._generation += 1
        for connection in idle:
            connection.close()
        if idle:
            await asyncio.sleep(0)  # the loop closes their sockets at its next turn

    def _checkout(self) -> _Connection | None:
        idle = self._idle
        while idle:
            connection = idle.pop()
            if not connection.lost:  # else the server closed it while it sat idle
                return connection
        return None

    def _checkin(self, connection: _Connection, answer: ParsedAnswer) -> None:
        if (
            answer.reusable
            and not connection.lost
            and connection.generation == self._generation
            and len(self._idle) < self._pool_maxsize
        ):
            self._idle.append(connection)
        else:
            connection.close()

    async def _connect(self, timeout: float) -> _Connection:
        endpoint, generation = self._endpoint, self._generation
        where = f"{endpoint.host}:{endpoint.port}"
        loop = asyncio.get_running_loop()
        deadlines = self._deadlines
        if deadlines is None or deadlines.loop is not loop:
            deadlines = self._deadlines = _Deadlines(loop)
        try:
            _, connection = await asyncio.wait_for(
                loop.create_connection(
                    lambda: _Connection(deadlines, generation),
                    endpoint.host,
                    endpoint.port,
                    ssl=self._tls,
                    server_hostname=endpoint.host if self._tls is not None else None,
                ),
                timeout,
            )
        except OSError as error:  # TimeoutError and ssl.SSLError are OSErrors
            message = connect_failure(error, where, timeout) or repr(error)
            timed_out = isinstance(error, TimeoutError)
            raise NoAnswer(message, timed_out=timed_out, not_connected=True) from error
        return connection


class _Connection(asyncio.Protocol):
    """One kept-alive connection: the answer to the request in flight is fed to its parser as
    the bytes come; ``lost`` once the connection ended (either side closed it)."""

    def __init__(self, deadlines: _Deadlines, generation: int) -> None:
        self.deadlines = deadlines
        self.generation = generation
        self.lost = False
        self._transport: asyncio.Transport | None = None
        self._parser: AnswerParser | None = None
        self._answer: asyncio.Future[ParsedAnswer] | None = None

    async def exchange(
        self, message: bytes, parser: AnswerParser, read_timeout: float
    ) -> ParsedAnswer:
        """Sends ``message``; the answer that ``parser`` reads from what comes back."""
        transport = self._transport
        if transport is None or self.lost:
            raise http.client.RemoteDisconnected("the connection closed before the request")
        deadlines = self.deadlines
        answer: asyncio.Future[ParsedAnswer] = deadlines.loop.create_future()
        self._answer, self._parser = answer, parser
        deadlines.add(answer, read_timeout)
        try:
            transport.write(message)
            return await answer
        finally:
            deadlines.discard(answer)
            self._parser = self._answer = None

    def close(self) -> None:
        self.lost = True
        if self._transport is not None:
            self._transport.close()

    # -- asyncio.Protocol --------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]  # a stream transport

    def data_received(self, data: bytes) -> None:
        parser, answer = self._parser, self._answer
        if parser is None or answer is None or answer.done():
            self.close()  # bytes nobody asked for (or too late): the connection is unusable
            return
        try:
            whole = parser.feed(data)
        except http.client.HTTPException as error:
            answer.set_exception(error)
            return
        if whole is not None:
            answer.set_result(whole)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        parser, answer = self._parser, self._answer
        if parser is None or answer is None or answer.done():
            return
        if exc is not None and parser.started:
            answer.set_exception(exc)
            return
        try:
            answer.set_result(parser.closed())  # a body that ends with the connection
        except http.client.HTTPException as error:  # RemoteDisconnected, IncompleteRead
            answer.set_exception(error)


TIMER_SLACK = 0.001  # a loop may run a timer this much early (its clock's resolution, and more)


class _Deadlines:
    """The read timeouts of the answers awaited on one event loop, watched by one timer set for
    the earliest of them. A timer per request cost a worker about as much CPU as reading its
    answer (the loop's heap of timers is ordered in Python); here a request only adds and
    removes a dict entry, and the timer fires about once per read timeout."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._awaited: dict[asyncio.Future[ParsedAnswer], tuple[float, float]] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = float("inf")

    def add(self, answer: asyncio.Future[ParsedAnswer], seconds: float) -> None:
        """``answer`` fails with ``TimeoutError`` unless it comes within ``seconds``."""
        at = self.loop.time() + seconds
        self._awaited[answer] = (at, seconds)
        if at < self._timer_at:
            self._set_timer(at)

    def discard(self, answer: asyncio.Future[ParsedAnswer]) -> None:
        self._awaited.pop(answer, None)  # the timer, when it fires, finds it gone

    def _set_timer(self, at: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._timer_at = self.loop.call_at(at, self._expire), at

    def _expire(self) -> None:
        self._timer, self._timer_at = None, float("inf")
        now, earliest = self.loop.time() + TIMER_SLACK, float("inf")
        for answer, (at, seconds) in list(self._awaited.items()):
            if at <= now:
                del self._awaited[answer]
                if not answer.done():
                    answer.set_exception(TimeoutError(f"no answer within {seconds} s"))
            else:
                earliest = min(earliest, at)
        if earliest < float("inf"):
            self._set_timer(earliest)


def _describe(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return f"read timed out ({error})"
    return f"Connection aborted while reading the response: {error!r}"


class AiohttpTransport:
    """Requests through ``aiohttp`` (for a proxy): its connection pool, up to
    ``pool_maxsize`` connections."""

    def __init__(
        self,
        base_url: str,
        proxy: str,
        pool_maxsize: int,
        tls_context: ssl.SSLContext | None,
    ) -> None:
        import aiohttp

        self._base_url = base_url
        self._proxy = proxy
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                limit=pool_maxsize, ssl=tls_context if tls_context is not None else True
            ),
            headers={**FIXED_HEADERS, PROCESS_HEADER: str(os.getpid())},
        )

    async def send(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: bytes | None,
        timeouts: Timeouts,
    ) -> Answer:
        import aiohttp

        timeout = aiohttp.ClientTimeout(connect=timeouts[0], sock_read=timeouts[1])
        try:
            async with self._session.request(
                method,
                self._base_url + path,
                data=body,
                headers=dict(headers),
                timeout=timeout,
                proxy=self._proxy,
            ) as response:
                return Answer(response.status, response.reason or "", await response.read())
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            raise NoAnswer(
                repr(error),
                timed_out=isinstance(error, TimeoutError),
                not_connected=isinstance(error, (aiohttp.ClientConnectorError, OSError)),
            ) from error

    async def close(self) -> None:
        await self._session.close()
