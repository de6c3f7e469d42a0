"""KeepAliveAdapter without sockets: TLS settings from requests' arguments, timeouts, and the
mocked server reaching TaskClient's adapter. The exchanges themselves are tested over real
sockets in tests/integration/sdk/test_sdk_http_adapter_sockets.py."""

from __future__ import annotations

import ssl

import pytest
import requests

from conductor.client.configuration.configuration import Configuration
from conductor.client.http.adapter import KeepAliveAdapter, tls_context
from conductor.client.http.task_client import TaskClient

API = "http://conductor.test/api"


def test_verify_true_checks_the_server_against_requests_ca_bundle() -> None:
    context = tls_context(True, None)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] > 10  # certifi's bundle, as requests uses


def test_verify_false_checks_nothing() -> None:
    context = tls_context(False, None)
    assert context.verify_mode == ssl.CERT_NONE and not context.check_hostname


def test_verify_path_loads_that_bundle() -> None:
    bundle = requests.utils.DEFAULT_CA_BUNDLE_PATH
    context = tls_context(bundle, None)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.cert_store_stats() == tls_context(True, None).cert_store_stats()


def test_missing_ca_bundle_is_an_error_naming_the_path(tmp_path) -> None:
    missing = tmp_path / "nowhere.pem"
    with pytest.raises(OSError, match="nowhere.pem"):
        tls_context(str(missing), None)


def test_missing_client_certificate_is_an_error(tmp_path) -> None:
    with pytest.raises(OSError):
        tls_context(True, (str(tmp_path / "client.pem"), str(tmp_path / "client.key")))


def test_timeout_of_three_parts_is_refused() -> None:
    session = requests.Session()
    session.mount("http://", KeepAliveAdapter())
    with pytest.raises(ValueError, match="timeout"):
        session.get(f"{API}/health", timeout=(1, 2, 3))
    session.close()


def test_task_client_mounts_the_adapter_for_both_schemes() -> None:
    client = TaskClient(Configuration(server_api_url=API), pool_maxsize=3)
    session = client._process_state().session
    adapters = [session.get_adapter(url) for url in ("http://h/", "https://h/")]
    assert all(isinstance(adapter, KeepAliveAdapter) for adapter in adapters)
    assert adapters[0]._pool_maxsize == 3
    client.close()


def test_mocked_server_answers_the_adapter_and_plain_requests(server) -> None:
    server.get(f"{API}/tasks/poll/greet", status=204)
    server.get(f"{API}/health", json={"healthy": True})
    client = TaskClient(Configuration(server_api_url=API))
    assert client.poll("greet", worker_id="w1") is None
    assert requests.get(f"{API}/health", timeout=1).json() == {"healthy": True}
    client.close()


class _RecordingSocket:
    """Stands in for a connected socket: records each write."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def sendall(self, data: bytes) -> None:
        self.writes.append(bytes(data))


def _connection_writing_to(sock: _RecordingSocket):
    from conductor.client.http.adapter import _HTTPConnection

    connection = _HTTPConnection("conductor.test", 80)
    connection.sock = sock  # "connected": http.client writes to it
    return connection


def test_a_request_with_a_body_goes_out_in_one_write() -> None:
    sock = _RecordingSocket()
    connection = _connection_writing_to(sock)

    connection.request("POST", "/api/tasks/update-v2", b'{"taskId":"t-1"}', {"X-A": "1"})

    assert len(sock.writes) == 1
    head, _, body = sock.writes[0].partition(b"\r\n\r\n")
    assert head.startswith(b"POST /api/tasks/update-v2 HTTP/1.1\r\n")
    assert b"\r\nContent-Length: 16" in head and b"\r\nX-A: 1" in head
    assert body == b'{"taskId":"t-1"}'


def test_bodies_that_are_not_bytes_are_sent_as_http_client_sends_them() -> None:
    no_body, chunked = _RecordingSocket(), _RecordingSocket()

    _connection_writing_to(no_body).request("GET", "/api/health")
    _connection_writing_to(chunked).request(
        "POST",
        "/api/tasks",
        iter([b"a", b"b"]),
        {"Transfer-Encoding": "chunked"},
        encode_chunked=True,
    )

    assert b"".join(no_body.writes).startswith(b"GET /api/health HTTP/1.1\r\n")
    assert b"".join(chunked.writes).endswith(b"\r\n\r\n1\r\na\r\n1\r\nb\r\n0\r\n\r\n")
