"""conductor-python 2.0.0's TLS and proxy attributes of ``Configuration`` (``verify_ssl``,
``ssl_ca_cert``, ``cert_file``, ``key_file``, ``assert_hostname``, ``proxy``), over real
sockets, for the threaded ``TaskClient`` and the ``AsyncTaskClient`` alike.

The server is a small threaded ``http.server`` of the test's own on port 0, over TLS with
certificates made here by ``trustme`` (a CA of the test's, the server's certificate, a
worker's client certificate). It answers every ``GET`` with an empty list (an empty batch
poll), and records what it received.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import trustme

from conductor.client.configuration.configuration import Configuration
from conductor.client.http.async_task_client import AsyncTaskClient
from conductor.client.http.models.task import Task
from conductor.client.http.task_client import ConductorApiError, TaskClient

pytestmark = pytest.mark.usefixtures("no_network_settings_from_the_environment")

CLIENTS = ["TaskClient", "AsyncTaskClient"]


class Handler(BaseHTTPRequestHandler):
    server: RecordingServer

    def do_GET(self) -> None:
        certificate = self.request.getpeercert() if self.server.tls else None
        self.server.received.append({"target": self.path, "client_certificate": certificate})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"[]")

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the test reads what was received, not the access log


class RecordingServer(ThreadingHTTPServer):
    """Plain HTTP, or TLS with ``tls``; the TLS handshake runs in the request's thread."""

    daemon_threads = False
    block_on_close = True

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.tls = tls
        self.received: list[dict[str, Any]] = []
        self.handshake_failures: list[str] = []
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self.server_address[1]}"

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.tls is not None:
            try:
                request = self.tls.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError) as error:
                self.handshake_failures.append(str(error))
                return
        super().finish_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that gave up: fine
            super().handle_error(request, client_address)


@contextlib.contextmanager
def serving(tls: ssl.SSLContext | None = None) -> Iterator[RecordingServer]:
    server = RecordingServer(tls)
    thread = threading.Thread(target=server.serve_forever, name="tls-test-server", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()  # joins the request threads
        thread.join(10)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


def server_context(ca: trustme.CA, name: str = "127.0.0.1") -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(name).configure_cert(context)
    return context


def configuration_of(server: RecordingServer, **attributes: Any) -> Configuration:
    configuration = Configuration(server_api_url=f"{server.url}/api")
    for name, value in attributes.items():  # set after construction, as 2.0.0 code does
        setattr(configuration, name, value)
    return configuration


def poll(client_kind: str, configuration: Configuration) -> list[Task]:
    """One batch poll with a client of ``client_kind``; raises what the client raises."""
    if client_kind == "TaskClient":
        with TaskClient(configuration) as client:
            return client.batch_poll("t", worker_id="w1")

    async def with_async_client() -> list[Task]:
        client = AsyncTaskClient(configuration, pool_maxsize=2)
        try:
            return await client.batch_poll("t", worker_id="w1")
        finally:
            await client.close()

    return asyncio.run(with_async_client())


# -- checking the server's certificate ---------------------------------------------------------


@pytest.mark.parametrize("client_kind", CLIENTS)
def test_a_server_with_an_unknown_certificate_is_refused_by_default(ca, client_kind) -> None:
    with serving(server_context(ca)) as server, pytest.raises(ConductorApiError) as raised:
        poll(client_kind, configuration_of(server))
    assert raised.value.transient and "certificate" in str(raised.value).lower()
    assert server.received == []


@pytest.mark.parametrize("client_kind", CLIENTS)
def test_verify_ssl_false_reaches_a_server_with_a_self_signed_certificate(
    ca, client_kind, caplog
) -> None:
    with serving(server_context(ca)) as server:
        assert poll(client_kind, configuration_of(server, verify_ssl=False)) == []
    assert [r["target"] for r in server.received] == [
        "/api/tasks/poll/batch/t?workerid=w1&count=1&timeout=0"
    ]
    assert "verify_ssl is False" in caplog.text  # said once the client is made


@pytest.mark.parametrize("client_kind", CLIENTS)
def test_ssl_ca_cert_names_the_certificates_the_server_is_checked_against(
    ca, ca_file, client_kind
) -> None:
    with serving(server_context(ca)) as server:
        assert poll(client_kind, configuration_of(server, ssl_ca_cert=str(ca_file))) == []
    assert len(server.received) == 1


@pytest.mark.parametrize("client_kind", CLIENTS)
def test_assert_hostname_false_accepts_a_trusted_certificate_made_for_another_name(
    ca, ca_file, client_kind
) -> None:
    context = server_context(ca, name="conductor.example.com")
    with serving(context) as server:
        with pytest.raises(ConductorApiError):  # the name is checked by default
            poll(client_kind, configuration_of(server, ssl_ca_cert=str(ca_file)))
        configuration = configuration_of(server, ssl_ca_cert=str(ca_file), assert_hostname=False)
        assert poll(client_kind, configuration) == []
    assert len(server.received) == 1


@pytest.mark.parametrize("client_kind", CLIENTS)
def test_assert_hostname_false_still_checks_the_certificate_chain(ca, client_kind) -> None:
    with serving(server_context(ca)) as server, pytest.raises(ConductorApiError):
        poll(client_kind, configuration_of(server, assert_hostname=False))  # CA not trusted
    assert server.received == []


# -- client certificates (mutual TLS) ----------------------------------------------------------


@pytest.fixture(scope="module")
def client_files(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The worker's certificate in one file with its key, and in two files."""
    folder = tmp_path_factory.mktemp("client")
    issued = ca.issue_cert("worker@example.com")
    files = {
        "both": folder / "worker.pem",
        "cert": folder / "worker-cert.pem",
        "key": folder / "worker-key.pem",
    }
    issued.private_key_and_cert_chain_pem.write_to_path(str(files["both"]))
    issued.cert_chain_pems[0].write_to_path(str(files["cert"]))
    issued.private_key_pem.write_to_path(str(files["key"]))
    return files


def mutual_tls_context(ca: trustme.CA) -> ssl.SSLContext:
    """A server that wants a client certificate from the test's CA."""
    context = server_context(ca)
    context.verify_mode = ssl.CERT_REQUIRED
    ca.configure_trust(context)
    return context


@pytest.mark.parametrize("client_kind", CLIENTS)
@pytest.mark.parametrize("files", ["cert_file and key_file", "cert_file holding the key"])
def test_cert_file_and_key_file_are_the_client_certificate_the_server_asks_for(
    ca, ca_file, client_files, client_kind, files
) -> None:
    if files == "cert_file and key_file":
        attributes = {"cert_file": str(client_files["cert"]), "key_file": str(client_files["key"])}
    else:
        attributes = {"cert_file": str(client_files["both"])}
    with serving(mutual_tls_context(ca)) as server:
        configuration = configuration_of(server, ssl_ca_cert=str(ca_file), **attributes)
        assert poll(client_kind, configuration) == []
    [received] = server.received
    subject_names = [value for _, value in received["client_certificate"]["subjectAltName"]]
    assert subject_names == ["worker@example.com"]


@pytest.mark.parametrize("client_kind", CLIENTS)
def test_without_a_client_certificate_such_a_server_refuses_the_connection(
    ca, ca_file, client_kind
) -> None:
    with serving(mutual_tls_context(ca)) as server, pytest.raises(ConductorApiError) as raised:
        poll(client_kind, configuration_of(server, ssl_ca_cert=str(ca_file)))
    assert raised.value.transient
    assert server.received == []


def test_a_client_certificate_that_cannot_be_read_is_an_error_naming_the_file(tmp_path) -> None:
    configuration = Configuration(server_api_url="https://conductor.invalid/api")
    configuration.cert_file = str(tmp_path / "missing.pem")
    with pytest.raises(OSError, match="cert_file .*missing.pem"):
        TaskClient(configuration)


# -- proxies -----------------------------------------------------------------------------------


@pytest.mark.parametrize("client_kind", CLIENTS)
def test_proxy_sends_every_request_through_that_proxy(client_kind, monkeypatch) -> None:
    # The local server plays the proxy: it receives the absolute URL, as a proxy does. The
    # environment's proxy, which leads nowhere, gives way to the configuration's.
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    with serving() as proxy:
        configuration = Configuration(server_api_url="http://conductor.invalid/api")
        configuration.proxy = proxy.url
        assert poll(client_kind, configuration) == []
    assert [r["target"] for r in proxy.received] == [
        "http://conductor.invalid/api/tasks/poll/batch/t?workerid=w1&count=1&timeout=0"
    ]


def test_the_async_client_goes_through_the_proxy_from_the_environment(monkeypatch) -> None:
    with serving() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        assert poll("AsyncTaskClient", Configuration("http://conductor.invalid")) == []
    assert proxy.received[0]["target"].startswith("http://conductor.invalid/api/tasks/poll/")


# -- values that cannot be right ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("verify_ssl", "no"),
        ("assert_hostname", "conductor.example.com"),
        ("proxy", "proxy.example.com:3128"),
        ("ssl_ca_cert", 42),
    ],
)
@pytest.mark.parametrize("client_kind", CLIENTS)
def test_a_value_of_the_wrong_kind_is_an_error_naming_the_attribute(
    attribute, value, client_kind
) -> None:
    configuration = Configuration(server_api_url="https://conductor.invalid/api")
    setattr(configuration, attribute, value)
    with pytest.raises(ValueError, match=f"Configuration: {attribute}="):
        poll(client_kind, configuration)


def test_key_file_without_cert_file_is_an_error_saying_what_is_missing(tmp_path) -> None:
    configuration = Configuration(server_api_url="https://conductor.invalid/api")
    configuration.key_file = str(tmp_path / "worker-key.pem")
    with pytest.raises(ValueError, match="key_file=.* without cert_file"):
        TaskClient(configuration)
