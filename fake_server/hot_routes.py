"""The four task routes a worker calls for every task, answered before Flask sees the request.

Measured on waitress (2 shared cores): a bare Flask route costs the server ~0.66 ms of CPU per
request, a raw WSGI callable ~0.37 ms. Flask's per-request machinery (request context, routing,
Response objects, hooks) cost more than the engine's own work per task, so these routes skip
it: the server's CPU per update-v2 round trip fell from ~0.66 to ~0.45 ms, per poll or update
from ~0.60 to ~0.42 ms. Everything else, and these paths with other methods (HEAD, OPTIONS,
wrong ones), goes on to Flask unchanged.

The answers are the Flask routes' byte for byte: the same parsing and error bodies (from
:mod:`fake_server.wire`), token check, access log line and ``got_request_exception`` signal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask, got_request_exception
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wsgi import get_input_stream

from fake_server.auth import TokenAuthority
from fake_server.engine import Engine
from fake_server.engine.errors import ConductorError
from fake_server.wire import (
    BATCH_POLL_DEFAULT_COUNT,
    BATCH_POLL_DEFAULT_TIMEOUT_MS,
    conductor_error_body,
    domain_or_none,
    error_body,
    http_error_message,
    log_access,
    parse_int,
    parse_json,
    to_json,
    unexpected_error_body,
)

Environ = dict[str, Any]
# (status, headers, body) as Flask's Response objects would give them.
Answer = tuple[int, list[tuple[str, str]], bytes]
Handler = Callable[[Environ, str], Answer]

_POLL = "/api/tasks/poll/"
_BATCH_POLL = "/api/tasks/poll/batch/"
_NO_CONTENT: Answer = (204, [("Content-Type", "text/html; charset=utf-8")], b"")


def _status_line(status: int) -> str:
    return f"{status} {HTTP_STATUS_CODES.get(status, 'unknown').upper()}"


def _json(value: Any, status: int = 200) -> Answer:
    body = to_json(value).encode()
    return status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))], body


def _text(value: str) -> Answer:
    body = value.encode()
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    return 200, headers, body


def _query(environ: Environ) -> dict[str, str]:
    """The first value of each query parameter, decoded as Flask's ``request.args`` does."""
    query = environ.get("QUERY_STRING", "").encode("latin1").decode()
    args: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True, errors="werkzeug.url_quote"):
        args.setdefault(name, value)
    return args


def _path(environ: Environ) -> str:
    # WSGI hands the path over as latin-1; Flask decodes it as UTF-8, and so do we.
    path: str = environ.get("PATH_INFO", "")
    return path.encode("latin1").decode(errors="replace")


class HotRoutes:
    """WSGI middleware: serves the hot task routes of ``flask_app`` itself, passes the rest on.

    Install it as ``app.wsgi_app = HotRoutes(app, engine, auth)``; ``self.app`` is the Flask
    WSGI app it falls back to."""

    def __init__(self, flask_app: Flask, engine: Engine, auth: TokenAuthority | None) -> None:
        self.app = flask_app.wsgi_app
        self._flask_app = flask_app  # the sender of got_request_exception
        self._engine = engine
        self._auth = auth
        self._posts: dict[str, Handler] = {
            "/api/tasks": self._update_task,
            "/api/tasks/update-v2": self._update_task_v2,
        }

    def __call__(self, environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
        route = self._route(environ)
        if route is None:
            return self.app(environ, start_response)
        handler, task_type = route
        status, headers, body = self._answer(environ, handler, task_type)
        query_string = environ.get("QUERY_STRING", "").encode("latin1")
        log_access(environ["REQUEST_METHOD"], _path(environ), query_string, status)
        start_response(_status_line(status), headers)
        return [body]

    def _route(self, environ: Environ) -> tuple[Handler, str] | None:
        method = environ.get("REQUEST_METHOD")
        path: str = environ.get("PATH_INFO", "")
        if method == "POST":
            handler = self._posts.get(path)
            return None if handler is None else (handler, "")
        if method != "GET" or not path.startswith(_POLL):
            return None
        if path.startswith(_BATCH_POLL):
            handler, task_type = self._batch_poll, path[len(_BATCH_POLL) :]
        else:
            handler, task_type = self._poll, path[len(_POLL) :]
        if not task_type or "/" in task_type:
            return None  # not these routes: Flask answers (404, or another route)
        return handler, task_type.encode("latin1").decode(errors="replace")

    def _answer(self, environ: Environ, handler: Handler, task_type: str) -> Answer:
        """The handler's answer, or the error answer Flask's error handlers would give."""
        try:
            if self._auth is not None:
                self._auth.verify(environ.get("HTTP_X_AUTHORIZATION"))
            return handler(environ, task_type)
        except ConductorError as error:
            return _json(conductor_error_body(error), error.status)
        except HTTPException as error:  # reading the body: the client went away
            message = http_error_message(error, environ["REQUEST_METHOD"], _path(environ))
            return _json(error_body(error.code or 500, message), error.code or 500)
        except Exception as error:
            body = unexpected_error_body(error, environ["REQUEST_METHOD"], _path(environ))
            # As app.unexpected_error does: an embedding harness re-raises server bugs from it.
            got_request_exception.send(self._flask_app, exception=error)
            return _json(body, 500)

    # ------------------------------------------------------------------ the routes
    def _poll(self, environ: Environ, task_type: str) -> Answer:
        args = _query(environ)
        domain = domain_or_none(args.get("domain"))
        task = self._engine.poll(task_type, args.get("workerid"), domain)
        return _NO_CONTENT if task is None else _json(task)

    def _batch_poll(self, environ: Environ, task_type: str) -> Answer:
        args = _query(environ)
        tasks = self._engine.batch_poll(
            task_type,
            args.get("workerid"),
            domain_or_none(args.get("domain")),
            count=parse_int("count", args.get("count"), BATCH_POLL_DEFAULT_COUNT),
            timeout_ms=parse_int("timeout", args.get("timeout"), BATCH_POLL_DEFAULT_TIMEOUT_MS),
        )
        return _json(tasks)

    def _update_task(self, environ: Environ, _: str) -> Answer:
        return _text(self._engine.update_task(_json_body(environ)))

    def _update_task_v2(self, environ: Environ, _: str) -> Answer:
        task = self._engine.update_task_v2(_json_body(environ))
        return _NO_CONTENT if task is None else _json(task)


def _json_body(environ: Environ) -> Any:
    return parse_json(get_input_stream(environ).read())
