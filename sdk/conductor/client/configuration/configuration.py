"""Where the server is, how to authenticate, and how long to wait for it.

Defaults come from the environment, so that pointing workers at another server is a
configuration change only:

- ``CONDUCTOR_SERVER_URL``: the API base, default ``http://localhost:8080/api``;
- ``CONDUCTOR_AUTH_KEY`` and ``CONDUCTOR_AUTH_SECRET``: an application key, used when no
  ``authentication_settings`` are passed and both variables are set and non-empty.

A ``Configuration`` is a plain picklable value: ``TaskHandler`` hands it to worker processes
started with ``fork``, ``spawn`` or ``forkserver``.
"""

from __future__ import annotations

import logging
import math
import os
from typing import Any

from conductor.client.configuration.settings.authentication_settings import (
    AuthenticationSettings,
)

DEFAULT_SERVER_API_URL = "http://localhost:8080/api"
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 30.0
DEFAULT_AUTH_TOKEN_TTL_MIN = 45.0

SDK_LOGGER_NAME = "conductor.client"


class Configuration:
    """Connection settings shared by every worker of a ``TaskHandler``.

    Arguments:
        server_api_url: the API base, e.g. ``http://localhost:8080/api``; default from
            ``CONDUCTOR_SERVER_URL``. A trailing slash is dropped.
        debug: log the SDK's own activity at DEBUG level (sets the level of the
            ``conductor.client`` logger; the SDK never installs logging handlers).
        authentication_settings: the application key; default from ``CONDUCTOR_AUTH_KEY`` and
            ``CONDUCTOR_AUTH_SECRET``. Without it, requests carry no token.
        base_url: the server root instead of the API base (``/api`` is appended); only used
            when ``server_api_url`` is not given.
        connect_timeout: seconds to wait for a TCP connection.
        read_timeout: seconds to wait for a response; a long poll waits this much on top of
            its own timeout.
        auth_token_ttl_min: how often to renew a token that carries no expiry time.
    """

    def __init__(
        self,
        server_api_url: str | None = None,
        debug: bool = False,
        authentication_settings: AuthenticationSettings | None = None,
        *,
        base_url: str | None = None,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        auth_token_ttl_min: float = DEFAULT_AUTH_TOKEN_TTL_MIN,
    ) -> None:
        self.server_api_url = _api_url(server_api_url, base_url)
        self.debug = bool(debug)
        self.authentication_settings = (
            authentication_settings
            if authentication_settings is not None
            else _authentication_from_env()
        )
        self.connect_timeout = _positive("connect_timeout", connect_timeout, "seconds")
        self.read_timeout = _positive("read_timeout", read_timeout, "seconds")
        self.auth_token_ttl_min = _positive("auth_token_ttl_min", auth_token_ttl_min, "minutes")
        self.apply_log_level()

    @property
    def host(self) -> str:
        """The API base URL (the name the official SDK uses)."""
        return self.server_api_url

    @property
    def log_level(self) -> int:
        """The level for the SDK's logger: DEBUG with ``debug=True``, else INFO."""
        return logging.DEBUG if self.debug else logging.INFO

    def apply_log_level(self) -> None:
        """Sets the level of the ``conductor.client`` logger when ``debug`` is on.

        Only our own logger's level changes; handlers are the application's business.
        """
        if self.debug:
            logging.getLogger(SDK_LOGGER_NAME).setLevel(logging.DEBUG)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        # A spawned worker process starts with fresh loggers: carry the debug level over.
        self.apply_log_level()

    def __repr__(self) -> str:
        return (
            f"Configuration(server_api_url={self.server_api_url!r}, debug={self.debug}, "
            f"authentication_settings={self.authentication_settings!r})"
        )


def _api_url(server_api_url: str | None, base_url: str | None) -> str:
    if server_api_url:
        url, source = server_api_url, "server_api_url"
    elif base_url:
        url, source = base_url.rstrip("/") + "/api", "base_url"
    elif os.environ.get("CONDUCTOR_SERVER_URL"):
        url, source = os.environ["CONDUCTOR_SERVER_URL"], "env CONDUCTOR_SERVER_URL"
    else:
        url, source = DEFAULT_SERVER_API_URL, "default"
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ValueError(
            f"Configuration: server URL {url!r} (from {source}) must start with http:// or "
            "https://, e.g. http://localhost:8080/api"
        )
    return url


def _authentication_from_env() -> AuthenticationSettings | None:
    key_id = os.environ.get("CONDUCTOR_AUTH_KEY")
    key_secret = os.environ.get("CONDUCTOR_AUTH_SECRET")
    if key_id and key_secret:
        return AuthenticationSettings(key_id=key_id, key_secret=key_secret)
    return None


def _positive(name: str, value: float, unit: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise ValueError(f"Configuration: {name}={value!r} must be a positive number of {unit}")
    return float(value)
