"""The compact HTTP client a worker uses: poll, update, log, fetch a task.

One ``TaskClient`` serves every thread of one process: its connections, token and locks belong
to the process that made it, so each process makes its own (``TaskHandler``'s worker processes
do), and a client cannot be pickled. Requests go over the client's own keep-alive connections
(``conductor.client.http.transport``), or through a ``requests.Session``: one passed in, or one
made when the environment sets a proxy for the server (``HTTP_PROXY``, ``HTTPS_PROXY``,
``NO_PROXY``). ``REQUESTS_CA_BUNDLE`` (or ``CURL_CA_BUNDLE``) names the CA certificates that an
``https`` server is checked against, as with ``requests``. Every request carries a
``(connect, read)`` timeout, and a long poll's read timeout covers the poll's own wait.

Authentication: with ``configuration.authentication_settings`` set, the client obtains a token
from ``POST /token`` and sends it as ``X-Authorization``. It renews the token shortly before
the JWT ``exp`` claim (or every ``auth_token_ttl_min`` minutes when there is none), and once
more when the server answers 401 ``EXPIRED_TOKEN``/``INVALID_TOKEN`` (then the call is retried
once). A server without ``/token`` (404) has no authentication: requests go without a token.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any, NoReturn
from urllib.parse import quote, urlencode

import requests

from conductor.client.configuration.configuration import Configuration
from conductor.client.http.auth import renewal_time
from conductor.client.http.backoff import Backoff
from conductor.client.http.encoding import json_bytes, result_body
from conductor.client.http.errors import (
    ConductorApiError,
    ConductorAuthError,
    error_from_exception,
    error_from_response,
    json_body,
    server_message,
)
from conductor.client.http.models.task import Task
from conductor.client.http.models.task_result import TaskResult
from conductor.client.http.transport import (
    Answer,
    KeepAliveTransport,
    SessionTransport,
    Transport,
)

__all__ = ["ConductorApiError", "ConductorAuthError", "TaskClient"]

logger = logging.getLogger(__name__)

AUTH_HEADER = "X-Authorization"
TOKEN_ERRORS = frozenset({"EXPIRED_TOKEN", "INVALID_TOKEN"})
DEFAULT_POOL_MAXSIZE = 32
JSON_CONTENT_TYPE = "application/json"


class TaskClient:
    """Polls tasks and delivers their results over keep-alive connections.

    Arguments:
        configuration: server URL, credentials and timeouts.
        pool_maxsize: connections kept open; make it at least the number of threads that
            share this client.
        sleep: how ``deliver`` waits between attempts when it has no ``stop`` event
            (``time.sleep``); tests pass a recorder instead.
        jitter: a source of numbers in ``[0, 1)`` for the backoff's jitter (default
            ``random.random``); see ``conductor.client.http.backoff``.
        session: send every request through this ``requests.Session`` (its adapters, proxies
            and TLS settings) instead of the client's own connections; ``close()`` leaves it
            open.
    """

    def __init__(
        self,
        configuration: Configuration,
        *,
        pool_maxsize: int = DEFAULT_POOL_MAXSIZE,
        sleep: Callable[[float], Any] | None = None,
        jitter: Callable[[], float] | None = None,
        session: requests.Session | None = None,
    ) -> None:
        if pool_maxsize < 1:
            raise ValueError(f"TaskClient: pool_maxsize={pool_maxsize!r} must be at least 1")
        self.configuration = configuration
        self.pool_maxsize = pool_maxsize
        self._base = configuration.server_api_url
        self._auth = configuration.authentication_settings
        self._timeout = (configuration.connect_timeout, configuration.read_timeout)
        self._sleep = sleep
        self._delivery_backoff = Backoff("Delivering task results", logger, jitter=jitter)
        self._update_v2 = True  # False once the server showed it has no /tasks/update-v2
        self._transport = _transport(self._base, pool_maxsize, session)
        self._token_lock = threading.Lock()
        self._token: str | None = None
        self._renew_at = 0.0  # epoch seconds; 0 = fetch before the first request
        self._auth_disabled = False

    # -- the API -----------------------------------------------------------------------------

    def poll(self, task_type: str, *, worker_id: str, domain: str | None = None) -> Task | None:
        """One task of ``task_type`` for this worker, or ``None`` when none is ready."""
        path = "/tasks/poll/" + _task_type_segment(task_type)
        data = json_body(self._call("GET", path, query=_poll_query(worker_id, domain)))
        return Task.from_dict(data) if isinstance(data, dict) else None

    def batch_poll(
        self,
        task_type: str,
        *,
        worker_id: str,
        domain: str | None = None,
        count: int = 1,
        timeout_ms: int = 0,
    ) -> list[Task]:
        """Up to ``count`` tasks; the server holds the request up to ``timeout_ms`` for one."""
        if count < 1:
            return []
        query = f"{_poll_query(worker_id, domain)}&count={count}&timeout={int(timeout_ms)}"
        answer = self._call(
            "GET",
            "/tasks/poll/batch/" + _task_type_segment(task_type),
            query=query,
            read_timeout=self._timeout[1] + max(timeout_ms, 0) / 1000.0,
        )
        data = json_body(answer)
        return [Task.from_dict(item) for item in data] if isinstance(data, list) else []

    def update(self, result: TaskResult) -> str:
        """Reports a result with ``POST /tasks``; returns the task id the server echoes."""
        answer = self._call("POST", "/tasks", data=json_bytes(result.to_json()))
        return answer.body.decode("utf-8", "replace")

    def update_v2(self, result: TaskResult) -> Task | None:
        """Reports a result and receives the next task of the same type, if one is ready.

        A server without ``/tasks/update-v2`` (404 or 405) gets the result by ``POST /tasks``
        instead, and this client uses ``/tasks`` from then on; the answer is then ``None``.
        """
        return self._update_v2_body(json_bytes(result.to_json()))

    def deliver(
        self,
        result: TaskResult,
        *,
        stop: threading.Event | None = None,
        on_failure: Callable[[ConductorApiError], Any] | None = None,
    ) -> Task | None:
        """``update_v2`` until the server has the result; returns the next task, if any.

        Transient failures (no connection, timeouts, 5xx, 429) are retried with the SDK's
        backoff (``conductor.client.http.backoff``), for as long as it takes, unless ``stop``
        is set: then one last attempt is made. A refused update (other 4xx, and a 5xx whose
        Conductor error body says ``"retryable": false``, such as the 500 Conductor answers to
        a result it cannot read) is logged once with the server's message and not retried.
        A result whose output cannot be sent as JSON (a value JSON has no form for, NaN, a
        circular reference) is reported as a ``FAILED`` task whose reason names the offending
        value's type; its logs are kept. Returns ``None`` when
        there is no next task or the result was not delivered; ``on_failure``, when given, is
        then called with the last error.
        """
        body = result_body(result)
        retry = 0
        while True:
            last_chance = stop is not None and stop.is_set()
            try:
                next_task = self._update_v2_body(body)
            except ConductorApiError as exc:
                if not exc.transient:
                    logger.error("Result of task %s was refused: %s", result.task_id, exc)
                    if on_failure is not None:
                        on_failure(exc)
                    return None
                self._delivery_backoff.failed(exc)
                if last_chance:
                    logger.error(
                        "Result of task %s not delivered: stopping while the server is "
                        "unreachable (%s)",
                        result.task_id,
                        exc,
                    )
                    if on_failure is not None:
                        on_failure(exc)
                    return None
                self._wait(self._delivery_backoff.delay(retry), stop)
                retry += 1
                continue
            self._delivery_backoff.succeeded()
            return next_task

    def add_log(self, task_id: str, line: str) -> None:
        """Appends one line to the task's execution log."""
        self._call(
            "POST",
            f"/tasks/{_segment(task_id)}/log",
            data=line.encode("utf-8"),
            content_type="text/plain; charset=utf-8",
        )

    def get_task(self, task_id: str) -> Task:
        """The task as the server has it now."""
        return Task.from_dict(json_body(self._call("GET", "/tasks/" + _segment(task_id))))

    def close(self) -> None:
        """Closes the client's idle connections; it opens new ones if used again."""
        self._transport.close()

    def __enter__(self) -> TaskClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __reduce__(self) -> NoReturn:
        raise TypeError(
            "a TaskClient belongs to the process that made it and cannot be pickled: make one "
            "in each process (TaskHandler's worker processes make their own)"
        )

    @property
    def base_url(self) -> str:
        """The API base every request goes to (``server_api_url``)."""
        return self._base

    def __repr__(self) -> str:
        key = f", key_id={self._auth.key_id!r}" if self._auth is not None else ""
        return f"TaskClient(server_api_url={self._base!r}{key})"

    # -- requests ----------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        query: str = "",
        data: bytes | None = None,
        content_type: str = JSON_CONTENT_TYPE,
        read_timeout: float | None = None,
    ) -> Answer:
        if self._auth is not None:
            self._ensure_token()
        timeouts = self._timeout if read_timeout is None else (self._timeout[0], read_timeout)
        target = f"{path}?{query}" if query else path
        request = f"{method} {path}"
        try:
            token = self._token
            answer = self._send(method, target, data, content_type, timeouts, token)
            if answer.status == 401 and self._token_rejected(answer, token):
                answer = self._send(method, target, data, content_type, timeouts, self._token)
        except requests.RequestException as exc:
            raise self._unreachable(exc, request) from exc
        if answer.status >= 400:
            raise self._error(answer, request)
        return answer

    def _unreachable(self, exc: requests.RequestException, request: str) -> ConductorApiError:
        """The error for a call that got no answer; a refused connection says where it went."""
        error = error_from_exception(exc, request)
        if not isinstance(exc, requests.ConnectionError) or isinstance(exc, requests.Timeout):
            return error
        hint = (
            f" (no server answers at {self._base}: is it running, and is that its address? "
            "It comes from server_api_url or CONDUCTOR_SERVER_URL)"
        )
        return ConductorApiError(error.message + hint, transient=True, request=request)

    def _send(
        self,
        method: str,
        target: str,
        body: bytes | None,
        content_type: str,
        timeouts: tuple[float, float],
        token: str | None,
    ) -> Answer:
        headers = {"Content-Type": content_type} if body is not None else {}
        if token is not None:
            headers[AUTH_HEADER] = token
        return self._transport.send(method, target, headers, body, timeouts)

    def _error(self, answer: Answer, request: str) -> ConductorApiError:
        if answer.status == 401 and self._auth is None:
            return ConductorApiError(
                f"{server_message(answer)} (the server wants authentication: set "
                "CONDUCTOR_AUTH_KEY and CONDUCTOR_AUTH_SECRET or pass authentication_settings)",
                status=401,
                request=request,
            )
        if answer.status == 404 and request.startswith("GET /tasks/poll/"):
            # A poll is never "not found" on Conductor: the URL does not lead to its API.
            url = self._base + request.split(" ", 1)[1]
            hint = "" if self._base.rstrip("/").endswith("/api") else " Is '/api' missing?"
            return ConductorApiError(
                f"{server_message(answer)} ({url} is not Conductor's API: check server_api_url "
                f"or CONDUCTOR_SERVER_URL, now {self._base}.{hint})",
                status=404,
                request=request,
            )
        return error_from_response(answer, request)

    # -- authentication ----------------------------------------------------------------------

    def _ensure_token(self, rejected: str | None = None) -> None:
        """Fetches a token when there is none, it is due for renewal, or it was ``rejected``."""
        if self._auth_disabled or (rejected is None and time.time() < self._renew_at):
            return
        with self._token_lock:
            if self._auth_disabled:
                return
            if rejected is None and time.time() < self._renew_at:
                return  # another thread renewed it meanwhile
            if rejected is not None and self._token != rejected:
                return  # another thread replaced the rejected token meanwhile
            self._fetch_token()

    def _token_rejected(self, answer: Answer, sent: str | None) -> bool:
        """True when a 401 says our token expired or is invalid and a new one was fetched."""
        if self._auth is None or self._auth_disabled:
            return False
        body = json_body(answer)
        if not isinstance(body, dict) or body.get("error") not in TOKEN_ERRORS:
            return False
        logger.info("Server answered %s: renewing the access token", body.get("error"))
        self._ensure_token(rejected=sent or "")
        return True

    def _fetch_token(self) -> None:
        assert self._auth is not None
        key_id = self._auth.key_id
        request = f"POST /token (key id {key_id!r})"
        body = json_bytes({"keyId": key_id, "keySecret": self._auth.key_secret})
        try:
            answer = self._send("POST", "/token", body, JSON_CONTENT_TYPE, self._timeout, None)
        except requests.RequestException as exc:
            raise error_from_exception(exc, request) from exc
        status = answer.status
        if status == 404:
            self._auth_disabled = True
            self._token = None
            logger.info(
                "Server %s has no /token endpoint (404): it does not use authentication, "
                "requests go without a token",
                self._base,
            )
            return
        if status in (401, 403):
            raise ConductorAuthError(
                f"the server refused application key id {key_id!r}: {server_message(answer)}",
                status=status,
                request=request,
            )
        if status >= 400:
            raise error_from_response(answer, request)
        data = json_body(answer)
        token = data.get("token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token or not token.isprintable():
            raise ConductorApiError(
                "the server's answer has no usable token", status=status, request=request
            )
        self._token = token
        self._renew_at = renewal_time(
            token, time.time(), self.configuration.auth_token_ttl_min * 60.0
        )
        logger.debug("Obtained an access token for key id %r", key_id)

    # -- update fallback and waiting ---------------------------------------------------------

    def _update_v2_body(self, body: bytes) -> Task | None:
        if not self._update_v2:
            self._call("POST", "/tasks", data=body)
            return None
        try:
            answer = self._call("POST", "/tasks/update-v2", data=body)
        except ConductorApiError as exc:
            if exc.status not in (404, 405):
                raise
            self._fall_back_to_update(body, exc)
            return None
        data = json_body(answer)
        return Task.from_dict(data) if isinstance(data, dict) else None

    def _fall_back_to_update(self, body: bytes, v2_error: ConductorApiError) -> None:
        # 405 means the endpoint is missing. A 404 may also mean "no such task": only a
        # successful POST /tasks proves it was the endpoint.
        if v2_error.status == 405:
            self._use_update_from_now_on(v2_error)
        self._call("POST", "/tasks", data=body)
        if self._update_v2:
            self._use_update_from_now_on(v2_error)

    def _use_update_from_now_on(self, v2_error: ConductorApiError) -> None:
        if self._update_v2:
            self._update_v2 = False
            logger.info(
                "Server has no /tasks/update-v2 (HTTP %s): results go to POST /tasks from now "
                "on, one extra poll per task",
                v2_error.status,
            )

    def _wait(self, seconds: float, stop: threading.Event | None) -> None:
        if self._sleep is not None:
            self._sleep(seconds)
        elif stop is not None:
            stop.wait(seconds)
        else:
            time.sleep(seconds)


def _transport(base_url: str, pool_maxsize: int, session: requests.Session | None) -> Transport:
    """The client's own keep-alive connections, unless a session is given or the environment
    sets a proxy for the server (proxies are left to ``requests``)."""
    if session is not None:
        return SessionTransport(session, base_url, owned=False)
    proxies = requests.utils.get_environ_proxies(base_url)
    if requests.utils.select_proxy(base_url, proxies):
        return SessionTransport(requests.Session(), base_url, owned=True)
    ca_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    return KeepAliveTransport(base_url, pool_maxsize=pool_maxsize, ca_bundle=ca_bundle)


@lru_cache(maxsize=64)  # a worker polls with the same few ids and domains all the time
def _poll_query(worker_id: str, domain: str | None) -> str:
    params = {"workerid": worker_id}
    if domain:  # never an empty domain: that would be a different queue
        params["domain"] = domain
    return urlencode(params)


def _segment(value: str) -> str:
    return quote(value, safe="")


@lru_cache(maxsize=256)  # a worker polls for the same task types all the time
def _task_type_segment(task_type: str) -> str:
    return quote(task_type, safe="")
