"""Outages at the connection level, in a server of its own process: connections refused or
reset for the window, then served again on the same port with the state kept."""

from __future__ import annotations

import pytest
import requests

from harness.server import ServerHandle
from harness.waiting import wait_until


def health_error(url: str) -> str | None:
    """Why ``/health`` failed (the exception's text), or None when it answered."""
    try:
        requests.get(url + "/health", timeout=2)
    except requests.RequestException as error:
        return str(error)
    return None


@pytest.mark.parametrize(
    ("backend", "mode", "error"),
    [
        ("waitress", "refuse", "Connection refused"),
        ("waitress", "reset", "Connection reset by peer"),
        ("granian", "reset", "Connection reset by peer"),
    ],
)
def test_an_outage_fails_connections_then_the_server_comes_back(backend, mode, error) -> None:
    with ServerHandle(mode="subprocess", backend=backend) as server:
        [task_id] = server.admin.enqueue("survivor")

        server.faults.outage(2, mode=mode)

        # The first failed connection can race the listener's closing (a reset while a refuse
        # outage begins): what matters is that the outage settles into its own kind of failure.
        wait_until(
            lambda: error in (health_error(server.root_url) or ""),
            timeout=1.5,
            message=f"connections to fail with {error!r} during the outage",
        )
        server.faults.wait_for_recovery(timeout=20)
        assert server.admin.get_task(task_id)["status"] == "SCHEDULED"
        assert server.faults.plan()["outages"] == 1


def test_granian_cannot_refuse_and_says_what_can() -> None:
    with ServerHandle(mode="subprocess", backend="granian") as server:
        answer = requests.post(
            server.root_url + "/fake/faults/outage", json={"seconds": 1, "mode": "refuse"}
        )

    assert answer.status_code == 400
    assert "use mode 'reset', or serve on waitress" in answer.json()["message"]


def test_wait_for_recovery_returns_at_once_on_a_healthy_server() -> None:
    with ServerHandle() as server:
        wait_until(lambda: health_error(server.root_url) is None, timeout=5, message="health")
        server.faults.wait_for_recovery(timeout=1)
