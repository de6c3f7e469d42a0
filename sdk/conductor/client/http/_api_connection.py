"""Authenticated calls to one Conductor server, from threads: the SDK's synchronous clients
(``TaskClient``, ``MetadataClient``) make every request through an ``ApiConnection``.

It adds the access token (``conductor.client.http._auth``: fetched before the first call,
renewed before it expires, and once more when the server says it expired, the call then sent
again), the ``(connect, read)`` timeouts, and turns failures into ``ConductorApiError``. The
bytes go over a ``Transport`` (``conductor.client.http._transport``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import requests

from conductor.client.configuration.configuration import Configuration
from conductor.client.http._auth import AUTH_HEADER, TOKEN_PATH, AccessToken
from conductor.client.http._task_api import JSON_CONTENT_TYPE, request_status, uri_label
from conductor.client.http._transport import Answer, Transport
from conductor.client.http.errors import ConductorApiError, answer_error, no_answer_error

__all__ = ["ApiConnection"]


class ApiConnection:
    """Calls to the API at ``configuration.server_api_url`` over ``transport``; thread-safe.

    ``close()`` closes the transport's idle connections; it opens new ones if used again.
    ``on_request``, when set, is called after each call with its method, ``uri`` label,
    status label and seconds (request metrics).
    """

    on_request: Callable[[str, str, str, float], None] | None = None

    def __init__(self, configuration: Configuration, transport: Transport) -> None:
        self.base_url = configuration.server_api_url
        self.authentication_settings = configuration.authentication_settings
        self.timeouts = (configuration.connect_timeout, configuration.read_timeout)
        self._transport = transport
        self._token = AccessToken(
            configuration.authentication_settings,
            configuration.auth_token_ttl_min * 60.0,
            self.base_url,
        )
        self._token_lock = threading.Lock()

    def call(
        self,
        method: str,
        path: str,
        *,
        query: str = "",
        data: bytes | None = None,
        content_type: str = JSON_CONTENT_TYPE,
        read_timeout: float | None = None,
    ) -> Answer:
        """Sends ``method`` to ``path`` (below the API base) with ``query`` and ``data``;
        returns a 2xx/3xx answer, raises ``ConductorApiError`` for anything else."""
        observe = self.on_request
        if observe is None:
            return self._call(method, path, query, data, content_type, read_timeout)
        started = time.monotonic()
        answer = error = None
        try:
            answer = self._call(method, path, query, data, content_type, read_timeout)
            return answer
        except ConductorApiError as failed:
            error = failed
            raise
        finally:
            seconds = time.monotonic() - started
            observe(method, uri_label(path), request_status(answer, error), seconds)

    def _call(
        self,
        method: str,
        path: str,
        query: str,
        data: bytes | None,
        content_type: str,
        read_timeout: float | None,
    ) -> Answer:
        token = self._token
        if token.due():
            self._fetch_token()
        timeouts = self.timeouts if read_timeout is None else (self.timeouts[0], read_timeout)
        target = f"{path}?{query}" if query else path
        request = f"{method} {path}"
        try:
            sent = token.value
            answer = self._send(method, target, data, content_type, timeouts, sent)
            if answer.status == 401 and token.rejected_by(answer):
                self._fetch_token(rejected=sent or "")
                answer = self._send(method, target, data, content_type, timeouts, token.value)
        except requests.RequestException as exc:
            raise _no_answer(exc, request, self.base_url) from exc
        if answer.status >= 400:
            raise answer_error(
                answer, request, self.base_url, has_key=self.authentication_settings is not None
            )
        return answer

    def close(self) -> None:
        self._transport.close()

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

    def _fetch_token(self, rejected: str | None = None) -> None:
        with self._token_lock:
            if not self._token.must_fetch(rejected):
                return  # another thread fetched one meanwhile (or the server has no /token)
            request, body = self._token.request()
            try:
                answer = self._send(
                    "POST", TOKEN_PATH, body, JSON_CONTENT_TYPE, self.timeouts, None
                )
            except requests.RequestException as exc:
                raise _no_answer(exc, request, self.base_url) from exc
            self._token.accept(answer, request)


def _no_answer(exc: requests.RequestException, request: str, base_url: str) -> ConductorApiError:
    return no_answer_error(
        str(exc),
        request,
        base_url,
        timed_out=isinstance(exc, requests.Timeout),
        not_connected=isinstance(exc, requests.ConnectionError),
    )
