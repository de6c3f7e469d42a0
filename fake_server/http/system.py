"""Handlers of health and token: the routes a client may call without a token."""

from __future__ import annotations

from fake_server.engine.validation import Fields
from fake_server.http.errors import error_body
from fake_server.http.wire import Context, Reply, Request, json_body, json_reply

HEALTHY = {"healthResults": [], "suppressedHealthResults": [], "healthy": True}


def health(ctx: Context, request: Request) -> Reply:
    return json_reply(HEALTHY)


def token(ctx: Context, request: Request) -> Reply:
    """``POST /token`` with ``{"keyId", "keySecret"}``: ``{"token"}``, 401 for wrong ones."""
    if ctx.auth is None:
        # No authentication here: clients take a 404 to mean "no token needed".
        return json_reply(error_body(404, "Authentication is not enabled"), 404)
    f = Fields(json_body(request), "body")
    return json_reply({"token": ctx.auth.issue(f.data.get("keyId"), f.data.get("keySecret"))})
