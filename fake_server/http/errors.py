"""Every error becomes Conductor's error body, with Conductor's status code: the one mapping.

``{"status", "message", "instance", "retryable"}``, plus ``validationErrors`` on a 400 that
names fields, and ``error`` (the code) on a 401. An error of the engine keeps its status; an
unknown route or method is a 404 or 405 (with ``Allow``); a bug in the server is a 500 whose
traceback goes to the log, never to the client.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed

from fake_server.engine.errors import BadRequestError, ConductorError, UnauthorizedError
from fake_server.http.wire import Reply, json_reply

log = logging.getLogger(__name__)

HOSTNAME = socket.gethostname()


def error_body(status: int, message: str, **extra: Any) -> dict[str, Any]:
    return {"status": status, "message": message, "instance": HOSTNAME, "retryable": False, **extra}


def error_reply(error: Exception, method: str, path: str) -> Reply:
    """The answer to ``error``, raised while answering ``method`` ``path``."""
    if isinstance(error, ConductorError):
        return _conductor_error_reply(error)
    if isinstance(error, HTTPException):  # routing, or reading a body the client cut short
        return _http_error_reply(error, method, path)
    log.error("unexpected error on %s %s", method, path, exc_info=error)
    return json_reply(error_body(500, f"Internal error: {type(error).__name__}: {error}"), 500)


def _conductor_error_reply(error: ConductorError) -> Reply:
    extra: dict[str, Any] = {}
    if isinstance(error, BadRequestError) and error.errors:
        extra["validationErrors"] = [e.to_json() for e in error.errors]
    if isinstance(error, UnauthorizedError):
        extra["error"] = error.code
    body = error_body(error.status, error.message, **extra)
    body["retryable"] = error.retryable
    return json_reply(body, error.status)


def _http_error_reply(error: HTTPException, method: str, path: str) -> Reply:
    status = error.code or 500
    if status == 404:
        message = f"No route for {method} {path}"
    elif isinstance(error, MethodNotAllowed):
        allowed = ", ".join(sorted(error.valid_methods or []))
        message = f"Method {method} is not allowed for {path}; allowed: {allowed}"
    else:
        message = error.description or error.name
    reply = json_reply(error_body(status, message), status)
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        allow = ", ".join(sorted(error.valid_methods))
        return Reply(reply.status, reply.body, reply.content_type, (("Allow", allow),))
    return reply
