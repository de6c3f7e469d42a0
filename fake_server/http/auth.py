"""Optional token authentication, as Conductor's hosted flavour does it.

``POST /token`` with ``{"keyId", "keySecret"}`` answers ``{"token": ...}``; later requests carry
``X-Authorization: <token>``. A token is a JWT signed (HS256) with a key that only this
authority knows, valid for ``ttl_seconds`` of the injected clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any

from fake_server.engine.clock import Clock
from fake_server.engine.errors import UnauthorizedError

EXPIRED_TOKEN = "EXPIRED_TOKEN"
INVALID_TOKEN = "INVALID_TOKEN"
INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
DEFAULT_TOKEN_TTL_SECONDS = 3600


class TokenAuthority:
    def __init__(
        self,
        key_id: str,
        key_secret: str,
        clock: Clock,
        ttl_seconds: float = DEFAULT_TOKEN_TTL_SECONDS,
    ) -> None:
        if not key_id or not key_secret:
            raise ValueError("authentication needs both a key id and a key secret")
        if ttl_seconds <= 0:
            raise ValueError(f"token ttl must be a positive number of seconds, got {ttl_seconds}")
        self.key_id = key_id
        self._key_secret = key_secret
        self._clock = clock
        self.ttl_ms = int(ttl_seconds * 1000)
        self._signing_key = secrets.token_bytes(32)

    def issue(self, key_id: Any, key_secret: Any) -> str:
        """A new token for matching credentials; 401 otherwise."""
        if not (
            isinstance(key_id, str)
            and isinstance(key_secret, str)
            and hmac.compare_digest(key_id, self.key_id)
            and hmac.compare_digest(key_secret, self._key_secret)
        ):
            raise UnauthorizedError(INVALID_CREDENTIALS, "Invalid keyId or keySecret")
        now = self._clock.now_ms()
        claims = {
            "sub": key_id,
            "iat": now // 1000,
            "exp": (now + self.ttl_ms) // 1000,
            "expMs": now + self.ttl_ms,
        }
        header = _encode({"alg": "HS256", "typ": "JWT"})
        payload = _encode(claims)
        return f"{header}.{payload}.{self._sign(f'{header}.{payload}')}"

    def verify(self, token: str | None) -> None:
        """Return quietly for a valid token; raise 401 (INVALID_TOKEN or EXPIRED_TOKEN)."""
        if not token:
            raise UnauthorizedError(INVALID_TOKEN, "Missing X-Authorization header")
        parts = token.split(".")
        if len(parts) != 3 or not hmac.compare_digest(
            parts[2], self._sign(f"{parts[0]}.{parts[1]}")
        ):
            raise UnauthorizedError(INVALID_TOKEN, "Invalid token")
        claims = _decode(parts[1])
        if self._clock.now_ms() >= claims.get("expMs", 0):
            raise UnauthorizedError(EXPIRED_TOKEN, "Token has expired")

    def _sign(self, signed_part: str) -> str:
        digest = hmac.new(self._signing_key, signed_part.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _encode(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _decode(part: str) -> dict[str, Any]:
    # Only called on a part whose signature matched, so it is our own JSON.
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return claims
