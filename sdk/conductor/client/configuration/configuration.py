"""Where the server is, how to authenticate, how long to wait for it, and how much to log.

Defaults come from the environment, so that pointing workers at another server is a
configuration change only:

- ``CONDUCTOR_SERVER_URL``: the API base, default ``http://localhost:8080/api``;
- ``CONDUCTOR_AUTH_KEY`` and ``CONDUCTOR_AUTH_SECRET``: an application key, used when no
  ``authentication_settings`` are passed and both variables are set and non-empty;
- ``CONDUCTOR_UI_SERVER_URL``: where the server's UI is (``ui_host``), default the server's
  root;
- ``CONDUCTOR_LOG_LEVEL``: the SDK's log level when ``log_level`` is not passed;
- ``CONDUCTOR_REGISTER_SCHEMAS``: ``register_schema`` for every worker that does not say.

The arguments are conductor-python's, in its order (``Configuration("http://host:8080")`` is the
server's root, to which ``/api`` is appended), plus the timeouts. A value that is not allowed
is refused with a message naming it and where it came from.

A ``Configuration`` is a plain picklable value: ``TaskHandler`` hands it to worker processes
started with ``fork``, ``spawn`` or ``forkserver``.
"""

from __future__ import annotations

import logging
import math
import os
from typing import Any

from conductor.client.configuration._yes_no import parse_yes_no
from conductor.client.configuration.settings.authentication_settings import (
    AuthenticationSettings,
)

DEFAULT_SERVER_API_URL = "http://localhost:8080/api"
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 30.0
DEFAULT_AUTH_TOKEN_TTL_MIN = 45.0
DEFAULT_LOGGER_FORMAT = "%(asctime)s %(name)-12s %(levelname)-8s %(message)s"

SDK_LOGGER_NAME = "conductor.client"
logger = logging.getLogger(__name__)
_LEVEL_NAMES = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


class Configuration:
    """Connection settings shared by every worker of a ``TaskHandler``.

    Arguments:
        base_url: the server's root, e.g. ``http://localhost:8080``; ``/api`` is appended.
        debug: log the SDK's own activity at DEBUG level.
        authentication_settings: the application key; default from ``CONDUCTOR_AUTH_KEY`` and
            ``CONDUCTOR_AUTH_SECRET``. Without it, requests carry no token.
        server_api_url: the API base itself, e.g. ``http://localhost:8080/api`` (wins over
            ``base_url``); default from ``CONDUCTOR_SERVER_URL``. A trailing slash is dropped.
        auth_token_ttl_min: how often to renew a token that carries no expiry time.
        register_schema: whether workers that do not say register JSON schemas with their task
            definitions (``register_task_def``); default from ``CONDUCTOR_REGISTER_SCHEMAS``.
        log_level: the level of the SDK's logger ``conductor.client``, a name (``"INFO"``) or a
            number; default from ``CONDUCTOR_LOG_LEVEL``, else DEBUG with ``debug``, else INFO.
            Only that logger's level is set; handlers are the application's business.
        connect_timeout: seconds to wait for a TCP connection.
        read_timeout: seconds to wait for a response; a long poll waits this much on top of
            its own timeout.

    Attributes set after construction, as with conductor-python 2.0.0: ``verify_ssl``,
    ``ssl_ca_cert``, ``cert_file``, ``key_file``, ``assert_hostname`` and ``proxy`` (see
    ``conductor.client.http.connection_settings``).
    """

    def __init__(
        self,
        base_url: str | None = None,
        debug: bool = False,
        authentication_settings: AuthenticationSettings | None = None,
        server_api_url: str | None = None,
        auth_token_ttl_min: float = DEFAULT_AUTH_TOKEN_TTL_MIN,
        register_schema: bool | None = None,
        log_level: int | str | None = None,
        *,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
    ) -> None:
        self.server_api_url = _api_url(server_api_url, base_url)
        self._ui_host = os.environ.get("CONDUCTOR_UI_SERVER_URL") or None
        self.authentication_settings = (
            authentication_settings
            if authentication_settings is not None
            else _authentication_from_env()
        )
        self.connect_timeout = _positive("connect_timeout", connect_timeout, "seconds")
        self.read_timeout = _positive("read_timeout", read_timeout, "seconds")
        self.auth_token_ttl_min = _positive("auth_token_ttl_min", auth_token_ttl_min, "minutes")
        self.register_schema = _register_schema(register_schema)
        self.logger_format = DEFAULT_LOGGER_FORMAT
        # conductor-python 2.0.0's TLS and proxy attributes, set after construction
        # (conductor.client.http.connection_settings says what each does).
        self.verify_ssl: bool = True
        self.ssl_ca_cert: str | None = None
        self.cert_file: str | None = None
        self.key_file: str | None = None
        self.assert_hostname: bool | None = None
        self.proxy: str | None = None
        self._explicit_level = _explicit_level(log_level)
        self._debug = bool(debug)
        self.apply_log_level()

    @property
    def host(self) -> str:
        """The API base URL (conductor-python's name); settable."""
        return self.server_api_url

    @host.setter
    def host(self, url: str) -> None:
        if not isinstance(url, str) or not url.strip():
            raise ValueError(f"Configuration: host={url!r} must be the server's API URL")
        self.server_api_url = _api_url(url, None, source="host")

    @property
    def ui_host(self) -> str:
        """Where the server's UI is: ``CONDUCTOR_UI_SERVER_URL``, else the server's root."""
        return self._ui_host or self.server_api_url.removesuffix("/api")

    @property
    def debug(self) -> bool:
        return self._debug

    @debug.setter
    def debug(self, value: bool) -> None:
        self._debug = bool(value)
        self.apply_log_level()

    @property
    def log_level(self) -> int:
        """The level of the SDK's logger: ``log_level`` (or ``CONDUCTOR_LOG_LEVEL``), else
        DEBUG with ``debug``, else INFO."""
        if self._explicit_level is not None:
            return self._explicit_level
        return logging.DEBUG if self._debug else logging.INFO

    def apply_log_level(self) -> None:
        """Sets the level of the ``conductor.client`` logger when ``debug`` or ``log_level``
        asks for one. Only our own logger's level changes; handlers are the application's."""
        if self._debug or self._explicit_level is not None:
            logging.getLogger(SDK_LOGGER_NAME).setLevel(self.log_level)

    def apply_logging_config(self, log_format: str | None = None, level: int | None = None) -> None:
        """Configures logging for the application (``logging.basicConfig``), as
        conductor-python's method does: only when the application calls it."""
        logging.basicConfig(format=log_format or self.logger_format, level=level or self.log_level)
        logging.getLogger("urllib3").setLevel(logging.WARNING)

    @staticmethod
    def get_logging_formatted_name(name: str) -> str:
        """``[pid] name``: conductor-python's logger names."""
        return f"[{os.getpid()}] {name}"

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        # A spawned worker process starts with fresh loggers: carry the level over.
        self.apply_log_level()

    def __repr__(self) -> str:
        return (
            f"Configuration(server_api_url={self.server_api_url!r}, debug={self.debug}, "
            f"authentication_settings={self.authentication_settings!r})"
        )


def _api_url(
    server_api_url: str | None, base_url: str | None, source: str = "server_api_url"
) -> str:
    if server_api_url:
        url = server_api_url
    elif base_url:
        if base_url.rstrip("/").endswith("/api"):
            logger.warning(
                "Configuration: base_url=%r already ends in /api; /api is appended all the same "
                "(as conductor-python does): pass server_api_url= for the API base itself",
                base_url,
            )
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


def _explicit_level(log_level: int | str | None) -> int | None:
    source = "log_level"
    if log_level is None or log_level == "":
        log_level = os.environ.get("CONDUCTOR_LOG_LEVEL") or None
        source = "env CONDUCTOR_LOG_LEVEL"
    if log_level is None:
        return None
    if isinstance(log_level, int) and not isinstance(log_level, bool):
        return log_level
    name = str(log_level).strip().upper()
    if name in _LEVEL_NAMES:
        return int(getattr(logging, name))
    raise ValueError(
        f"Configuration: {source}={log_level!r} is not a log level: give one of "
        f"{', '.join(_LEVEL_NAMES)} or a number"
    )


def _register_schema(value: bool | None) -> bool | None:
    if value is not None:
        if not isinstance(value, bool):
            raise ValueError(f"Configuration: register_schema={value!r} must be True or False")
        return value
    text = os.environ.get("CONDUCTOR_REGISTER_SCHEMAS")
    if text is None or not text.strip():
        return None
    try:
        return parse_yes_no(text)
    except ValueError as error:
        raise ValueError(
            f"Configuration: env CONDUCTOR_REGISTER_SCHEMAS={text!r} {error}"
        ) from None
