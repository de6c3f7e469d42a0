"""The Flask app, built from the routing table; and how every request of the table is answered.

:func:`create_app` adds each route of :data:`~fake_server.http.routes.ROUTES` to a Flask app,
whose view calls :func:`respond`: the token check, the handler, the error mapping
(:mod:`fake_server.http.errors`) and the access log line, in this one place. Ids are answered
as ``text/plain``, like Conductor does.

The app's WSGI entry is :class:`FastPath`: it matches a request against the same Flask URL map
and, for a route of the table, calls :func:`respond` without Flask's request context, hooks and
response objects, which cost more server CPU than the engine's own work per task (measured on
the benchmark's drain; see docs/benchmarks.md). Everything else goes to Flask as usual: HEAD
and OPTIONS, unknown paths and methods (answered by the same error mapping), and routes that a
user adds to the app. Hooks added to the app (``before_request``...) therefore apply to those,
not to the table's routes: ``create_app(..., fast_path=False)`` (``FakeServer(fast_path=False)``)
sends every request through Flask, hooks included, at Flask's cost per request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask import Flask, Response, got_request_exception
from flask import request as flask_request
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from fake_server.engine.errors import ConductorError
from fake_server.engine.facade import Engine
from fake_server.http.auth import TokenAuthority
from fake_server.http.errors import error_reply
from fake_server.http.faults import FaultPlan
from fake_server.http.routes import API_ROUTE_NAMES, ROUTES, Route
from fake_server.http.wire import Context, Reply, Request, reply_headers

# One line per request at DEBUG (the command line's --log-level DEBUG); silent otherwise.
access_log = logging.getLogger("fake_server.access")


def create_app(
    engine: Engine,
    auth: TokenAuthority | None = None,
    faults: FaultPlan | None = None,
    *,
    fast_path: bool = True,
) -> Flask:
    """A Flask app serving ``engine``; with ``auth``, API calls need a token; ``faults`` are
    the server's fault rules (its own when not given).

    The routing table's routes are answered before Flask (``fast_path``), so hooks added to
    the app (``before_request``, ``after_request``...) run only for routes added to it, not for
    Conductor's API or ``/fake``. With ``fast_path=False`` every request goes through Flask's
    dispatch and runs them."""
    app = Flask("fake_server")
    context = Context(engine, auth, faults or FaultPlan(), API_ROUTE_NAMES)
    for route in ROUTES:
        view = _view(app, context, route)
        app.add_url_rule(route.path, route.endpoint, view, methods=[route.method])
    app.register_error_handler(Exception, _error_handler(app))
    if fast_path:
        app.wsgi_app = FastPath(app, context)  # type: ignore[method-assign]
    return app


def respond(app: Flask, context: Context, route: Route, request: Request, **params: Any) -> Reply:
    """The answer of ``route`` to ``request``: token check, handler (under the faults injected
    on purpose, for the API), errors, access log."""
    try:
        if route.needs_token and context.auth is not None:
            context.auth.verify(request.header("X-Authorization"))
        if context.faults.active:
            reply = context.faults.answer(
                route, request, params, lambda: route.handler(context, request, **params)
            )
        else:
            reply = route.handler(context, request, **params)
    except Exception as error:
        reply = _reply_to_error(app, error, request)
    _log_access(request, reply.status)
    return reply


def _reply_to_error(app: Flask, error: Exception, request: Request) -> Reply:
    reply = error_reply(error, request.method, request.path)
    if not isinstance(error, (ConductorError, HTTPException)):
        # A bug of the server: an embedding test harness re-raises it in the test that caused
        # it (Flask sends this signal only for errors that no handler caught).
        got_request_exception.send(app, exception=error)
    return reply


def _log_access(request: Request, status: int) -> None:
    if access_log.isEnabledFor(logging.DEBUG):
        full_path = f"{request.path}?{request.query_string}".rstrip("?")
        access_log.debug("%s %s -> %s", request.method, full_path, status)


def _flask_response(reply: Reply) -> Response:
    response = Response(reply.body, reply.status, headers=reply_headers(reply))
    if reply.content_type is None:
        del response.headers["Content-Type"]  # Flask's default; an empty answer has none
    return response


def _view(app: Flask, context: Context, route: Route) -> Callable[..., Response]:
    def view(**params: Any) -> Response:
        request = Request(flask_request.environ)
        return _flask_response(respond(app, context, route, request, **params))

    view.__name__ = route.handler.__name__
    return view


def _error_handler(app: Flask) -> Callable[[Exception], Response]:
    """Flask's own errors (no such route or method) and those of routes added to the app."""

    def handle(error: Exception) -> Response:
        request = Request(flask_request.environ)
        reply = _reply_to_error(app, error, request)
        _log_access(request, reply.status)
        return _flask_response(reply)

    return handle


class FastPath:
    """The app's WSGI entry: a route of the table is answered by :func:`respond` directly;
    anything else goes on to Flask (see the module docstring)."""

    def __init__(self, app: Flask, context: Context) -> None:
        self.flask_wsgi_app = app.wsgi_app
        self.app = app
        self.context = context
        self.routes = {route.endpoint: route for route in ROUTES}
        # Paths without parameters are found at once; the others by the app's URL map.
        self.fixed = {(r.method, r.path): r for r in ROUTES if "<" not in r.path}
        self.url_map = app.url_map
        self.urls = app.url_map.bind("")

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "HEAD" or method == "OPTIONS":
            return self.flask_wsgi_app(environ, start_response)
        request = Request(environ)
        route = self.fixed.get((method, request.path))
        params: Mapping[str, Any] = {}
        if route is None:
            self.url_map.update()  # routes added to the app since the last request
            try:
                endpoint, params = self.urls.match(request.path, method)
            except HTTPException:  # not found, wrong method, a redirect: Flask answers
                return self.flask_wsgi_app(environ, start_response)
            route = self.routes.get(endpoint)
            if route is None:
                return self.flask_wsgi_app(environ, start_response)
        reply = respond(self.app, self.context, route, request, **params)
        start_response(_STATUS_LINES[reply.status], reply_headers(reply))
        return [reply.body]


_STATUS_LINES = {code: f"{code} {phrase.upper()}" for code, phrase in HTTP_STATUS_CODES.items()}
