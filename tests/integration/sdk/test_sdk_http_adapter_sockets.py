"""KeepAliveAdapter over real sockets: keep-alive reuse, connections the server closed,
timeouts, refused connections, TLS options, and the hand-over of proxied requests.

The server here is a small threaded ``http.server`` of the test's own (port 0) that can
misbehave on request: close a connection without answering, answer half, or hold the answer.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import pickle
import shutil
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from conductor.client.configuration.configuration import Configuration
from conductor.client.http.adapter import KeepAliveAdapter
from conductor.client.http.task_client import ConductorApiError, TaskClient


class Handler(BaseHTTPRequestHandler):
    """Answers by path; ``server`` is a ``LocalServer``."""

    protocol_version = "HTTP/1.1"  # keep-alive
    timeout = 20  # a forgotten client cannot hold a handler thread for ever
    server: LocalServer

    def setup(self) -> None:
        super().setup()
        self.served = 0  # requests answered on this connection
        self.number = self.server.accepted(self.connection)

    def finish(self) -> None:
        super().finish()
        self.server.closed(self.number)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep the test output clean

    def do_GET(self) -> None:
        self.answer()

    def do_POST(self) -> None:
        self.answer()

    def answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        self.server.record(self.number, self.command, self.path, body, dict(self.headers))
        reused = self.served > 0
        self.served += 1
        if path == "/drop" or (path == "/drop-if-reused" and reused):
            self.close_connection = True  # no answer at all: the keep-alive race
            return
        if path == "/slow":
            self.server.release.wait(20)
        if path == "/chunked":
            self.send_chunked(body)
            return
        if path == "/partial":
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc")
            self.close_connection = True
            return
        self.send(path, body)

    def send_chunked(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for piece in (b"first ", "grün ".encode(), body):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        self.wfile.write(b"0\r\n\r\n")

    def send(self, path: str, body: bytes) -> None:
        content = json.dumps(
            {"method": self.command, "target": self.path, "body": body.decode("utf-8")}
        ).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if path == "/gzip":
            content = gzip.compress(content)
            self.send_header("Content-Encoding", "gzip")
        if path == "/repeated":
            self.send_header("X-Many", "one")
            self.send_header("X-Many", "two")
        if path == "/close":
            self.send_header("Connection", "close")
            self.close_connection = True
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)


class LocalServer(ThreadingMixIn, HTTPServer):
    """Counts accepted connections and records requests; joins its threads when closed."""

    daemon_threads = False
    block_on_close = True

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.tls = tls
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.connections: list[socket.socket] = []
        self.finished: set[int] = set()  # connections whose handler saw them closed
        self.requests: list[dict[str, Any]] = []
        self.release = threading.Event()
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self.server_address[1]}"

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.tls is not None:
            try:
                request.settimeout(20)
                request.do_handshake()
            except (ssl.SSLError, OSError):
                return  # the client refused our certificate (or we refused its)
        super().finish_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that gave up: fine
            super().handle_error(request, client_address)

    def accepted(self, sock: socket.socket) -> int:
        with self.lock:
            self.connections.append(sock)
            return len(self.connections)

    def closed(self, connection: int) -> None:
        with self.changed:
            self.finished.add(connection)
            self.changed.notify_all()

    def wait_closed(self, connection: int, timeout: float = 10.0) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: connection in self.finished, timeout)

    def record(self, connection: int, method: str, target: str, body: bytes, headers: Any) -> None:
        with self.lock:
            self.requests.append(
                {"connection": connection, "method": method, "target": target, "body": body}
            )

    def stop(self) -> None:
        self.release.set()
        self.shutdown()
        with self.lock:
            for sock in self.connections:  # wakes handlers waiting for a next request
                with contextlib.suppress(OSError):  # already closed by its handler
                    sock.shutdown(socket.SHUT_RDWR)
        self.server_close()  # joins the handler threads


def start(server: LocalServer) -> LocalServer:
    thread = threading.Thread(target=server.serve_forever, name="local-http", daemon=True)
    thread.start()
    server.thread = thread  # type: ignore[attr-defined]
    return server


def stop(server: LocalServer) -> None:
    server.stop()
    server.thread.join(10)  # type: ignore[attr-defined]


@pytest.fixture
def local() -> Iterator[LocalServer]:
    server = start(LocalServer())
    yield server
    stop(server)


@pytest.fixture
def session() -> Iterator[requests.Session]:
    http = requests.Session()
    http.trust_env = False  # no proxies from the developer's environment
    adapter = KeepAliveAdapter(pool_maxsize=4)
    http.mount("http://", adapter)
    http.mount("https://", adapter)
    yield http
    http.close()


def adapter_of(session: requests.Session) -> KeepAliveAdapter:
    adapter = session.get_adapter("http://x")
    assert isinstance(adapter, KeepAliveAdapter)
    return adapter


# -- keep-alive --------------------------------------------------------------------------------


def test_many_calls_share_one_connection(local, session) -> None:
    for n in range(10):
        answer = session.post(f"{local.url}/echo?n={n}", data=b'{"n": %d}' % n, timeout=5)
        assert answer.status_code == 200
        expected = {"method": "POST", "target": f"/echo?n={n}", "body": f'{{"n": {n}}}'}
        assert answer.json() == expected
        assert answer.headers["content-type"] == "application/json"
        assert answer.encoding == "utf-8"
        assert answer.url == f"{local.url}/echo?n={n}"
    assert session.get(f"{local.url}/echo", timeout=5).ok
    assert len(local.connections) == 1
    assert adapter_of(session).connections_opened == 1


def test_threads_share_the_pool(local, session) -> None:
    errors: list[BaseException] = []

    def calls() -> None:
        try:
            for _ in range(20):
                assert session.get(f"{local.url}/echo", timeout=5).status_code == 200
        except BaseException as exc:  # reported by the test below
            errors.append(exc)

    threads = [threading.Thread(target=calls) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert len(local.requests) == 80
    assert 1 <= len(local.connections) <= 4  # never more than the threads at once


def test_connection_the_server_closed_while_idle_is_replaced(local, session) -> None:
    assert session.get(f"{local.url}/echo", timeout=5).ok
    with local.lock:
        [first] = local.connections
    first.shutdown(socket.SHUT_RDWR)  # the server's keep-alive timeout, say
    assert session.post(f"{local.url}/echo", data=b"x", timeout=5).json()["body"] == "x"
    assert len(local.connections) == 2
    assert [r["connection"] for r in local.requests] == [1, 2]  # sent once, on the new one


def test_reused_connection_closed_without_an_answer_is_retried_once(local, session) -> None:
    # The keep-alive race: the server closes the idle connection as the request arrives.
    assert session.get(f"{local.url}/echo", timeout=5).ok
    answer = session.post(f"{local.url}/drop-if-reused", data=b"result", timeout=5)
    assert answer.json()["body"] == "result"
    assert [(r["connection"], r["target"]) for r in local.requests] == [
        (1, "/echo"),
        (1, "/drop-if-reused"),
        (2, "/drop-if-reused"),
    ]


def test_new_connection_closed_without_an_answer_is_not_retried(local, session) -> None:
    with pytest.raises(requests.ConnectionError):
        session.post(f"{local.url}/drop", data=b"result", timeout=5)
    assert len(local.requests) == 1


def test_half_an_answer_is_an_error_and_the_request_is_not_resent(local, session) -> None:
    assert session.get(f"{local.url}/echo", timeout=5).ok
    with pytest.raises(requests.ConnectionError):
        session.post(f"{local.url}/partial", data=b"result", timeout=5)
    assert [r["target"] for r in local.requests] == ["/echo", "/partial"]
    assert session.get(f"{local.url}/echo", timeout=5).ok  # on a new connection
    assert len(local.connections) == 2


def test_server_that_says_close_gets_a_new_connection_next_time(local, session) -> None:
    assert session.get(f"{local.url}/close", timeout=5).ok
    assert session.get(f"{local.url}/echo", timeout=5).ok
    assert session.get(f"{local.url}/echo", timeout=5).ok
    assert len(local.connections) == 2


def test_close_closes_idle_connections(local, session) -> None:
    assert session.get(f"{local.url}/echo", timeout=5).ok
    assert session.get(f"{local.url}/echo", timeout=5).ok
    assert len(local.connections) == 1  # kept alive...
    session.close()
    assert local.wait_closed(1)  # ...until the client closes it


# -- bodies ------------------------------------------------------------------------------------


def test_gzip_body_is_decoded(local, session) -> None:
    answer = session.get(f"{local.url}/gzip", headers={"Accept-Encoding": "gzip"}, timeout=5)
    assert answer.json()["target"] == "/gzip"


def test_repeated_header_fields_are_joined(local, session) -> None:
    assert session.get(f"{local.url}/repeated", timeout=5).headers["x-many"] == "one, two"


def test_chunked_body_is_read_whole_and_the_connection_kept(local, session) -> None:
    answer = session.post(f"{local.url}/chunked", data=b"third", timeout=5)
    assert (answer.text, answer.encoding) == ("first grün third", "utf-8")
    assert session.get(f"{local.url}/echo", timeout=5).ok
    assert len(local.connections) == 1


def test_a_pickled_session_still_sends(local, session) -> None:
    assert session.get(f"{local.url}/echo", timeout=5).ok
    copy = pickle.loads(pickle.dumps(session))
    try:
        assert copy.get(f"{local.url}/echo", timeout=5).ok
        assert adapter_of(copy).connections_opened == 1  # its own connection
    finally:
        copy.close()


# -- failures ----------------------------------------------------------------------------------


def test_slow_answer_is_a_read_timeout(local, session) -> None:
    with pytest.raises(requests.ReadTimeout):
        session.get(f"{local.url}/slow", timeout=(5, 0.2))
    local.release.set()
    assert session.get(f"{local.url}/echo", timeout=5).ok  # a new connection, not the late one


@pytest.fixture
def unanswering_port() -> Iterator[int]:
    """A port whose connection attempts hang: its listener's accept queue is full."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers: list[socket.socket] = []
    try:
        for _ in range(8):
            filler = socket.socket()
            filler.settimeout(0.2)
            fillers.append(filler)
            try:
                filler.connect(("127.0.0.1", port))
            except TimeoutError:
                break
        else:
            pytest.skip("this system accepts connections beyond the listen backlog")
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


def test_connection_attempt_that_hangs_is_a_connect_timeout(unanswering_port, session) -> None:
    with pytest.raises(requests.ConnectTimeout):
        session.get(f"http://127.0.0.1:{unanswering_port}/echo", timeout=(0.2, 5))


def test_refused_connection_is_a_connection_error(session) -> None:
    with socket.socket() as probe:  # a port that nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(requests.ConnectionError) as raised:
        session.get(f"http://127.0.0.1:{port}/echo", timeout=5)
    assert not isinstance(raised.value, requests.Timeout)


def test_task_client_reports_timeouts_and_refusals_as_transient(unanswering_port) -> None:
    config = Configuration(server_api_url=f"http://127.0.0.1:{unanswering_port}/api")
    config.connect_timeout = 0.2
    with TaskClient(config) as client, pytest.raises(ConductorApiError) as raised:
        client.poll("double", worker_id="w1")
    assert raised.value.transient and "timed out" in str(raised.value)


# -- proxies -----------------------------------------------------------------------------------


def test_proxied_requests_take_the_standard_path(local, session, monkeypatch) -> None:
    # The local server plays the proxy: it receives the absolute URL, as a proxy does.
    answer = session.get(
        "http://conductor.invalid/api/echo", proxies={"http": local.url}, timeout=5
    )
    assert answer.json()["target"] == "http://conductor.invalid/api/echo"
    assert adapter_of(session).connections_opened == 0  # not one of the adapter's own


def test_task_client_goes_through_the_proxy_from_the_environment(local, monkeypatch) -> None:
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", local.url)
    with TaskClient(Configuration(server_api_url="http://conductor.invalid/api")) as client:
        client.add_log("t-1", "a line")
    [request] = local.requests
    assert (request["method"], request["target"], request["body"]) == (
        "POST",
        "http://conductor.invalid/api/tasks/t-1/log",
        b"a line",
    )


# -- TLS ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    command = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2"
    subject = ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
    files = ["-keyout", str(key), "-out", str(cert)]
    subprocess.run([*command.split(), *subject, *files], check=True, capture_output=True)
    return cert, key


@pytest.fixture
def tls_server(certificate) -> Iterator[LocalServer]:
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = start(LocalServer(tls=context))
    yield server
    stop(server)


def test_https_with_the_server_certificate_as_ca_bundle(tls_server, session, certificate) -> None:
    for _ in range(3):
        answer = session.get(f"{tls_server.url}/echo", verify=str(certificate[0]), timeout=5)
        assert answer.json()["target"] == "/echo"
    assert len(tls_server.connections) == 1


def test_https_with_a_folder_of_ca_certificates(tls_server, session, certificate, tmp_path) -> None:
    cert = certificate[0]
    hashed = subprocess.run(
        ["openssl", "x509", "-hash", "-noout", "-in", str(cert)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    shutil.copy(cert, tmp_path / f"{hashed}.0")  # the file name OpenSSL looks up in a folder
    assert session.get(f"{tls_server.url}/echo", verify=str(tmp_path), timeout=5).ok


def test_task_client_verifies_with_the_ca_bundle_from_the_environment(
    tls_server, certificate, monkeypatch
) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate[0]))
    with TaskClient(Configuration(server_api_url=f"{tls_server.url}/api")) as client:
        client.add_log("t-1", "over TLS")
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    untrusting = TaskClient(Configuration(server_api_url=f"{tls_server.url}/api"))
    with untrusting, pytest.raises(ConductorApiError) as raised:
        untrusting.add_log("t-1", "not sent")
    assert raised.value.transient and "certificate" in str(raised.value).lower()
    assert [r["body"] for r in tls_server.requests] == [b"over TLS"]


def test_https_with_an_unknown_certificate_is_refused(tls_server, session) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        session.get(f"{tls_server.url}/echo", timeout=5)  # verify=True: requests' CA bundle


def test_https_without_verification(tls_server, session) -> None:
    assert session.get(f"{tls_server.url}/echo", verify=False, timeout=5).ok


def test_https_client_certificate_is_presented(certificate, session) -> None:
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    context.verify_mode = ssl.CERT_REQUIRED  # the server wants ours: the same certificate
    context.load_verify_locations(cert)
    server = start(LocalServer(tls=context))
    try:
        answer = session.get(
            f"{server.url}/echo", verify=str(cert), cert=(str(cert), str(key)), timeout=5
        )
        assert answer.ok
        with pytest.raises((requests.exceptions.SSLError, requests.ConnectionError)):
            session.get(f"{server.url}/echo?without", verify=str(cert), timeout=5)
    finally:
        stop(server)
