"""Errors raised by the SDK's HTTP client."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import requests

if TYPE_CHECKING:
    from conductor.client.http.transport import Answer

# Statuses worth retrying: the server (or a proxy in front of it) is busy or briefly down.
TRANSIENT_STATUSES = frozenset({408, 429})


def is_transient_status(status: int) -> bool:
    return status >= 500 or status in TRANSIENT_STATUSES


class ConductorApiError(Exception):
    """A call to the server failed.

    Attributes:
        status: the HTTP status, or ``None`` when no response came (connection error, timeout).
        message: the server's own ``message`` from Conductor's error body when it sent one,
            else a description of what went wrong.
        transient: ``True`` when trying again later may succeed (connection errors, timeouts,
            5xx and 429); ``False`` when the request itself was refused (other 4xx).
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
    """The error for an answer with a 4xx/5xx status, carrying the server's message."""
    return ConductorApiError(
        server_message(answer),
        status=answer.status,
        transient=is_transient_status(answer.status),
        request=request,
    )


def error_from_exception(exc: requests.RequestException, request: str) -> ConductorApiError:
    """The error for a request that got no answer: always transient."""
    kind = "timed out" if isinstance(exc, requests.Timeout) else "connection error"
    return ConductorApiError(f"{kind}: {exc}", status=None, transient=True, request=request)


def server_message(answer: Answer) -> str:
    """The ``message`` of Conductor's error body, else the start of the body, else the reason."""
    body = json_body(answer)
    if isinstance(body, dict):
        for key in ("message", "error"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
    text = answer.body.decode("utf-8", "replace").strip()
    return text[:500] or answer.reason or f"HTTP {answer.status}"


def json_body(answer: Answer) -> Any:
    """The JSON body, or ``None`` when the body is empty or not JSON."""
    if not answer.body:
        return None
    try:
        return json.loads(answer.body)
    except ValueError:
        return None
