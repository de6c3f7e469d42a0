"""The HTTP client of async workers: polls and result deliveries on the event loop.

It speaks the same API as ``TaskClient`` (batch poll, ``update-v2`` with the fallback to
``POST /tasks``, token authentication, retries with the SDK's backoff) on one event loop: the
requests and the meaning of the answers are shared with it (``conductor.client.http._task_api``,
``conductor.client.http._auth``), the I/O is the event loop's
(``conductor.client.http._async_transport``: connections of its own, or ``aiohttp`` through a
proxy), with the same TLS and proxy settings (``conductor.client.http.connection_settings``).

Make it inside the event loop that uses it (the worker process's own loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from conductor.client.configuration.configuration import Configuration
from conductor.client.http._async_transport import NoAnswer, async_transport_for
from conductor.client.http._auth import AUTH_HEADER, TOKEN_PATH, AccessToken
from conductor.client.http._backoff import Backoff
from conductor.client.http._encoding import json_bytes, result_body
from conductor.client.http._task_api import (
    JSON_CONTENT_TYPE,
    UPDATE_PATH,
    UPDATE_V2_PATH,
    Delivery,
    UpdateRoute,
    batch_poll_path,
    batch_poll_query,
    request_status,
    task_in,
    task_path,
    tasks_in,
    uri_label,
)
from conductor.client.http._transport import Answer
from conductor.client.http.connection_settings import ConnectionSettings
from conductor.client.http.errors import (
    ConductorApiError,
    answer_error,
    json_body,
    no_answer_error,
)
from conductor.client.http.models.task import Task
from conductor.client.http.models.task_result import TaskResult

logger = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'conductor-workers[async]'"


class AsyncClientUnavailableError(RuntimeError):
    """An ``async def`` worker was started to go through a proxy without ``aiohttp``."""


def require_aiohttp(configuration: Configuration) -> None:
    """Fails with the install command when ``configuration`` sends requests through a proxy
    (which async workers leave to ``aiohttp``) and ``aiohttp`` is missing."""
    if not ConnectionSettings.of(configuration).proxy_url:
        return  # the SDK's own connections: nothing to install
    try:
        import aiohttp  # noqa: F401
    except ImportError as error:
        raise AsyncClientUnavailableError(
            "async def workers going through a proxy (configuration.proxy, or the environment's "
            f"for the server) need the aiohttp package, which is not installed: run {INSTALL_HINT}"
        ) from error


class AsyncTaskClient:
    """Polls tasks and delivers results from one event loop (see the module doc).

    Arguments:
        configuration: server URL, credentials and timeouts.
        pool_maxsize: connections kept open; make it the number of tasks in flight, plus one.

    ``on_request``, when set, is called after each call with its method, ``uri`` label,
    status label and seconds (request metrics).
    """

    on_request: Callable[[str, str, str, float], None] | None = None

    def __init__(self, configuration: Configuration, *, pool_maxsize: int) -> None:
        self.configuration = configuration
        self._base = configuration.server_api_url
        self._transport = async_transport_for(configuration, pool_maxsize=pool_maxsize)
        self._token = AccessToken(
            configuration.authentication_settings,
            configuration.auth_token_ttl_min * 60.0,
            self._base,
        )
        self._token_lock = asyncio.Lock()
        self._update_route = UpdateRoute()
        self._delivery_backoff = Backoff("Delivering task results", logger)

    async def close(self) -> None:
        await self._transport.close()

    # -- the API -----------------------------------------------------------------------------

    async def batch_poll(
        self,
        task_type: str,
        *,
        worker_id: str,
        domain: str | None = None,
        count: int = 1,
        timeout_ms: int = 0,
    ) -> list[Task]:
        """Up to ``count`` tasks; the server holds the request up to ``timeout_ms`` for one."""
        answer = await self._call(
            "GET",
            batch_poll_path(task_type),
            query=batch_poll_query(worker_id, domain, count, timeout_ms),
            read_timeout=self.configuration.read_timeout + max(timeout_ms, 0) / 1000.0,
        )
        return tasks_in(answer)

    async def update_v2(self, result: TaskResult) -> Task | None:
        """Reports a result; returns the next task of the same type, if one is ready."""
        return await self._update_v2_body(json_bytes(result.to_json()))

    async def deliver(
        self, result: TaskResult, *, stop: asyncio.Event | None = None, body: bytes | None = None
    ) -> Task | None:
        """``update_v2`` until the server has the result (transient failures retried with
        backoff; once ``stop`` is set, one last attempt). A refused result (4xx, or a 5xx whose
        error body says ``"retryable": false``) is logged once and its error raised; so is a
        result not delivered before stopping. ``body``: the result's JSON when the caller
        encoded it already (``conductor.client.http._encoding.encode_result``)."""
        if body is None:
            body = result_body(result)
        delivery = Delivery(result.task_id, self._delivery_backoff)
        while True:
            last_chance = stop is not None and stop.is_set()
            try:
                next_task = await self._update_v2_body(body)
            except ConductorApiError as error:
                wait = delivery.wait_after(error, last_chance=last_chance)
                if wait is None:
                    raise
                await _wait(wait, stop)
                continue
            delivery.succeeded()
            return next_task

    async def update(self, result: TaskResult) -> None:
        """Reports a result with ``POST /tasks`` (used for lease extensions)."""
        await self._call("POST", UPDATE_PATH, data=result_body(result))

    async def get_task(self, task_id: str) -> Task:
        return Task.from_json(json_body(await self._call("GET", task_path(task_id))))

    # -- requests ----------------------------------------------------------------------------

    async def _update_v2_body(self, body: bytes) -> Task | None:
        route = self._update_route
        if not route.returns_next_task:
            await self._call("POST", UPDATE_PATH, data=body)
            return None
        try:
            answer = await self._call("POST", UPDATE_V2_PATH, data=body)
        except ConductorApiError as error:
            if not route.may_lack_update_v2(error):
                raise
            await self._call("POST", UPDATE_PATH, data=body)
            route.update_worked(error)
            return None
        return task_in(answer)

    async def _call(
        self,
        method: str,
        path: str,
        *,
        query: str = "",
        data: bytes | None = None,
        read_timeout: float | None = None,
    ) -> Answer:
        observe = self.on_request
        if observe is None:
            return await self._call_once(method, path, query, data, read_timeout)
        started = time.monotonic()
        answer = error = None
        try:
            answer = await self._call_once(method, path, query, data, read_timeout)
            return answer
        except ConductorApiError as failed:
            error = failed
            raise
        finally:
            seconds = time.monotonic() - started
            observe(method, uri_label(path), request_status(answer, error), seconds)

    async def _call_once(
        self,
        method: str,
        path: str,
        query: str,
        data: bytes | None,
        read_timeout: float | None,
    ) -> Answer:
        token = self._token
        if token.due():
            await self._fetch_token()
        target = f"{path}?{query}" if query else path
        request = f"{method} {path}"
        sent = token.value
        answer = await self._send(method, target, data, sent, read_timeout, request)
        if answer.status == 401 and token.rejected_by(answer):
            await self._fetch_token(rejected=sent or "")
            answer = await self._send(method, target, data, token.value, read_timeout, request)
        if answer.status >= 400:
            raise answer_error(
                answer,
                request,
                self._base,
                has_key=self.configuration.authentication_settings is not None,
            )
        return answer

    async def _send(
        self,
        method: str,
        target: str,
        data: bytes | None,
        token: str | None,
        read_timeout: float | None,
        request: str,
    ) -> Answer:
        configuration = self.configuration
        timeouts = (
            configuration.connect_timeout,
            configuration.read_timeout if read_timeout is None else read_timeout,
        )
        headers = {"Content-Type": JSON_CONTENT_TYPE} if data is not None else {}
        if token is not None:
            headers[AUTH_HEADER] = token
        try:
            return await self._transport.send(method, target, headers, data, timeouts)
        except NoAnswer as error:
            raise no_answer_error(
                error.cause,
                request,
                self._base,
                timed_out=error.timed_out,
                not_connected=error.not_connected,
            ) from error

    async def _fetch_token(self, rejected: str | None = None) -> None:
        async with self._token_lock:
            if not self._token.must_fetch(rejected):
                return  # another task fetched one meanwhile (or the server has no /token)
            request, body = self._token.request()
            answer = await self._send("POST", TOKEN_PATH, body, None, None, request)
            self._token.accept(answer, request)


async def _wait(seconds: float, stop: asyncio.Event | None) -> None:
    if stop is None:
        await asyncio.sleep(seconds)
        return
    with contextlib.suppress(asyncio.TimeoutError):  # the wait is over; stop was not set
        await asyncio.wait_for(stop.wait(), seconds)
