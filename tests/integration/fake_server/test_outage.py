"""Outages at the connection level, the same on every HTTP server (granian and waitress in a
process of their own, waitress in a thread of this one): connections refused or reset for the
window, then served again on the same port with the state kept."""

from __future__ import annotations

import socket
import sys
import time

import pytest
import requests

from fake_server import FakeServer
from harness.server import ServerHandle
from harness.waiting import wait_until

SERVERS = [
    pytest.param({"mode": "subprocess", "backend": "granian"}, id="granian"),
    pytest.param({"mode": "subprocess", "backend": "waitress"}, id="waitress"),
    pytest.param({"mode": "thread"}, id="waitress-thread"),
]
FAILURES = {"refuse": "Connection refused", "reset": "Connection reset by peer"}


def health_error(url: str) -> str | None:
    """Why ``/health`` failed (the exception's text), or None when it answered."""
    try:
        requests.get(url + "/health", timeout=2)
    except requests.RequestException as error:
        return str(error)
    return None


def open_connection(url: str) -> requests.Session:
    """A session holding a keep-alive connection to the server, open and idle."""
    session = requests.Session()
    assert session.get(url + "/health", timeout=2).status_code == 200
    return session


@pytest.mark.parametrize("where", SERVERS)
@pytest.mark.parametrize("mode", ["refuse", "reset"])
def test_an_outage_fails_connections_then_the_server_comes_back(where, mode) -> None:
    with ServerHandle(**where) as server:
        [task_id] = server.admin.enqueue("survivor")
        session = open_connection(server.root_url)

        server.faults.outage(2, mode=mode)

        # The first failed connection can race the listener's closing (a reset while a refuse
        # outage begins): what matters is that the outage settles into its own kind of failure.
        wait_until(
            lambda: FAILURES[mode] in (health_error(server.root_url) or ""),
            timeout=1.5,
            message=f"connections to fail with {FAILURES[mode]!r} during the outage",
        )
        with pytest.raises(requests.ConnectionError):  # its connection was reset
            session.get(server.root_url + "/health", timeout=2)
        server.faults.wait_for_recovery(timeout=20)
        assert server.admin.get_task(task_id)["status"] == "SCHEDULED"
        assert server.faults.plan()["outages"] == 1
        assert session.get(server.root_url + "/health", timeout=2).status_code == 200
        session.close()


def test_overlapping_outages_last_until_the_last_one_ends() -> None:
    # Asked for at once (an outage also keeps the admin API from being reached): the windows
    # overlap, and the port listens again only once the longest has ended.
    with FakeServer(port=0) as server:
        server.faults.begin_outage("refuse", 1)
        server.faults.begin_outage("refuse", 2.5)
        server.faults.begin_outage("reset", 1)
        started = time.monotonic()
        wait_until(
            lambda: "Connection refused" in (health_error(server.root_url) or ""),
            timeout=1.5,
            message="connections to be refused",
        )

        wait_until(
            lambda: health_error(server.root_url) is None,
            timeout=20,
            message="the server to answer after the outages",
        )

        assert time.monotonic() - started > 2  # the longest window, not the first to end
        with requests.Session() as session:
            assert session.get(server.root_url + "/health", timeout=2).status_code == 200


@pytest.mark.parametrize("where", SERVERS)
def test_a_restart_keeps_the_port_and_the_state(where) -> None:
    with ServerHandle(**where) as server:
        [task_id] = server.admin.enqueue("survivor")
        url = server.url

        server.restart(down_for=0.5)

        assert server.url == url
        assert server.admin.get_task(task_id)["status"] == "SCHEDULED"
        assert server.admin.enqueue("after") != []


@pytest.mark.parametrize("where", SERVERS)
def test_a_server_stopped_during_a_refuse_outage_frees_its_port(where) -> None:
    server = ServerHandle(**where).start()
    port = int(server.root_url.rsplit(":", 1)[1])
    server.faults.outage(60, mode="refuse")

    server.stop()

    assert "Connection refused" in (health_error(server.root_url) or "")
    with socket.socket() as probe:  # another server can listen on it
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))
        probe.listen(1)


def test_wait_for_recovery_returns_at_once_on_a_healthy_server() -> None:
    with ServerHandle() as server:
        wait_until(lambda: health_error(server.root_url) is None, timeout=5, message="health")
        server.faults.wait_for_recovery(timeout=1)


def test_off_linux_an_outage_is_refused_with_the_reason(monkeypatch) -> None:
    with FakeServer(port=0) as server:
        monkeypatch.setattr(sys, "platform", "darwin")
        answer = requests.post(
            server.root_url + "/fake/faults/outage", json={"seconds": 1}, timeout=5
        )

    assert answer.status_code == 400
    assert "an outage on darwin" in answer.json()["message"]
