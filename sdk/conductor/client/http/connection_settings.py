"""How the SDK's clients reach the server: how its TLS certificate is checked, the client
certificate, the proxy. ``TaskClient`` (``conductor.client.http._transport``) and
``AsyncTaskClient`` (``conductor.client.http._async_transport``) apply the same
``ConnectionSettings``.

They come from conductor-python 2.0.0's ``Configuration`` attributes, set after construction
(``configuration.verify_ssl = False``):

- ``verify_ssl`` (default ``True``): ``False`` accepts any certificate, a self-signed one
  included: the connection is encrypted, but the server is not authenticated.
- ``ssl_ca_cert``: a file (or a folder, as OpenSSL reads one) of CA certificates to check the
  server against; default ``REQUESTS_CA_BUNDLE`` (or ``CURL_CA_BUNDLE``) from the
  environment, else ``requests``' bundle.
- ``cert_file`` and ``key_file``: a client certificate, for a server that asks for one
  (mutual TLS); ``key_file`` may be left out when ``cert_file`` holds the key too.
- ``assert_hostname``: ``False`` checks the certificate's chain but not that it names the
  server's host (a certificate made for another name).
- ``proxy``: the URL of a proxy every request goes through; default the environment's
  (``HTTP_PROXY``, ``HTTPS_PROXY``, ``NO_PROXY``), as with ``requests``.

2.0.0 keeps these attributes without reading them (its ``httpx`` client takes the
environment's settings only); here they do what their names say. A value of the wrong kind is
an error naming the attribute.
"""

from __future__ import annotations

import logging
import os
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.utils import DEFAULT_CA_BUNDLE_PATH

from conductor.client.configuration.configuration import Configuration

__all__ = ["ConnectionSettings"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConnectionSettings:
    """TLS and proxy settings of one client (see the module doc)."""

    verify: bool = True
    ca_certificates: str | None = None  # ssl_ca_cert, a file or folder
    client_certificate: str | None = None
    client_key: str | None = None
    check_hostname: bool = True
    proxy: str | None = None  # the configuration's
    environment_proxy: str | None = None  # the environment's for the server, if any

    @property
    def proxy_url(self) -> str | None:
        """The proxy requests go through, or ``None``: straight to the server."""
        return self.proxy or self.environment_proxy

    @classmethod
    def of(cls, configuration: Configuration) -> ConnectionSettings:
        """The settings of ``configuration``, the environment's where it sets none."""
        url = configuration.server_api_url
        verify = configuration.verify_ssl
        if not isinstance(verify, bool):
            raise ValueError(f"Configuration: verify_ssl={verify!r} must be True or False")
        assert_hostname = configuration.assert_hostname
        if assert_hostname is not None and not isinstance(assert_hostname, bool):
            raise ValueError(
                f"Configuration: assert_hostname={assert_hostname!r} must be True, False or "
                "None (False: the certificate need not name the server's host)"
            )
        settings = cls(
            verify=verify,
            ca_certificates=_path("ssl_ca_cert", configuration.ssl_ca_cert),
            client_certificate=_path("cert_file", configuration.cert_file),
            client_key=_path("key_file", configuration.key_file),
            check_hostname=verify and assert_hostname is not False,
            proxy=_proxy(configuration.proxy),
            environment_proxy=requests.utils.select_proxy(
                url, requests.utils.get_environ_proxies(url)
            ),
        )
        if settings.client_key and not settings.client_certificate:
            raise ValueError(
                f"Configuration: key_file={settings.client_key!r} is set without cert_file: "
                "set cert_file to the client certificate the key belongs to"
            )
        if not verify and url.startswith("https:"):
            logger.warning(
                "verify_ssl is False: the certificate of %s is not checked (the connection is "
                "encrypted, but anyone can pose as the server)",
                url,
            )
        return settings

    def tls_context(self) -> ssl.SSLContext:
        """An ``ssl.SSLContext`` that checks the server (and shows the client certificate) as
        these settings say."""
        if self.verify:
            context = _verifying_context(
                self.ca_certificates
                or os.environ.get("REQUESTS_CA_BUNDLE")
                or os.environ.get("CURL_CA_BUNDLE")
                or DEFAULT_CA_BUNDLE_PATH
            )
            context.check_hostname = self.check_hostname
        else:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if self.client_certificate:
            try:
                context.load_cert_chain(self.client_certificate, self.client_key)
            except (OSError, ssl.SSLError) as error:
                key = f" and key_file {self.client_key!r}" if self.client_key else ""
                raise OSError(
                    f"cannot load the client certificate cert_file {self.client_certificate!r}"
                    f"{key}: {error}"
                ) from error
        return context

    def request_options(self) -> dict[str, Any]:
        """The ``requests`` arguments of a request with what the configuration sets: given
        with each request, they win over a session's and the environment's own (what it
        leaves unset, ``requests`` takes from the session and the environment)."""
        options: dict[str, Any] = {}
        if not self.verify:
            options["verify"] = False
        elif self.ca_certificates:
            options["verify"] = self.ca_certificates
        if self.client_certificate:
            options["cert"] = (
                (self.client_certificate, self.client_key)
                if self.client_key
                else self.client_certificate
            )
        if self.proxy:
            options["proxies"] = {"http": self.proxy, "https": self.proxy}
        return options

    def session(self) -> requests.Session:
        """A ``requests.Session`` for these settings (send with ``request_options()``)."""
        session = requests.Session()
        if self.verify and not self.check_hostname:
            session.mount("https://", _NoHostnameCheckAdapter())
        return session


class _NoHostnameCheckAdapter(HTTPAdapter):
    """Checks certificates without matching them to the host (``assert_hostname=False``),
    for connections straight to the server and through a proxy alike."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, assert_hostname=False, **kwargs)

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        return super().proxy_manager_for(proxy, assert_hostname=False, **kwargs)


def _verifying_context(location: str) -> ssl.SSLContext:
    if not os.path.exists(location):
        raise OSError(f"cannot find the TLS CA certificate bundle {location!r}")
    if os.path.isdir(location):
        return ssl.create_default_context(capath=location)
    return ssl.create_default_context(cafile=location)


def _path(name: str, value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, (str, os.PathLike)):
        raise ValueError(f"Configuration: {name}={value!r} must be a file path")
    return str(os.fspath(value))


def _proxy(proxy: object) -> str | None:
    if proxy is None or proxy == "":
        return None
    if isinstance(proxy, str):
        parts = urlsplit(proxy)
        if parts.scheme in ("http", "https") and parts.hostname:
            return proxy
    raise ValueError(
        f"Configuration: proxy={proxy!r} must be a proxy's http:// or https:// URL, "
        "e.g. http://proxy.example.com:3128"
    )
