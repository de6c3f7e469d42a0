"""The harness's server handle: both modes start on port 0, answer, surface errors and stop."""

from __future__ import annotations

import socket
from typing import Literal

import pytest
import requests

from harness.admin import AdminError
from harness.server import ServerError, ServerHandle


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.parametrize("mode", ["thread", "subprocess"])
def test_server_serves_the_api_and_frees_its_port(mode: Literal["thread", "subprocess"]) -> None:
    with ServerHandle(mode=mode) as server:
        assert server.url.startswith("http://127.0.0.1:") and server.url.endswith("/api")
        assert requests.get(server.url + "/health", timeout=5).json()["healthy"] is True
        [task_id] = server.admin.enqueue("harness_probe", input={"n": 1})
        polled = requests.get(
            server.url + "/tasks/poll/harness_probe", params={"workerid": "t"}, timeout=5
        ).json()
        assert polled["taskId"] == task_id and polled["inputData"] == {"n": 1}
        port = int(server.url.rsplit(":", 1)[1].split("/")[0])
    assert _port_is_free(port)


def test_reset_drops_state_between_uses() -> None:
    with ServerHandle() as server:
        server.admin.enqueue("harness_probe", 3)
        assert server.admin.queue_sizes().get("harness_probe") == 3
        server.reset()
        assert not server.admin.queue_sizes().get("harness_probe")


def test_an_exception_inside_the_server_is_raised_in_the_caller(monkeypatch) -> None:
    with ServerHandle() as server:

        def broken() -> None:
            raise ZeroDivisionError("engine bug")

        monkeypatch.setattr(server.engine, "stats", broken)
        with pytest.raises(AdminError) as answered:
            server.admin.stats()
        assert answered.value.status == 500
        with pytest.raises(ServerError, match="ZeroDivisionError"):
            server.check()
        server.check()  # reported once, then cleared


def test_manual_clock_moves_only_when_told() -> None:
    with ServerHandle(manual_clock=True) as server:
        before = server.clock.now_ms()
        server.admin.advance_clock(90)
        assert server.clock.now_ms() - before == 90_000


def test_a_server_of_its_own_process_takes_the_same_options_as_one_in_a_thread() -> None:
    # The options go to the command line (--manual-clock, --auth-key...) and back.
    with ServerHandle(
        mode="subprocess", manual_clock=True, auth_key="k", auth_secret="s"
    ) as server:
        assert requests.get(f"{server.url}/tasks/queue/all", timeout=5).status_code == 401
        before = server.admin.server_time_ms()
        assert server.admin.clock()["manual"] is True
        server.admin.advance_clock(90)
        assert server.admin.server_time_ms() - before == 90_000


def test_bad_mode_is_refused_with_the_allowed_values() -> None:
    with pytest.raises(ValueError, match="'thread' or 'subprocess'"):
        ServerHandle(mode="docker")  # type: ignore[arg-type]


def crash_the_process(task: object) -> dict:
    import os

    os._exit(7)


def test_drain_reports_a_worker_process_that_died_though_it_was_restarted() -> None:
    from conductor.client.worker.worker import Worker
    from harness.waiting import wait_until
    from harness.workers import run_workers

    with ServerHandle() as server:
        server.admin.enqueue("crashes_once")
        with run_workers([Worker("crashes_once", crash_the_process)], server.url) as running:
            handler = running.handler
            wait_until(lambda: handler.slots[0].restarts >= 1, message="a restart")
            with pytest.raises(AssertionError, match=r"worker-crashes_once \(exit code 7"):
                running.check_alive()
