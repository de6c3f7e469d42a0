"""Every error becomes Conductor's error body, with Conductor's status code: the one mapping.

Under ``/api`` (Conductor's API) an engine error is answered as Conductor answers the same
mistake (see :mod:`fake_server.engine.errors`): ``{"status", "message", "instance",
"retryable"}``; a failed constraint is the 400 "Validation failed, check below errors for
detail." with ``validationErrors`` (and, as there, no ``instance``); what Conductor cannot read
is its 500; a 401 adds ``error`` (the code). Where the fake's own, precise words differ from
Conductor's, they go along as ``fakeServerDetail``, so a local error still says which field and
what fits. The fake's own API (the admin API under ``/fake``) answers every client mistake with
400 and those precise words as its ``message``. An unknown route or method is a 404 or 405
(with ``Allow``); a bug in the server is a 500 whose traceback goes to the log, never to the
client.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed

from fake_server.engine.errors import BadRequestError, ConductorError, UnauthorizedError
from fake_server.http.wire import Reply, json_reply

# The field of an answer that carries the fake's own words beside Conductor's.
DETAIL_FIELD = "fakeServerDetail"
# Conductor's API; the fake's own routes (admin API, console) are the others.
CONDUCTOR_API_PREFIX = "/api/"

log = logging.getLogger(__name__)

HOSTNAME = socket.gethostname()


def error_body(status: int, message: str, **extra: Any) -> dict[str, Any]:
    return {"status": status, "message": message, "instance": HOSTNAME, "retryable": False, **extra}


def error_reply(error: Exception, method: str, path: str) -> Reply:
    """The answer to ``error``, raised while answering ``method`` ``path``."""
    if isinstance(error, ConductorError):
        if path.startswith(CONDUCTOR_API_PREFIX):
            return _conductor_error_reply(error)
        return _own_error_reply(error)
    if isinstance(error, HTTPException):  # routing, or reading a body the client cut short
        return _http_error_reply(error, method, path)
    log.error("unexpected error on %s %s", method, path, exc_info=error)
    return json_reply(error_body(500, f"Internal error: {type(error).__name__}: {error}"), 500)


def _conductor_error_reply(error: ConductorError) -> Reply:
    """As Conductor's exception mappers answer it, the fake's words beside when they differ."""
    if isinstance(error, BadRequestError) and error.is_constraint_violation:
        # ValidationExceptionMapper: no instance (null fields are left out).
        body: dict[str, Any] = {
            "status": error.status,
            "message": error.conductor_message,
            "retryable": False,
            "validationErrors": [e.to_json() for e in error.errors],
        }
    else:
        extra = _extra_fields(error, error.status)
        body = error_body(error.status, error.conductor_message, **extra)
        body["retryable"] = error.retryable
    if error.message != error.conductor_message:
        body[DETAIL_FIELD] = error.message
    return json_reply(body, error.status)


def _own_error_reply(error: ConductorError) -> Reply:
    """The fake's own API: a client mistake is a 400 with the precise words as its message."""
    status = 400 if isinstance(error, BadRequestError) else error.status
    body = error_body(status, error.message, **_extra_fields(error, status))
    body["retryable"] = error.retryable
    return json_reply(body, status)


def _extra_fields(error: ConductorError, status: int) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if isinstance(error, BadRequestError) and error.errors and status == 400:
        extra["validationErrors"] = [e.to_json() for e in error.errors]
    if isinstance(error, UnauthorizedError):
        extra["error"] = error.code
    return extra


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
