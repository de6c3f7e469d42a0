"""The compact HTTP client a worker uses: poll, update, log, fetch a task.

One ``TaskClient`` serves every thread of a worker process. Its ``requests.Session`` (and so
its pooled keep-alive connections) belongs to the process that created it: make the client in
the process that uses it (a forked child that inherits one makes its own session on first
use). Every request carries a
``(connect, read)`` timeout, and a long poll's read timeout covers the poll's own wait.

Authentication: with ``configuration.authentication_settings`` set, the client obtains a token
from ``POST /token`` and sends it as ``X-Authorization``. It renews the token shortly before
the JWT ``exp`` claim (or every ``auth_token_ttl_min`` minutes when there is none), and once
more when the server answers 401 ``EXPIRED_TOKEN``/``INVALID_TOKEN`` (then the call is retried
once). A server without ``/token`` (404) has no authentication: requests go without a token.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlencode

import requests
from requests.structures import CaseInsensitiveDict

from conductor.client.configuration.configuration import Configuration
from conductor.client.http.adapter import KeepAliveAdapter
from conductor.client.http.auth import renewal_time
from conductor.client.http.backoff import Backoff
from conductor.client.http.errors import (
    ConductorApiError,
    ConductorAuthError,
    error_from_exception,
    error_from_response,
    json_body,
    server_message,
)
from conductor.client.http.models.task import Task
from conductor.client.http.models.task_exec_log import TaskExecLog
from conductor.client.http.models.task_result import TaskResult
from conductor.client.http.models.task_result_status import TaskResultStatus

__all__ = ["ConductorApiError", "ConductorAuthError", "TaskClient"]

logger = logging.getLogger(__name__)

AUTH_HEADER = "X-Authorization"
TOKEN_ERRORS = frozenset({"EXPIRED_TOKEN", "INVALID_TOKEN"})
DEFAULT_POOL_MAXSIZE = 32
USER_AGENT = "conductor-workers-python"
JSON_CONTENT_TYPE = "application/json"


class _ProcessState:
    """What a client may only use in the process that made it: session, token, locks."""

    def __init__(self, session: requests.Session, base_url: str) -> None:
        self.pid = os.getpid()
        self.session = session
        # Requests go straight to the session's adapter with headers, proxies and CA bundle
        # settled here once: Session.request would merge settings, cookies, hooks and the
        # environment again on every call, which costs more CPU than the HTTP exchange itself.
        self.adapter = session.get_adapter(base_url)
        self.headers = dict(session.headers)
        self.proxies = dict(session.proxies)
        self.verify = session.verify
        self.token_lock = threading.Lock()
        self.token: str | None = None
        self.renew_at = 0.0  # epoch seconds; 0 = fetch before the first request
        self.auth_disabled = False


class TaskClient:
    """Polls tasks and delivers their results over one keep-alive ``requests.Session``.

    Arguments:
        configuration: server URL, credentials and timeouts.
        pool_maxsize: connections kept open per host; make it at least the number of threads
            that share this client.
        sleep: how ``deliver`` waits between attempts when it has no ``stop`` event
            (``time.sleep``); tests pass a recorder instead.
        jitter: a source of numbers in ``[0, 1)`` for the backoff's jitter (default
            ``random.random``); see ``conductor.client.http.backoff``.
    """

    def __init__(
        self,
        configuration: Configuration,
        *,
        pool_maxsize: int = DEFAULT_POOL_MAXSIZE,
        sleep: Callable[[float], Any] | None = None,
        jitter: Callable[[], float] | None = None,
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
        self._state: _ProcessState | None = None

    # -- the API -----------------------------------------------------------------------------

    def poll(self, task_type: str, *, worker_id: str, domain: str | None = None) -> Task | None:
        """One task of ``task_type`` for this worker, or ``None`` when none is ready."""
        path = "/tasks/poll/" + _task_type_segment(task_type)
        response = self._call("GET", path, query=_poll_query(worker_id, domain))
        data = json_body(response) if response.status_code != 204 else None
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
        response = self._call(
            "GET",
            "/tasks/poll/batch/" + _task_type_segment(task_type),
            query=query,
            read_timeout=self._timeout[1] + max(timeout_ms, 0) / 1000.0,
        )
        data = json_body(response) if response.status_code != 204 else None
        return [Task.from_dict(item) for item in data] if isinstance(data, list) else []

    def update(self, result: TaskResult) -> str:
        """Reports a result with ``POST /tasks``; returns the task id the server echoes."""
        return self._call("POST", "/tasks", data=_json_bytes(result.to_dict())).text

    def update_v2(self, result: TaskResult) -> Task | None:
        """Reports a result and receives the next task of the same type, if one is ready.

        A server without ``/tasks/update-v2`` (404 or 405) gets the result by ``POST /tasks``
        instead, and this client uses ``/tasks`` from then on; the answer is then ``None``.
        """
        return self._update_v2_body(_json_bytes(result.to_dict()))

    def deliver(self, result: TaskResult, *, stop: threading.Event | None = None) -> Task | None:
        """``update_v2`` until the server has the result; returns the next task, if any.

        Transient failures (no connection, timeouts, 5xx, 429) are retried with the SDK's
        backoff (``conductor.client.http.backoff``), for as long as it takes, unless ``stop``
        is set: then one
        last attempt is made. A refused update (other 4xx) is logged with the server's message
        and not retried. A result whose output cannot be sent as JSON is reported as a
        ``FAILED`` task saying why. Returns ``None`` when there is no next task or the result
        was not delivered.
        """
        body = _sendable_body(result)
        retry = 0
        while True:
            last_chance = stop is not None and stop.is_set()
            try:
                next_task = self._update_v2_body(body)
            except ConductorApiError as exc:
                if not exc.transient:
                    logger.error("Result of task %s was refused: %s", result.task_id, exc)
                    return None
                self._delivery_backoff.failed(exc)
                if last_chance:
                    logger.error(
                        "Result of task %s not delivered: stopping while the server is "
                        "unreachable (%s)",
                        result.task_id,
                        exc,
                    )
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
        """Closes this process's connections; the client opens new ones if used again."""
        state = self._state
        self._state = None
        if state is not None and state.pid == os.getpid():
            state.session.close()

    def __enter__(self) -> TaskClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- process-local state -----------------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_state"] = None  # sessions and locks stay in the process that made them
        return state

    def __repr__(self) -> str:
        key = f", key_id={self._auth.key_id!r}" if self._auth is not None else ""
        return f"TaskClient(server_api_url={self._base!r}{key})"

    def _process_state(self) -> _ProcessState:
        state = self._state
        if state is not None and state.pid == os.getpid():
            return state
        with _creation_lock():
            state = self._state
            if state is None or state.pid != os.getpid():
                # A session inherited through fork shares its sockets with the parent: leave it.
                state = self._state = _ProcessState(self._new_session(), self._base)
        return state

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        # Proxies and CA bundle come from the environment once, here, not on every request.
        session.trust_env = False
        session.proxies.update(requests.utils.get_environ_proxies(self._base))
        ca_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if ca_bundle:
            session.verify = ca_bundle
        # No retries inside the adapter: callers decide what to retry (polls never are). The
        # adapter resends only what the server cannot have seen (a kept-alive connection it
        # closed before taking the request).
        adapter = KeepAliveAdapter(pool_maxsize=self.pool_maxsize, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        return session

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
    ) -> requests.Response:
        state = self._process_state()
        if self._auth is not None:
            self._ensure_token(state)
        timeout = self._timeout if read_timeout is None else (self._timeout[0], read_timeout)
        url = self._base + path
        if query:
            url += "?" + query
        request = f"{method} {path}"
        try:
            response = self._send(state, method, url, data, content_type, timeout)
            if response.status_code == 401 and self._token_rejected(state, response):
                response = self._send(state, method, url, data, content_type, timeout)
        except requests.RequestException as exc:
            raise error_from_exception(exc, request) from exc
        if response.status_code >= 400:
            raise self._error(response, request)
        return response

    def _send(
        self,
        state: _ProcessState,
        method: str,
        url: str,
        body: bytes | None,
        content_type: str,
        timeout: tuple[float, float],
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        prepared = requests.PreparedRequest()
        prepared.method = method
        prepared.url = url
        prepared.headers = CaseInsensitiveDict(state.headers if headers is None else headers)
        if body is not None:
            prepared.headers["Content-Type"] = content_type
            prepared.headers["Content-Length"] = str(len(body))
        prepared.body = body
        prepared.hooks = {"response": []}
        response = state.adapter.send(
            prepared, stream=False, timeout=timeout, verify=state.verify, proxies=state.proxies
        )
        response.content  # noqa: B018  (reads the body now, returning the connection to the pool)
        return response

    def _error(self, response: requests.Response, request: str) -> ConductorApiError:
        if response.status_code == 401 and self._auth is None:
            return ConductorApiError(
                f"{server_message(response)} (the server wants authentication: set "
                "CONDUCTOR_AUTH_KEY and CONDUCTOR_AUTH_SECRET or pass authentication_settings)",
                status=401,
                request=request,
            )
        return error_from_response(response, request)

    # -- authentication ----------------------------------------------------------------------

    def _ensure_token(self, state: _ProcessState, rejected: str | None = None) -> None:
        """Fetches a token when there is none, it is due for renewal, or it was ``rejected``."""
        if state.auth_disabled or (rejected is None and time.time() < state.renew_at):
            return
        with state.token_lock:
            if state.auth_disabled:
                return
            if rejected is None and time.time() < state.renew_at:
                return  # another thread renewed it meanwhile
            if rejected is not None and state.token != rejected:
                return  # another thread replaced the rejected token meanwhile
            self._fetch_token(state)

    def _token_rejected(self, state: _ProcessState, response: requests.Response) -> bool:
        """True when a 401 says our token expired or is invalid and a new one was fetched."""
        if self._auth is None or state.auth_disabled:
            return False
        body = json_body(response)
        if not isinstance(body, dict) or body.get("error") not in TOKEN_ERRORS:
            return False
        sent = response.request.headers.get(AUTH_HEADER)
        logger.info("Server answered %s: renewing the access token", body.get("error"))
        self._ensure_token(state, rejected=sent if isinstance(sent, str) else "")
        return True

    def _fetch_token(self, state: _ProcessState) -> None:
        assert self._auth is not None
        key_id = self._auth.key_id
        request = f"POST /token (key id {key_id!r})"
        headers = {k: v for k, v in state.headers.items() if k != AUTH_HEADER}
        body = _json_bytes({"keyId": key_id, "keySecret": self._auth.key_secret})
        try:
            response = self._send(
                state,
                "POST",
                self._base + "/token",
                body,
                JSON_CONTENT_TYPE,
                self._timeout,
                headers,
            )
        except requests.RequestException as exc:
            raise error_from_exception(exc, request) from exc
        status = response.status_code
        if status == 404:
            state.auth_disabled = True
            state.headers.pop(AUTH_HEADER, None)
            logger.info(
                "Server %s has no /token endpoint (404): it does not use authentication, "
                "requests go without a token",
                self._base,
            )
            return
        if status in (401, 403):
            raise ConductorAuthError(
                f"the server refused application key id {key_id!r}: {server_message(response)}",
                status=status,
                request=request,
            )
        if status >= 400:
            raise error_from_response(response, request)
        body = json_body(response)
        token = body.get("token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise ConductorApiError(
                "the server's answer has no token", status=status, request=request
            )
        state.token = token
        state.renew_at = renewal_time(
            token, time.time(), self.configuration.auth_token_ttl_min * 60.0
        )
        state.headers[AUTH_HEADER] = token
        logger.debug("Obtained an access token for key id %r", key_id)

    # -- update fallback and retry bookkeeping -----------------------------------------------

    def _update_v2_body(self, body: bytes) -> Task | None:
        if not self._update_v2:
            self._call("POST", "/tasks", data=body)
            return None
        try:
            response = self._call("POST", "/tasks/update-v2", data=body)
        except ConductorApiError as exc:
            if exc.status not in (404, 405):
                raise
            self._fall_back_to_update(body, exc)
            return None
        data = json_body(response) if response.status_code != 204 else None
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


@lru_cache(maxsize=64)  # a worker polls with the same few ids and domains all the time
def _poll_query(worker_id: str, domain: str | None) -> str:
    params = {"workerid": worker_id}
    if domain:  # never an empty domain: that would be a different queue
        params["domain"] = domain
    return urlencode(params)


def _sendable_body(result: TaskResult) -> bytes:
    """The JSON of ``result``; for output that JSON cannot carry, a FAILED result saying so."""
    try:
        return _json_bytes(result.to_dict())
    except (TypeError, ValueError) as exc:
        reason = f"the task's output cannot be sent as JSON: {exc}"
        logger.error("Result of task %s: %s; reporting the task FAILED", result.task_id, reason)
        failed = TaskResult(
            task_id=result.task_id,
            workflow_instance_id=result.workflow_instance_id,
            worker_id=result.worker_id,
            status=TaskResultStatus.FAILED,
            reason_for_incompletion=reason,
            logs=[TaskExecLog(log=str(entry.log), task_id=result.task_id) for entry in result.logs],
        )
        return _json_bytes(failed.to_dict())


def _json_bytes(value: Any) -> bytes:
    # Like requests' json=: no NaN or Infinity, which JSON does not have.
    return json.dumps(value, allow_nan=False).encode("utf-8")


def _segment(value: str) -> str:
    return quote(value, safe="")


@lru_cache(maxsize=256)  # a worker polls for the same task types all the time
def _task_type_segment(task_type: str) -> str:
    return quote(task_type, safe="")


# Guards the creation of a process's session. Re-created in a forked child, in case the fork
# happened while another thread held it.
_CREATION_LOCK = threading.Lock()
_at_fork_registered = False


def _creation_lock() -> threading.Lock:
    global _at_fork_registered
    if not _at_fork_registered and hasattr(os, "register_at_fork"):
        _at_fork_registered = True
        os.register_at_fork(after_in_child=_renew_creation_lock)
    return _CREATION_LOCK


def _renew_creation_lock() -> None:
    global _CREATION_LOCK
    _CREATION_LOCK = threading.Lock()
