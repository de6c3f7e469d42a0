"""The HTTP client of async workers: polls and result deliveries over ``aiohttp``.

It speaks the same API as ``TaskClient`` (batch poll, ``update-v2`` with the fallback to
``POST /tasks``, token authentication, retries with the SDK's backoff) on one event loop.
``aiohttp`` comes with the ``[async]`` extra: measured side by side at 100 requests in flight,
it used about a fortieth of ``httpx``'s client CPU per request (see docs/benchmarks.md).

Make it inside the event loop that uses it (the worker process's own loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any
from urllib.parse import quote, urlencode

from conductor.client.configuration.configuration import Configuration
from conductor.client.http.auth import renewal_time
from conductor.client.http.backoff import Backoff
from conductor.client.http.encoding import json_bytes, result_body
from conductor.client.http.errors import (
    ConductorApiError,
    ConductorAuthError,
    error_from_body,
    is_transient_status,
)
from conductor.client.http.models.task import Task
from conductor.client.http.models.task_result import TaskResult

logger = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'conductor-workers[async]'"
AUTH_HEADER = "X-Authorization"
TOKEN_ERRORS = frozenset({"EXPIRED_TOKEN", "INVALID_TOKEN"})
USER_AGENT = "conductor-workers-python"


class AsyncClientUnavailableError(RuntimeError):
    """An ``async def`` worker was started without ``aiohttp`` installed."""


def require_aiohttp() -> None:
    """Fails with the install command when ``aiohttp`` is missing."""
    try:
        import aiohttp  # noqa: F401
    except ImportError as error:
        raise AsyncClientUnavailableError(
            f"async def workers need the aiohttp package, which is not installed: run "
            f"{INSTALL_HINT}"
        ) from error


class AsyncTaskClient:
    """Polls tasks and delivers results from one event loop (see the module doc).

    Arguments:
        configuration: server URL, credentials and timeouts.
        pool_maxsize: connections kept open; make it the number of tasks in flight, plus one.
    """

    def __init__(self, configuration: Configuration, *, pool_maxsize: int) -> None:
        import aiohttp

        self.configuration = configuration
        self._base = configuration.server_api_url
        self._auth = configuration.authentication_settings
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=pool_maxsize),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            timeout=aiohttp.ClientTimeout(
                connect=configuration.connect_timeout, sock_read=configuration.read_timeout
            ),
        )
        self._token: str | None = None
        self._renew_at = 0.0
        self._auth_disabled = self._auth is None
        self._token_lock = asyncio.Lock()
        self._update_v2 = True
        self._delivery_backoff = Backoff("Delivering task results", logger)

    async def close(self) -> None:
        await self._session.close()

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
        params = {"workerid": worker_id, "count": str(count), "timeout": str(int(timeout_ms))}
        if domain:
            params["domain"] = domain
        path = f"/tasks/poll/batch/{quote(task_type, safe='')}?{urlencode(params)}"
        read_timeout = self.configuration.read_timeout + max(timeout_ms, 0) / 1000.0
        status, body = await self._call("GET", path, read_timeout=read_timeout)
        data = _json(body) if status != 204 else None
        return [Task.from_dict(item) for item in data] if isinstance(data, list) else []

    async def update_v2(self, result: TaskResult) -> Task | None:
        """Reports a result; returns the next task of the same type, if one is ready."""
        return await self._update_v2_body(json_bytes(result.to_json()))

    async def deliver(
        self, result: TaskResult, *, stop: asyncio.Event | None = None
    ) -> Task | None:
        """``update_v2`` until the server has the result (transient failures retried with
        backoff; once ``stop`` is set, one last attempt). A refused result (4xx, or a 5xx whose
        error body says ``"retryable": false``) is logged once and its error raised; so is a
        result not delivered before stopping."""
        body = result_body(result)
        retry = 0
        while True:
            last_chance = stop is not None and stop.is_set()
            try:
                next_task = await self._update_v2_body(body)
            except ConductorApiError as error:
                if not error.transient:
                    logger.error("Result of task %s was refused: %s", result.task_id, error)
                    raise
                self._delivery_backoff.failed(error)
                if last_chance:
                    logger.error(
                        "Result of task %s not delivered: stopping while the server is "
                        "unreachable (%s)",
                        result.task_id,
                        error,
                    )
                    raise
                await _wait(self._delivery_backoff.delay(retry), stop)
                retry += 1
                continue
            self._delivery_backoff.succeeded()
            return next_task

    async def update(self, result: TaskResult) -> None:
        """Reports a result with ``POST /tasks`` (used for lease extensions)."""
        await self._call("POST", "/tasks", data=result_body(result))

    async def get_task(self, task_id: str) -> Task:
        status, body = await self._call("GET", f"/tasks/{quote(task_id, safe='')}")
        return Task.from_dict(_json(body))

    # -- requests ----------------------------------------------------------------------------

    async def _update_v2_body(self, body: bytes) -> Task | None:
        if not self._update_v2:
            await self._call("POST", "/tasks", data=body)
            return None
        try:
            status, answer = await self._call("POST", "/tasks/update-v2", data=body)
        except ConductorApiError as error:
            if error.status not in (404, 405):
                raise
            await self._call("POST", "/tasks", data=body)  # proves the endpoint is missing
            self._update_v2 = False
            logger.info(
                "Server has no /tasks/update-v2 (HTTP %s): results go to POST /tasks from now on",
                error.status,
            )
            return None
        data = _json(answer) if status != 204 else None
        return Task.from_dict(data) if isinstance(data, dict) else None

    async def _call(
        self,
        method: str,
        path: str,
        *,
        data: bytes | None = None,
        read_timeout: float | None = None,
    ) -> tuple[int, bytes]:
        request = f"{method} {path.split('?', 1)[0]}"
        headers = await self._headers()
        status, body = await self._send(method, path, data, headers, read_timeout, request)
        if status == 401 and not self._auth_disabled and _error_code(body) in TOKEN_ERRORS:
            logger.info("Server answered %s: renewing the access token", _error_code(body))
            await self._fetch_token(rejected=headers.get(AUTH_HEADER))
            headers = await self._headers()
            status, body = await self._send(method, path, data, headers, read_timeout, request)
        if status >= 400:
            raise error_from_body(status, body, None, request)
        return status, body

    async def _send(
        self,
        method: str,
        path: str,
        data: bytes | None,
        headers: dict[str, str],
        read_timeout: float | None,
        request: str,
    ) -> tuple[int, bytes]:
        import aiohttp

        timeout = None
        if read_timeout is not None:
            timeout = aiohttp.ClientTimeout(
                connect=self.configuration.connect_timeout, sock_read=read_timeout
            )
        if data is not None:
            headers = {**headers, "Content-Type": "application/json"}
        try:
            async with self._session.request(
                method, self._base + path, data=data, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as error:
            kind = "timed out" if isinstance(error, asyncio.TimeoutError) else "connection error"
            raise ConductorApiError(
                f"{kind}: {error!r}", status=None, transient=True, request=request
            ) from error

    # -- authentication ----------------------------------------------------------------------

    async def _headers(self) -> dict[str, str]:
        if self._auth_disabled:
            return {}
        if self._token is None or time.time() >= self._renew_at:
            await self._fetch_token(rejected=None)
        return {AUTH_HEADER: self._token} if self._token else {}

    async def _fetch_token(self, rejected: str | None) -> None:
        async with self._token_lock:
            if self._auth_disabled or self._auth is None:
                return
            fresh = self._token is not None and time.time() < self._renew_at
            if fresh and (rejected is None or self._token != rejected):
                return  # another task renewed it meanwhile
            key_id = self._auth.key_id
            request = f"POST /token (key id {key_id!r})"
            body = json_bytes({"keyId": key_id, "keySecret": self._auth.key_secret})
            status, answer = await self._send("POST", "/token", body, {}, None, request)
            if status == 404:
                self._auth_disabled = True
                logger.info(
                    "Server %s has no /token endpoint: requests go without a token", self._base
                )
                return
            if status in (401, 403):
                raise ConductorAuthError(
                    f"the server refused application key id {key_id!r}: {_message(answer, status)}",
                    status=status,
                    request=request,
                )
            token = _json(answer).get("token") if status < 400 and _json(answer) else None
            if not isinstance(token, str) or not token:
                raise ConductorApiError(
                    _message(answer, status),
                    status=status,
                    transient=is_transient_status(status),
                    request=request,
                )
            self._token = token
            self._renew_at = renewal_time(
                token, time.time(), self.configuration.auth_token_ttl_min * 60.0
            )


def _json(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def _error_code(body: bytes) -> Any:
    data = _json(body)
    return data.get("error") if isinstance(data, dict) else None


def _message(body: bytes, status: int) -> str:
    data = _json(body)
    if isinstance(data, dict):
        for key in ("message", "error"):
            value = data.get(key)
            if isinstance(value, str) and value:
                return value
    text = body.decode("utf-8", "replace").strip()
    return text[:500] or f"HTTP {status}"


async def _wait(seconds: float, stop: asyncio.Event | None) -> None:
    if stop is None:
        await asyncio.sleep(seconds)
        return
    with contextlib.suppress(asyncio.TimeoutError):  # the wait is over; stop was not set
        await asyncio.wait_for(stop.wait(), seconds)
