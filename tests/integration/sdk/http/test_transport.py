"""TaskClient's own connections over real sockets: keep-alive reuse, connections the server
closed, timeouts, refused connections, TLS, and proxies from the environment.

The server here is a small threaded ``http.server`` of the test's own (port 0) that can
misbehave on request: close a connection without answering, answer half, or hold the answer.
A client's API base URL picks the behaviour: ``{server.url}/drop`` makes every request it
sends go to ``/drop/...``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import urlsplit

import pytest

from conductor.client.configuration.configuration import Configuration
from conductor.client.http.async_task_client import AsyncTaskClient
from conductor.client.http.models import TaskResult, TaskResultStatus
from conductor.client.http.task_client import ConductorApiError, TaskClient

pytestmark = pytest.mark.usefixtures("no_network_settings_from_the_environment")

RESULT = TaskResult(
    task_id="t-1", workflow_instance_id="wf-1", worker_id="w1", status=TaskResultStatus.COMPLETED
)


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
        path = "/" + urlsplit(self.path).path.split("/")[1]  # the behaviour
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
        if path == "/not-http":
            self.wfile.write(b"SSH-2.0-OpenSSH_9.2\r\n\r\n")
            self.close_connection = True
            return
        if path == "/interim":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\nX-Note: one\r\n\r\n")
        if path == "/to-the-end":  # no length, no chunks: the body ends with the connection
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")
            self.wfile.write(b"all of it " * 10_000)
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
        echoed = {"method": self.command, "target": self.path, "body": body.decode("utf-8")}
        if path == "/big":  # more than one read of the socket
            echoed["padding"] = "x" * 300_000
        content = json.dumps(echoed).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
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
        with self.changed:
            self.requests.append(
                {
                    "connection": connection,
                    "method": method,
                    "target": target,
                    "body": body,
                    "headers": headers,
                }
            )
            self.changed.notify_all()

    def stop(self) -> None:
        self.release.set()
        self.shutdown()
        with self.lock:
            for sock in self.connections:  # wakes handlers waiting for a next request
                with contextlib.suppress(OSError):  # already closed by its handler
                    sock.shutdown(socket.SHUT_RDWR)
        self.server_close()  # joins the handler threads


def start(server: LocalServer) -> LocalServer:
    # A short poll interval: shutdown() waits for serve_forever to look (0.5 s by default).
    serve = functools.partial(server.serve_forever, poll_interval=0.02)
    thread = threading.Thread(target=serve, name="local-http", daemon=True)
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


def client_of(
    server: LocalServer, behaviour: str = "echo", *, pool_maxsize: int = 4, **settings: Any
) -> TaskClient:
    """A client whose requests go to ``/{behaviour}/...`` on ``server``."""
    configuration = Configuration(server_api_url=f"{server.url}/{behaviour}", **settings)
    return TaskClient(configuration, pool_maxsize=pool_maxsize)


def echo(client: TaskClient) -> dict[str, Any]:
    """Sends RESULT with ``update``; what the server received, as it echoes it."""
    return json.loads(client.update(RESULT))


# -- keep-alive --------------------------------------------------------------------------------


def test_many_calls_share_one_connection(local) -> None:
    with client_of(local) as client:
        for _ in range(10):
            assert echo(client) == {
                "method": "POST",
                "target": "/echo/tasks",
                "body": json.dumps(RESULT.to_json()),
            }
        client.add_log("t-1", "a line")
    assert len(local.connections) == 1
    assert local.requests[-1]["target"] == "/echo/tasks/t-1/log"


def test_every_request_carries_the_fixed_headers_and_its_own(local) -> None:
    with client_of(local) as client:
        client.add_log("t-1", "a line")
        client.poll("greet", worker_id="w1")
    log, poll = local.requests
    assert log["headers"]["Content-Type"] == "text/plain; charset=utf-8"
    assert log["headers"]["Content-Length"] == "6"
    assert log["headers"]["Host"] == urlsplit(local.url).netloc
    assert poll["target"] == "/echo/tasks/poll/greet?workerid=w1"
    for request in (log, poll):
        assert request["headers"]["User-Agent"] == "conductor-workers-python"
        assert request["headers"]["Accept"] == "application/json"
        assert request["headers"]["Accept-Encoding"] == "identity"  # no compressed answers
        # which process of its host it comes from (worker processes share a worker id)
        assert request["headers"]["X-Conductor-Process"] == str(os.getpid())
    assert "Content-Type" not in poll["headers"] and "Content-Length" not in poll["headers"]


def test_threads_share_the_pool(local) -> None:
    errors: list[BaseException] = []

    def calls(client: TaskClient) -> None:
        try:
            for _ in range(20):
                assert echo(client)["target"] == "/echo/tasks"
        except BaseException as exc:  # reported by the test below
            errors.append(exc)

    with client_of(local) as client:
        threads = [threading.Thread(target=calls, args=(client,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert errors == []
    assert len(local.requests) == 80
    assert 1 <= len(local.connections) <= 4  # never more than the threads at once


def test_idle_connections_beyond_the_pool_size_are_closed(local) -> None:
    with client_of(local, "slow", pool_maxsize=1) as client:
        threads = [threading.Thread(target=echo, args=(client,)) for _ in range(2)]
        for thread in threads:
            thread.start()
        with local.changed:  # both requests held by the server, on two connections
            assert local.changed.wait_for(lambda: len(local.requests) == 2, 10)
        local.release.set()
        for thread in threads:
            thread.join(10)
        with local.changed:  # one of them is not kept
            assert local.changed.wait_for(lambda: {1, 2} & local.finished, 10)
        echo(client)
    assert len(local.connections) == 2  # the other one was reused


def test_connection_the_server_closed_while_idle_is_replaced(local) -> None:
    with client_of(local) as client:
        echo(client)
        with local.lock:
            [first] = local.connections
        first.shutdown(socket.SHUT_RDWR)  # the server's keep-alive timeout, say
        assert echo(client)["target"] == "/echo/tasks"
    assert len(local.connections) == 2
    assert [r["connection"] for r in local.requests] == [1, 2]  # sent once, on the new one


def test_reused_connection_closed_without_an_answer_is_retried_once(local) -> None:
    # The keep-alive race: the server closes the idle connection as the request arrives.
    with client_of(local, "drop-if-reused") as client:
        client.add_log("t-1", "first")
        client.add_log("t-1", "second")
    assert [(r["connection"], r["body"]) for r in local.requests] == [
        (1, b"first"),
        (1, b"second"),
        (2, b"second"),
    ]


def test_new_connection_closed_without_an_answer_is_not_retried(local) -> None:
    with client_of(local, "drop") as client, pytest.raises(ConductorApiError) as raised:
        echo(client)
    assert raised.value.transient and raised.value.status is None
    assert len(local.requests) == 1


def test_half_an_answer_is_an_error_and_the_request_is_not_resent(local) -> None:
    with client_of(local) as client:
        echo(client)
    with client_of(local, "partial") as client, pytest.raises(ConductorApiError) as raised:
        echo(client)
    assert raised.value.transient and raised.value.status is None
    assert [r["target"] for r in local.requests] == ["/echo/tasks", "/partial/tasks"]


def test_a_failed_exchange_does_not_leave_its_connection_in_the_pool(local) -> None:
    with client_of(local, "partial") as client:
        with pytest.raises(ConductorApiError):
            echo(client)
        with pytest.raises(ConductorApiError):
            echo(client)
    assert len(local.connections) == 2


def test_server_that_says_close_gets_a_new_connection_next_time(local) -> None:
    with client_of(local, "close") as client:
        echo(client)
        echo(client)
    assert len(local.connections) == 2


def test_close_closes_idle_connections_and_the_client_works_on(local) -> None:
    client = client_of(local)
    echo(client)
    echo(client)
    assert len(local.connections) == 1  # kept alive...
    client.close()
    assert local.wait_closed(1)  # ...until the client closes it
    echo(client)
    client.close()
    assert len(local.connections) == 2


def test_chunked_body_is_read_whole_and_the_connection_kept(local) -> None:
    with client_of(local, "chunked") as client:
        assert client.update(RESULT) == "first grün " + json.dumps(RESULT.to_json())
        assert client.update(RESULT).startswith("first grün ")
    assert len(local.connections) == 1


def test_an_interim_answer_is_skipped_for_the_real_one(local) -> None:
    with client_of(local, "interim") as client:
        assert echo(client)["target"] == "/interim/tasks"
        assert echo(client)["target"] == "/interim/tasks"
    assert len(local.connections) == 1


def test_a_large_answer_is_read_whole_and_the_connection_kept(local) -> None:
    with client_of(local, "big") as client:
        assert len(echo(client)["padding"]) == 300_000
        assert len(echo(client)["padding"]) == 300_000
    assert len(local.connections) == 1


def test_a_body_without_a_length_is_read_to_the_end_and_the_connection_not_reused(local) -> None:
    with client_of(local, "to-the-end") as client:
        assert client.update(RESULT) == "all of it " * 10_000
        client.update(RESULT)
    assert len(local.connections) == 2


# -- failures ----------------------------------------------------------------------------------


def test_an_answer_that_is_not_http_is_an_error_and_the_request_is_not_resent(local) -> None:
    with client_of(local) as client:
        echo(client)
    with client_of(local, "not-http") as client, pytest.raises(ConductorApiError) as raised:
        echo(client)
    assert raised.value.transient and raised.value.status is None
    assert [r["target"] for r in local.requests] == ["/echo/tasks", "/not-http/tasks"]


def test_slow_answer_is_a_read_timeout(local) -> None:
    with client_of(local, "slow", read_timeout=0.2) as client:
        with pytest.raises(ConductorApiError, match="timed out") as raised:
            echo(client)
        assert raised.value.transient and raised.value.status is None
        local.release.set()
        echo(client)  # a new connection, not the late answer of the old one
    assert len(local.connections) == 2


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


def test_connection_attempt_that_hangs_is_a_connect_timeout(unanswering_port) -> None:
    config = Configuration(
        server_api_url=f"http://127.0.0.1:{unanswering_port}/api", connect_timeout=0.2
    )
    with TaskClient(config) as client, pytest.raises(ConductorApiError) as raised:
        client.poll("double", worker_id="w1")
    assert raised.value.transient and raised.value.status is None
    assert "timed out" in str(raised.value)


def test_refused_connection_is_a_transient_connection_error() -> None:
    with socket.socket() as probe:  # a port that nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = TaskClient(Configuration(server_api_url=f"http://127.0.0.1:{port}/api"))
    with client, pytest.raises(ConductorApiError) as raised:
        client.poll("double", worker_id="w1")
    assert raised.value.transient and raised.value.status is None
    assert "connection error" in str(raised.value) and "timed out" not in str(raised.value)


# -- proxies -----------------------------------------------------------------------------------


def test_task_client_goes_through_the_proxy_from_the_environment(local, monkeypatch) -> None:
    # The local server plays the proxy: it receives the absolute URL, as a proxy does.
    monkeypatch.setenv("HTTP_PROXY", local.url)
    with TaskClient(Configuration(server_api_url="http://conductor.invalid/api")) as client:
        client.add_log("t-1", "a line")
    [request] = local.requests
    assert (request["method"], request["target"], request["body"]) == (
        "POST",
        "http://conductor.invalid/api/tasks/t-1/log",
        b"a line",
    )


def test_a_server_the_proxy_settings_exclude_is_reached_directly(local, monkeypatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing there: would fail
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with client_of(local) as client:
        assert echo(client)["target"] == "/echo/tasks"


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


def test_https_checked_against_the_ca_bundle_from_the_environment(
    tls_server, certificate, monkeypatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate[0]))
    with client_of(tls_server) as client:
        for _ in range(3):
            assert echo(client)["target"] == "/echo/tasks"
    assert len(tls_server.connections) == 1


def test_https_with_a_folder_of_ca_certificates(
    tls_server, certificate, tmp_path, monkeypatch
) -> None:
    cert = certificate[0]
    hashed = subprocess.run(
        ["openssl", "x509", "-hash", "-noout", "-in", str(cert)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    shutil.copy(cert, tmp_path / f"{hashed}.0")  # the file name OpenSSL looks up in a folder
    monkeypatch.setenv("CURL_CA_BUNDLE", str(tmp_path))
    with client_of(tls_server) as client:
        assert echo(client)["target"] == "/echo/tasks"


def test_https_with_an_unknown_certificate_is_refused(tls_server) -> None:
    with client_of(tls_server) as client, pytest.raises(ConductorApiError) as raised:
        client.add_log("t-1", "not sent")  # checked against requests' CA bundle
    assert raised.value.transient and "certificate" in str(raised.value).lower()
    assert tls_server.requests == []


def test_a_missing_ca_bundle_is_an_error_naming_it(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "nowhere.pem"))
    with pytest.raises(OSError, match="nowhere.pem"):
        TaskClient(Configuration(server_api_url="https://conductor.invalid/api"))


def test_credentials_in_the_server_url_go_as_basic_auth_on_every_request(local) -> None:
    # As conductor-python 2.0.0 (through requests): a server behind a basic-auth proxy.
    host = urlsplit(local.url).netloc
    configuration = Configuration(server_api_url=f"http://ann:s%40cret@{host}/echo")
    with TaskClient(configuration, pool_maxsize=2) as client:
        client.poll("greet", worker_id="w1")
        client.update(RESULT)
    assert len(local.requests) == 2
    for request in local.requests:
        assert request["headers"]["Authorization"] == "Basic YW5uOnNAY3JldA=="  # ann:s@cret
        assert request["headers"]["Host"] == host  # the credentials are not in the Host


def test_no_authorization_header_without_credentials_in_the_url(local) -> None:
    with client_of(local) as client:
        client.poll("greet", worker_id="w1")
    assert "Authorization" not in local.requests[0]["headers"]


# -- the async client's connections ------------------------------------------------------------


def async_echoes(
    server: LocalServer, behaviour: str = "echo", calls: int = 1, **settings: Any
) -> list[Any]:
    """``calls`` results sent by an ``AsyncTaskClient`` (``update_v2``) to ``/{behaviour}/...``,
    one after the other on one event loop: what the server echoed of each (the answer's keys
    that a Task does not name), or the error of a call that failed."""
    configuration = Configuration(server_api_url=f"{server.url}/{behaviour}", **settings)

    async def send_all() -> list[Any]:
        client = AsyncTaskClient(configuration, pool_maxsize=4)
        outcomes: list[Any] = []
        try:
            for _ in range(calls):
                try:
                    task = await client.update_v2(RESULT)
                except ConductorApiError as error:
                    outcomes.append(error)
                    continue
                outcomes.append(task.extra if task is not None else None)
        finally:
            await client.close()
        return outcomes

    return asyncio.run(send_all())


def test_the_async_client_keeps_one_connection_for_many_calls(local) -> None:
    echoed = async_echoes(local, calls=5)
    assert [(e["method"], e["target"]) for e in echoed] == [("POST", "/echo/tasks/update-v2")] * 5
    assert json.loads(echoed[0]["body"]) == RESULT.to_json()
    assert len(local.connections) == 1
    headers = local.requests[0]["headers"]
    assert headers["User-Agent"] == "conductor-workers-python"
    assert headers["X-Conductor-Process"] == str(os.getpid())


def test_the_async_client_sends_again_only_what_the_server_cannot_have_taken(local) -> None:
    # The keep-alive race (a reused connection closed without a byte of an answer): sent again
    # on a new connection. A new connection closed so, or half an answer: an error, not resent.
    second = async_echoes(local, "drop-if-reused", calls=2)[1]
    assert second["target"] == "/drop-if-reused/tasks/update-v2"
    assert [r["connection"] for r in local.requests] == [1, 1, 2]
    for behaviour in ("drop", "partial", "not-http"):
        (error,) = async_echoes(local, behaviour)
        assert isinstance(error, ConductorApiError) and error.transient and error.status is None
        assert [r["target"] for r in local.requests].count(f"/{behaviour}/tasks/update-v2") == 1


def test_the_async_client_reads_every_form_of_answer(local) -> None:
    assert len(async_echoes(local, "big")[0]["padding"]) == 300_000
    assert async_echoes(local, "interim")[0]["target"] == "/interim/tasks/update-v2"
    connections = len(local.connections)
    async_echoes(local, "close", calls=2)  # the server says close: a new connection next time
    assert len(local.connections) == connections + 2


def test_the_async_client_times_out_a_slow_answer(local) -> None:
    (error,) = async_echoes(local, "slow", read_timeout=0.2)
    assert isinstance(error, ConductorApiError) and "timed out" in str(error)
    assert error.transient and error.status is None


def test_the_async_client_times_out_each_request_by_its_own_deadline(local) -> None:
    # A long poll in flight (its deadline far off) does not delay a shorter request's timeout.
    configuration = Configuration(server_api_url=f"{local.url}/slow", read_timeout=0.2)

    async def scenario() -> float:
        client = AsyncTaskClient(configuration, pool_maxsize=4)
        poll = asyncio.ensure_future(client.batch_poll("t", worker_id="w1", timeout_ms=30_000))
        try:
            deadline = time.monotonic() + 10
            while not local.requests and time.monotonic() < deadline:  # the poll reached it
                await asyncio.wait({poll}, timeout=0.01)
            started = time.monotonic()
            with pytest.raises(ConductorApiError, match="timed out"):
                await client.update_v2(RESULT)
            return time.monotonic() - started
        finally:
            poll.cancel()
            await asyncio.gather(poll, return_exceptions=True)
            await client.close()

    assert asyncio.run(scenario()) < 5.0  # 0.2 s, give or take a loaded machine
    assert [r["target"].split("?")[0] for r in local.requests] == [
        "/slow/tasks/poll/batch/t",
        "/slow/tasks/update-v2",
    ]
