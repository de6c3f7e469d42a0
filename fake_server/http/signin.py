"""Signing in to a server that requires tokens, from a browser: the console's sign-in page.

With authentication on (``--auth-key``/``--auth-secret``), every route but health and the token
route needs a token. A program sends it in ``X-Authorization``; a browser signs in once on
``/signin`` with the key and secret, and keeps the token in a cookie (``HttpOnly``,
``SameSite=Strict``, for as long as the token lives). A console page asked for without a valid
token sends the browser to the sign-in page, and back to the page once signed in.
"""

from __future__ import annotations

from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, quote

from fake_server.console import render
from fake_server.engine.errors import UnauthorizedError
from fake_server.http.wire import Context, Reply, Request

TOKEN_COOKIE = "fake_conductor_token"
HTML = "text/html; charset=utf-8"


def presented_token(request: Request) -> str | None:
    """The token a request carries: ``X-Authorization``, else the sign-in cookie."""
    token = request.header("X-Authorization")
    if token:
        return token
    cookies = request.header("Cookie")
    if not cookies:
        return None
    morsel = SimpleCookie(cookies).get(TOKEN_COOKIE)
    return morsel.value if morsel is not None else None


def to_sign_in(request: Request) -> Reply:
    """A browser's way to a page that needs a token: the sign-in page, then back."""
    back = request.path + (f"?{request.query_string}" if request.query_string else "")
    return Reply(303, headers=(("Location", f"/signin?next={quote(back, safe='')}"),))


def form(ctx: Context, request: Request) -> Reply:
    return _page(_local(request.arg("next")), None, 200)


def submit(ctx: Context, request: Request) -> Reply:
    """Checks the key and secret; a token in a cookie and back to the page asked for, or the
    form again with what went wrong."""
    sent = dict(parse_qsl(request.body().decode("utf-8", "replace"), keep_blank_values=True))
    back = _local(sent.get("next"))
    if ctx.auth is None:
        return Reply(303, headers=(("Location", back),))
    try:
        token = ctx.auth.issue(sent.get("keyId", ""), sent.get("keySecret", ""))
    except UnauthorizedError as error:
        return _page(back, error.message, 401)
    cookie = (
        f"{TOKEN_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; "
        f"Max-Age={ctx.auth.ttl_ms // 1000}"
    )
    return Reply(303, headers=(("Location", back), ("Set-Cookie", cookie)))


def sign_out(ctx: Context, request: Request) -> Reply:
    cookie = f"{TOKEN_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
    return Reply(303, headers=(("Location", "/signin"), ("Set-Cookie", cookie)))


def _page(back: str, error: str | None, status: int) -> Reply:
    return Reply(status, render("signin.html", next=back, error=error).encode(), HTML)


def _local(path: str | None) -> str:
    """Where to go after signing in: a path of this server only (never another site)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path
