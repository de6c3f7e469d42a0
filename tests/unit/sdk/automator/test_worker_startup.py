"""A worker says which server it talks to, and a wrong server address says how to fix it."""

from __future__ import annotations

import logging
import socket

import pytest

from conductor.client.automator.task_runner import TaskRunner
from conductor.client.configuration.configuration import Configuration
from conductor.client.http.errors import ConductorApiError
from conductor.client.http.task_client import TaskClient
from conductor.client.worker.worker import Worker


def free_port() -> int:
    with socket.socket() as probe:  # closed at once: nothing listens there afterwards
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_refused_connection_names_the_url_and_the_variable() -> None:
    url = f"http://127.0.0.1:{free_port()}/api"
    client = TaskClient(Configuration(server_api_url=url))

    with pytest.raises(ConductorApiError) as raised:
        client.batch_poll("add", worker_id="w", count=1)

    message = str(raised.value)
    assert f"no server answers at {url}" in message
    assert "CONDUCTOR_SERVER_URL" in message
    assert raised.value.transient


def test_a_poll_answered_404_says_the_url_is_not_conductors_api(server, session) -> None:
    server.get(
        "http://localhost:8080/tasks/poll/batch/add",
        status=404,
        json={"message": "No route for GET /tasks/poll/batch/add"},
    )
    client = TaskClient(Configuration(server_api_url="http://localhost:8080"), session=session)

    with pytest.raises(ConductorApiError) as raised:
        client.batch_poll("add", worker_id="w", count=1)

    message = str(raised.value)
    assert "http://localhost:8080/tasks/poll/batch/add is not Conductor's API" in message
    assert "Is '/api' missing?" in message and "CONDUCTOR_SERVER_URL" in message


def test_the_start_log_names_the_server(caplog: pytest.LogCaptureFixture) -> None:
    url = f"http://127.0.0.1:{free_port()}/api"
    runner = TaskRunner(Worker("add", lambda task_input: {}), Configuration(server_api_url=url))
    runner.stop()  # stops at once: only the start and the stop are logged

    with caplog.at_level(logging.INFO, logger="conductor.client.automator.task_runner"):
        runner.run()

    [started] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Started")]
    assert started.startswith("Started worker add:")
    assert started.endswith(f"; server {url}")
