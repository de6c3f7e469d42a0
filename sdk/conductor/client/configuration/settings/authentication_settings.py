"""The key id and secret used to obtain an access token from the server."""

from __future__ import annotations


class AuthenticationSettings:
    """An application key: ``key_id`` and ``key_secret``.

    The secret is never shown: not in ``repr``, not in logs, not in error messages.
    """

    def __init__(self, key_id: str, key_secret: str) -> None:
        if not key_id:
            raise ValueError("AuthenticationSettings: key_id must be a non-empty string")
        if not key_secret:
            raise ValueError(
                f"AuthenticationSettings: key_secret for key id {key_id!r} must be non-empty"
            )
        self.key_id = key_id
        self.key_secret = key_secret

    def __repr__(self) -> str:
        return f"AuthenticationSettings(key_id={self.key_id!r}, key_secret='***')"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AuthenticationSettings):
            return NotImplemented
        return (self.key_id, self.key_secret) == (other.key_id, other.key_secret)

    def __hash__(self) -> int:
        return hash(self.key_id)
