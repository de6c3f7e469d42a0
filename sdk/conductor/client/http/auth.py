"""When to renew an access token.

The server hands out a JWT; its ``exp`` claim (epoch seconds) says when it stops working. The
claim is read without a JWT library and without checking the signature: the client only needs
to know when to ask for a new token, the server remains the judge of validity.
"""

from __future__ import annotations

import base64
import binascii
import json
import math

# Renew this long before expiry at most; short-lived tokens renew after 90% of their lifetime.
MAX_RENEW_MARGIN_SECONDS = 60.0
RENEW_FRACTION = 0.1


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
