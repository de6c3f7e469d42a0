"""The app built from the routing table, and the one path every request takes.

:func:`create_app` returns a Flask app (for its URL map, its test client and its
``got_request_exception`` signal) whose WSGI entry is :class:`Dispatcher`: it finds the route
of the table that a request names (Flask's URL map, with werkzeug's rules) and answers it with
:func:`respond`: the token check, the handler, the error mapping
(:mod:`fake_server.http.errors`) and the access log line, in this one place. Flask's request
context, hooks and response objects are not used: they cost more server CPU than the engine's
own work per task (measured on the benchmark's drain; see docs/benchmarks.md). Ids are answered
as ``text/plain``, like Conductor does. To serve routes of your own, give ``create_app`` the
table with your :class:`~fake_server.http.routes.Route` entries added (``routes=``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from flask import Flask, got_request_exception
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.http import HTTP_STATUS_CODES

from fake_server.engine.errors import ConductorError, UnauthorizedError
from fake_server.engine.facade import Engine
from fake_server.http.auth import TokenAuthority
from fake_server.http.errors import error_reply
from fake_server.http.faults import FaultPlan
from fake_server.http.routes import ROUTES, Route, api_route_names
from fake_server.http.signin import presented_token, to_sign_in
from fake_server.http.wire import Context, Reply, Request, reply_headers

# One line per request at DEBUG (the command line's --log-level DEBUG); silent otherwise.
access_log = logging.getLogger("fake_server.access")


def create_app(
    engine: Engine,
    auth: TokenAuthority | None = None,
    faults: FaultPlan | None = None,
    *,
    routes: Sequence[Route] = ROUTES,
) -> Flask:
    """An app serving ``engine`` on ``routes`` (the routing table by default); with ``auth``,
    every route but health and token needs a token; ``faults`` are the server's fault rules
    (its own when not given)."""
    app = Flask("fake_server")
    context = Context(engine, auth, faults or FaultPlan(), api_route_names(routes))
    for route in routes:
        app.add_url_rule(route.path, route.endpoint, methods=[route.method])
    app.wsgi_app = Dispatcher(app, context, routes)  # type: ignore[method-assign]
    return app


def respond(app: Flask, context: Context, route: Route, request: Request, **params: Any) -> Reply:
    """The answer of ``route`` to ``request``: token check, handler (under the faults injected
    on purpose, for the API), errors, access log."""
    try:
        if route.needs_token and context.auth is not None:
            try:
                context.auth.verify(presented_token(request))
            except UnauthorizedError:
                if route.is_page and request.method in ("GET", "HEAD"):
                    return to_sign_in(request)
                raise
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
        # it (the signal Flask sends for errors that no handler caught).
        got_request_exception.send(app, exception=error)
    return reply


def _log_access(request: Request, status: int) -> None:
    if access_log.isEnabledFor(logging.DEBUG):
        full_path = f"{request.path}?{request.query_string}".rstrip("?")
        access_log.debug("%s %s -> %s", request.method, full_path, status)


class Dispatcher:
    """The app's WSGI entry: every request is answered from the routing table (see the module
    docstring); HEAD as its GET without the body, OPTIONS with the methods of the path."""

    def __init__(self, app: Flask, context: Context, routes: Sequence[Route]) -> None:
        self.app = app
        self.context = context
        self.routes = {route.endpoint: route for route in routes}
        # Paths without parameters are found at once; the others by the app's URL map.
        self.fixed = {(r.method, r.path): r for r in routes if "<" not in r.path}
        self.urls = app.url_map.bind("")

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = Request(environ)
        reply = self.answer(request)
        start_response(_STATUS_LINES[reply.status], reply_headers(reply))
        return [b""] if request.method == "HEAD" else [reply.body]

    def answer(self, request: Request) -> Reply:
        method = request.method
        route = self.fixed.get((method, request.path))
        params: Mapping[str, Any] = {}
        if route is None:
            try:
                if method == "OPTIONS":
                    return self._options(request)
                endpoint, params = self.urls.match(request.path, method)
                route = self.routes.get(endpoint)
                if route is None:  # a rule added to the Flask app, not to the table
                    raise NotFound()
            except HTTPException as error:  # no such route or method
                reply = _reply_to_error(self.app, error, request)
                _log_access(request, reply.status)
                return reply
        return respond(self.app, self.context, route, request, **params)

    def _options(self, request: Request) -> Reply:
        allowed = self.urls.allowed_methods(request.path)
        if not allowed:
            raise NotFound()
        reply = Reply(200, headers=(("Allow", ", ".join(sorted(allowed))),))
        _log_access(request, reply.status)
        return reply


_STATUS_LINES = {code: f"{code} {phrase.upper()}" for code, phrase in HTTP_STATUS_CODES.items()}
