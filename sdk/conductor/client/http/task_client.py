"""The compact HTTP client a worker uses: poll, update, log, fetch a task.

One ``TaskClient`` serves every thread of one process: its connections, token and locks belong
to the process that made it, so each process makes its own (``TaskHandler``'s worker processes
do), and a client cannot be pickled. Requests go over the client's own keep-alive connections
(``conductor.client.http._transport``), or through a ``requests.Session``: one passed in, or one
made when a proxy is set for the server (``configuration.proxy``, or ``HTTP_PROXY``,
``HTTPS_PROXY`` and ``NO_PROXY`` in the environment). How an ``https`` server's certificate is
checked, and which client certificate is shown: ``conductor.client.http.connection_settings``.
Every request carries a ``(connect, read)`` timeout, and a long poll's read timeout covers the
poll's own wait.

Authentication, timeouts and errors are the ``ApiConnection``'s
(``conductor.client.http._api_connection``): with ``configuration.authentication_settings``
set, requests carry an access token, renewed before it expires (``conductor.client.http._auth``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, NoReturn

import requests

from conductor.client.configuration.configuration import Configuration
from conductor.client.http._api_connection import ApiConnection
from conductor.client.http._backoff import Backoff
from conductor.client.http._encoding import json_bytes, result_body
from conductor.client.http._task_api import (
    UPDATE_PATH,
    UPDATE_V2_PATH,
    Delivery,
    UpdateRoute,
    batch_poll_path,
    batch_poll_query,
    log_path,
    poll_path,
    poll_query,
    task_in,
    task_path,
    tasks_in,
)
from conductor.client.http._transport import transport_for
from conductor.client.http.errors import ConductorApiError, ConductorAuthError, json_body
from conductor.client.http.models.task import Task
from conductor.client.http.models.task_result import TaskResult

__all__ = ["ConductorApiError", "ConductorAuthError", "TaskClient"]

logger = logging.getLogger(__name__)

DEFAULT_POOL_MAXSIZE = 32


class TaskClient:
    """Polls tasks and delivers their results over keep-alive connections.

    Arguments:
        configuration: server URL, credentials and timeouts.
        pool_maxsize: connections kept open; make it at least the number of threads that
            share this client.
        sleep: how ``deliver`` waits between attempts when it has no ``stop`` event
            (``time.sleep``); tests pass a recorder instead.
        jitter: a source of numbers in ``[0, 1)`` for the backoff's jitter (default
            ``random.random``); see ``conductor.client.http._backoff``.
        session: send every request through this ``requests.Session`` (its adapters, proxies
            and TLS settings, where the configuration sets none) instead of the client's own
            connections; ``close()`` leaves it open.

    Attributes:
        connection: the ``ApiConnection`` every call goes through (token, timeouts, errors);
            ``MetadataClient(client=...)`` makes its calls through it too.
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
        self.connection = ApiConnection(
            configuration,
            transport_for(configuration, pool_maxsize=pool_maxsize, session=session),
        )
        self._sleep = sleep
        self._delivery_backoff = Backoff("Delivering task results", logger, jitter=jitter)
        self._update_route = UpdateRoute()

    # -- the API -----------------------------------------------------------------------------

    def poll(self, task_type: str, *, worker_id: str, domain: str | None = None) -> Task | None:
        """One task of ``task_type`` for this worker, or ``None`` when none is ready."""
        return task_in(
            self.connection.call("GET", poll_path(task_type), query=poll_query(worker_id, domain))
        )

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
        answer = self.connection.call(
            "GET",
            batch_poll_path(task_type),
            query=batch_poll_query(worker_id, domain, count, timeout_ms),
            read_timeout=self.connection.timeouts[1] + max(timeout_ms, 0) / 1000.0,
        )
        return tasks_in(answer)

    def update(self, result: TaskResult) -> str:
        """Reports a result with ``POST /tasks``; returns the task id the server echoes."""
        answer = self.connection.call("POST", UPDATE_PATH, data=json_bytes(result.to_json()))
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
        body: bytes | None = None,
    ) -> Task | None:
        """``update_v2`` until the server has the result; returns the next task, if any.

        Transient failures (no connection, timeouts, 5xx, 429) are retried with the SDK's
        backoff (``conductor.client.http._backoff``), for as long as it takes, unless ``stop``
        is set: then one last attempt is made. A refused update (other 4xx, and a 5xx whose
        Conductor error body says ``"retryable": false``, such as the 500 Conductor answers to
        a result it cannot read) is logged once with the server's message and not retried.
        A result whose output cannot be sent as JSON (a value JSON has no form for, NaN, a
        circular reference) is reported as a ``FAILED`` task whose reason names the offending
        value's type; its logs are kept. Returns ``None`` when
        there is no next task or the result was not delivered; ``on_failure``, when given, is
        then called with the last error. ``body``: the result's JSON when the caller encoded it
        already (``conductor.client.http._encoding.encode_result``).
        """
        if body is None:
            body = result_body(result)
        delivery = Delivery(result.task_id, self._delivery_backoff)
        while True:
            last_chance = stop is not None and stop.is_set()
            try:
                next_task = self._update_v2_body(body)
            except ConductorApiError as exc:
                wait = delivery.wait_after(exc, last_chance=last_chance)
                if wait is None:
                    if on_failure is not None:
                        on_failure(exc)
                    return None
                self._wait(wait, stop)
                continue
            delivery.succeeded()
            return next_task

    def add_log(self, task_id: str, line: str) -> None:
        """Appends one line to the task's execution log."""
        self.connection.call(
            "POST",
            log_path(task_id),
            data=line.encode("utf-8"),
            content_type="text/plain; charset=utf-8",
        )

    def get_task(self, task_id: str) -> Task:
        """The task as the server has it now."""
        return Task.from_json(json_body(self.connection.call("GET", task_path(task_id))))

    def close(self) -> None:
        """Closes the client's idle connections; it opens new ones if used again."""
        self.connection.close()

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
        return self.connection.base_url

    def __repr__(self) -> str:
        auth = self.connection.authentication_settings
        key = f", key_id={auth.key_id!r}" if auth is not None else ""
        return f"TaskClient(server_api_url={self.base_url!r}{key})"

    # -- update-v2 and waiting ---------------------------------------------------------------

    def _update_v2_body(self, body: bytes) -> Task | None:
        route = self._update_route
        if not route.returns_next_task:
            self.connection.call("POST", UPDATE_PATH, data=body)
            return None
        try:
            answer = self.connection.call("POST", UPDATE_V2_PATH, data=body)
        except ConductorApiError as exc:
            if not route.may_lack_update_v2(exc):
                raise
            self.connection.call("POST", UPDATE_PATH, data=body)
            route.update_worked(exc)
            return None
        return task_in(answer)

    def _wait(self, seconds: float, stop: threading.Event | None) -> None:
        if self._sleep is not None:
            self._sleep(seconds)
        elif stop is not None:
            stop.wait(seconds)
        else:
            time.sleep(seconds)
