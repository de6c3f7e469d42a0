"""Access tokens: when to ask for one, how, and what the server's answer means.

With an application key (``configuration.authentication_settings``), a client obtains a token
from ``POST /token`` and sends it as ``X-Authorization``. It renews the token shortly before
the JWT ``exp`` claim (or every ``auth_token_ttl_min`` minutes when there is none), and once
more when the server answers 401 ``EXPIRED_TOKEN``/``INVALID_TOKEN`` (the call is then sent
again, once). A server without ``/token`` (404) has no authentication: requests go without a
token.

``AccessToken`` holds that state without doing I/O, so that ``TaskClient`` (threads) and
``AsyncTaskClient`` (an event loop) share it: each sends the requests and guards the state
with its own kind of lock.

The ``exp`` claim is read without a JWT library and without checking the signature: the client
only needs to know when to ask for a new token, the server remains the judge of validity.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import math
import time
from typing import TYPE_CHECKING

from conductor.client.configuration.settings.authentication_settings import (
    AuthenticationSettings,
)
from conductor.client.http._encoding import json_bytes
from conductor.client.http.errors import (
    ConductorApiError,
    ConductorAuthError,
    error_from_response,
    json_body,
    server_message,
)

if TYPE_CHECKING:
    from conductor.client.http._transport import Answer

logger = logging.getLogger(__name__)

AUTH_HEADER = "X-Authorization"
TOKEN_PATH = "/token"
# The error codes of a 401 that mean "fetch a new token" (any other 401 is an error).
TOKEN_ERRORS = frozenset({"EXPIRED_TOKEN", "INVALID_TOKEN"})
# Renew this long before expiry at most; short-lived tokens renew after 90% of their lifetime.
MAX_RENEW_MARGIN_SECONDS = 60.0
RENEW_FRACTION = 0.1


class AccessToken:
    """The token one client sends (see the module doc).

    Arguments:
        settings: the application key, or ``None`` for a server without authentication.
        ttl_seconds: how long a token without an ``exp`` claim is used.
        base_url: the server's API base, for the log line of a server without ``/token``.
    """

    def __init__(
        self, settings: AuthenticationSettings | None, ttl_seconds: float, base_url: str
    ) -> None:
        self.settings = settings
        self.value: str | None = None
        self._ttl_seconds = ttl_seconds
        self._base_url = base_url
        self._renew_at = 0.0  # epoch seconds; 0 = fetch before the first request
        self._not_used = settings is None  # also once the server showed it has no /token

    @property
    def used(self) -> bool:
        """Whether requests carry a token (a key is set and the server has ``/token``)."""
        return not self._not_used

    def due(self) -> bool:
        """Whether a token must be fetched before the next request. Ask again under the
        client's lock with ``must_fetch``: another caller may have fetched it meanwhile."""
        return not self._not_used and time.time() >= self._renew_at

    def must_fetch(self, rejected: str | None = None) -> bool:
        """Under the client's lock: whether to fetch a token now, because there is none, it is
        due for renewal, or it is ``rejected`` (the token a 401 refused) and no other caller
        replaced it meanwhile."""
        if self._not_used:
            return False
        if rejected is not None:
            return self.value == rejected
        return time.time() >= self._renew_at

    def request(self) -> tuple[str, bytes]:
        """The token request: its name in errors (the key id, never the secret) and its body."""
        assert self.settings is not None
        key_id = self.settings.key_id
        body = json_bytes({"keyId": key_id, "keySecret": self.settings.key_secret})
        return f"POST {TOKEN_PATH} (key id {key_id!r})", body

    def accept(self, answer: Answer, request: str) -> None:
        """Takes the server's answer to ``request()``: a token, or no authentication at all
        (404). Raises ``ConductorAuthError`` when the key is refused, ``ConductorApiError``
        for any other failure."""
        assert self.settings is not None
        status = answer.status
        if status == 404:
            self._not_used = True
            self.value = None
            logger.info(
                "Server %s has no /token endpoint (404): it does not use authentication, "
                "requests go without a token",
                self._base_url,
            )
            return
        if status in (401, 403):
            raise ConductorAuthError(
                f"the server refused application key id {self.settings.key_id!r}: "
                f"{server_message(answer)}",
                status=status,
                request=request,
            )
        if status >= 400:
            raise error_from_response(answer, request)
        data = json_body(answer)
        token = data.get("token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token or not token.isprintable():
            raise ConductorApiError(
                "the server's answer has no usable token", status=status, request=request
            )
        now = time.time()
        self.value = token
        self._renew_at = renewal_time(token, now, self._ttl_seconds)
        logger.debug("Obtained an access token for key id %r", self.settings.key_id)

    def rejected_by(self, answer: Answer) -> bool:
        """Whether ``answer`` (a 401) says the token expired or is invalid: then fetch a new
        one (``must_fetch(rejected=...)``) and send the request once more."""
        if self._not_used or answer.status != 401:
            return False
        body = json_body(answer)
        code = body.get("error") if isinstance(body, dict) else None
        if code not in TOKEN_ERRORS:
            return False
        logger.info("Server answered %s: renewing the access token", code)
        return True


def jwt_expiry(token: str) -> float | None:
    """The ``exp`` claim of a JWT in epoch seconds, or ``None`` when there is none to read."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1]
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        claims = json.loads(raw)
    except (binascii.Error, ValueError):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    if isinstance(exp, bool) or not isinstance(exp, (int, float)) or not math.isfinite(exp):
        return None
    return float(exp)


def renewal_time(token: str, now: float, ttl_seconds: float) -> float:
    """When to fetch the next token: shortly before ``exp``, else after ``ttl_seconds``.

    A token that looks expired already by our clock is used anyway until the TTL passes: the
    clocks may disagree, and the server says so with a 401 that triggers a renewal.
    """
    exp = jwt_expiry(token)
    if exp is None or exp <= now:
        return now + ttl_seconds
    lifetime = exp - now
    return exp - min(MAX_RENEW_MARGIN_SECONDS, lifetime * RENEW_FRACTION)
