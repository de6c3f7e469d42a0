"""What the HTTP layer reads and writes, without Flask: JSON bodies, query values, error bodies.

Both the Flask routes (:mod:`fake_server.app`) and the hot task routes that bypass Flask
(:mod:`fake_server.hot_routes`) answer through these, so they parse and fail alike, with the
same messages.
"""

from __future__ import annotations

import json
import logging
import socket
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed

from fake_server.engine.errors import BadRequestError, ConductorError, UnauthorizedError, invalid

log = logging.getLogger(__name__)
# One line per request at DEBUG (the CLI's --log-level DEBUG); silent otherwise.
access_log = logging.getLogger("fake_server.access")

HOSTNAME = socket.gethostname()
# What a batch poll without ``count`` or ``timeout`` gets: one place for both HTTP layers.
BATCH_POLL_DEFAULT_COUNT = 1
BATCH_POLL_DEFAULT_TIMEOUT_MS = 100


def to_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def parse_json(raw: bytes, *, required: bool = True) -> Any:
    """A request body parsed as JSON; 400 when malformed, or when empty and ``required``."""
    if not raw.strip():
        if required:
            raise invalid("body", "a JSON body is required")
        return None
    try:
        return json.loads(raw)
    except ValueError as error:
        raise invalid("body", f"malformed JSON: {error}") from None
    except RecursionError:
        raise invalid("body", "JSON nested too deeply") from None


def parse_int(name: str, value: str | None, default: int | None = None) -> Any:
    """The query parameter ``name`` as an integer; ``default`` when absent or blank."""
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise invalid(name, f"query parameter must be an integer, got '{value}'", value) from None


def parse_bool(name: str, value: str | None, default: bool) -> bool:
    """The query parameter ``name`` as true/false; ``default`` when absent or blank."""
    if value is None or value == "":
        return default
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise invalid(name, f"query parameter must be true or false, got '{value}'", value)


def domain_or_none(value: str | None) -> str | None:
    # Conductor treats a blank domain as none.
    return (value or "").strip() or None


# ------------------------------------------------------------------ error bodies
def error_body(status: int, message: str, **extra: Any) -> dict[str, Any]:
    return {"status": status, "message": message, "instance": HOSTNAME, "retryable": False, **extra}


def conductor_error_body(error: ConductorError) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if isinstance(error, BadRequestError) and error.errors:
        extra["validationErrors"] = [e.to_json() for e in error.errors]
    if isinstance(error, UnauthorizedError):
        extra["error"] = error.code
    body = error_body(error.status, error.message, **extra)
    body["retryable"] = error.retryable
    return body


def http_error_message(error: HTTPException, method: str, path: str) -> str:
    if error.code == 404:
        return f"No route for {method} {path}"
    if isinstance(error, MethodNotAllowed):
        allowed = ", ".join(sorted(error.valid_methods or []))
        return f"Method {method} is not allowed for {path}; allowed: {allowed}"
    return error.description or error.name


def unexpected_error_body(error: Exception, method: str, path: str) -> dict[str, Any]:
    """Logs the traceback of a server bug (call it from the ``except`` block) and returns the
    500 body. The caller also sends Flask's ``got_request_exception``."""
    log.exception("unexpected error on %s %s", method, path)
    return error_body(500, f"Internal error: {type(error).__name__}: {error}")


def log_access(method: str, path: str, query_string: bytes, status: int) -> None:
    if access_log.isEnabledFor(logging.DEBUG):
        full_path = f"{path}?{query_string.decode()}".rstrip("?")
        access_log.debug("%s %s -> %s", method, full_path, status)
