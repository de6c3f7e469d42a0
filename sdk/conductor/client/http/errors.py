"""Errors raised by the SDK's HTTP client."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conductor.client.http._transport import Answer

# Statuses worth retrying: the server (or a proxy in front of it) is busy or briefly down.
TRANSIENT_STATUSES = frozenset({408, 429})


def is_transient_status(status: int) -> bool:
    return status >= 500 or status in TRANSIENT_STATUSES


def is_transient_answer(status: int, body: Any) -> bool:
    """Whether an answer of ``status`` with the decoded JSON ``body`` is worth retrying: a 5xx
    whose Conductor error body says ``"retryable": false`` is not (Conductor's exception mapper
    says so of everything but its TransientException: a request it cannot read fails the same
    way every time)."""
    if not is_transient_status(status):
        return False
    return not (status >= 500 and isinstance(body, dict) and body.get("retryable") is False)


class ConductorApiError(Exception):
    """A call to the server failed.

    Attributes:
        status: the HTTP status, or ``None`` when no response came (connection error, timeout).
        message: the server's own ``message`` from Conductor's error body when it sent one,
            else a description of what went wrong.
        transient: ``True`` when trying again later may succeed (connection errors, timeouts,
            429, and 5xx unless the server's error body says ``"retryable": false``);
            ``False`` when the request itself was refused (other 4xx, and those 5xx).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        transient: bool = False,
        request: str | None = None,
    ) -> None:
        self.status = status
        self.message = message
        self.transient = transient
        self.request = request
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = f"{self.request} " if self.request else ""
        if self.status is None:
            return f"{where}failed: {self.message}"
        return f"{where}failed with HTTP {self.status}: {self.message}"

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only arguments need help to survive pickling (e.g. across processes).
        return (_rebuild, (type(self), self.message, self.status, self.transient, self.request))


class ConductorAuthError(ConductorApiError):
    """The server refused the application key (or a token obtained with it)."""


def _rebuild(
    cls: type[ConductorApiError],
    message: str,
    status: int | None,
    transient: bool,
    request: str | None,
) -> ConductorApiError:
    return cls(message, status=status, transient=transient, request=request)


def error_from_response(answer: Answer, request: str) -> ConductorApiError:
    """The error for an answer with a 4xx/5xx status: the server's message, and whether to
    retry (see :func:`is_transient_answer`)."""
    data = _json(answer.body)
    return ConductorApiError(
        _message(data, answer.body, answer.reason, answer.status),
        status=answer.status,
        transient=is_transient_answer(answer.status, data),
        request=request,
    )


def answer_error(
    answer: Answer, request: str, base_url: str, *, has_key: bool
) -> ConductorApiError:
    """:func:`error_from_response`, saying what to fix for the two mistakes a 401 or a 404
    points at: no application key for a server that wants one, and a URL that does not lead
    to Conductor's API (a poll is never "not found" there)."""
    if answer.status == 401 and not has_key:
        return ConductorApiError(
            f"{server_message(answer)} (the server wants authentication: set "
            "CONDUCTOR_AUTH_KEY and CONDUCTOR_AUTH_SECRET or pass authentication_settings)",
            status=401,
            request=request,
        )
    if answer.status == 404 and request.startswith("GET /tasks/poll/"):
        url = base_url + request.split(" ", 1)[1]
        hint = "" if base_url.rstrip("/").endswith("/api") else " Is '/api' missing?"
        return ConductorApiError(
            f"{server_message(answer)} ({url} is not Conductor's API: check server_api_url "
            f"or CONDUCTOR_SERVER_URL, now {base_url}.{hint})",
            status=404,
            request=request,
        )
    return error_from_response(answer, request)


def no_answer_error(
    cause: str, request: str, base_url: str, *, timed_out: bool, not_connected: bool
) -> ConductorApiError:
    """The error for a request that got no answer: always transient. When no connection could
    be made, it says where the client looked for the server."""
    message = f"{'timed out' if timed_out else 'connection error'}: {cause}"
    if not_connected and not timed_out:
        message += (
            f" (no server answers at {base_url}: is it running, and is that its address? "
            "It comes from server_api_url or CONDUCTOR_SERVER_URL)"
        )
    return ConductorApiError(message, status=None, transient=True, request=request)


def server_message(answer: Answer) -> str:
    """The ``message`` of Conductor's error body (with its ``validationErrors``), else the
    start of the body, else the reason."""
    return _message(_json(answer.body), answer.body, answer.reason, answer.status)


def _message(data: Any, body: bytes, reason: str | None, status: int) -> str:
    if isinstance(data, dict):
        for key in ("message", "error"):
            value = data.get(key)
            if isinstance(value, str) and value:
                return value + _validation_errors(data.get("validationErrors"))
    text = body.decode("utf-8", "replace").strip()
    return text[:500] or reason or f"HTTP {status}"


def _validation_errors(errors: Any) -> str:
    """Conductor's 400 says "Validation failed, check below errors for detail.": the
    details, as ``(path: message; ...)``."""
    if not isinstance(errors, list):
        return ""
    details = [
        f"{error.get('path')}: {error.get('message')}"
        if error.get("path")
        else str(error.get("message"))
        for error in errors
        if isinstance(error, dict) and error.get("message")
    ]
    return f" ({'; '.join(details)})" if details else ""


def json_body(answer: Answer) -> Any:
    """The JSON body, or ``None`` when the body is empty or not JSON."""
    return _json(answer.body)


def _json(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None
