"""Supervision of worker processes: restarts, backoff, giving up, and tasks that kill them."""

from __future__ import annotations

import logging

import pytest

from conductor.client.automator.task_handler import TaskHandler, WorkerProcessError
from conductor.client.configuration.configuration import Configuration
from conductor.client.worker.worker import Worker
from tests.integration.sdk import workers as w
from tests.integration.sdk.waiting import wait_until


def handler_for(server, workers, **options) -> TaskHandler:
    return TaskHandler(workers, Configuration(server_api_url=server.url), **options)


def test_a_worker_that_keeps_dying_at_start_is_reported_and_given_up(server, caplog) -> None:
    handler = handler_for(
        server, [w.DiesAtStart("it_dies")], restart_max_attempts=2, restart_backoff_seconds=0.05
    )
    caplog.set_level(logging.INFO, logger="conductor.client")
    try:
        handler.start_processes()
        with pytest.raises(WorkerProcessError, match=r"worker-it_dies \(pid \d+, exit code 4\)"):
            handler.join_processes()
    finally:
        handler.stop_processes()
    messages = [r.getMessage() for r in caplog.records]
    assert sum("ended after" in m and "exit code 4" in m for m in messages) == 3
    assert sum(m.startswith("Restarted worker process for it_dies") for m in messages) == 2
    assert any("keeps dying at start (3 times in a row, exit codes 4, 4, 4)" in m for m in messages)
    assert any("giving up on it after 2 restart(s)" in m for m in messages)


def test_a_task_that_kills_two_processes_is_failed_and_the_worker_runs_on(server) -> None:
    handler = handler_for(server, [Worker("it_crash", w.crash)], restart_backoff_seconds=0.05)
    [task_id] = server.enqueue("it_crash")
    try:
        handler.start_processes()
        [task] = server.wait_done([task_id], timeout=20)
        assert task["status"] == "FAILED"
        assert "died twice (exit code 3)" in task["reasonForIncompletion"]
        wait_until(handler.is_healthy, message="a restart")
        [status] = handler.get_worker_process_status()
        assert status["worker"] == "it_crash" and status["restart_count"] == 2
        assert status["alive"] and status["pid"] == handler.processes[0].pid
        # 1.x and 2.0.0's name for the list: the restarted process, not the dead one
        assert handler.task_runner_processes == handler.processes
    finally:
        handler.stop_processes()


@pytest.mark.parametrize(
    "argument, value",
    [
        ("monitor_interval_seconds", 0),
        ("restart_backoff_seconds", -1),
        ("restart_max_attempts", -1),
        ("restart_max_attempts", 1.5),
    ],
)
def test_bad_supervision_arguments_name_themselves(argument, value) -> None:
    with pytest.raises(ValueError, match=f"{argument}={value!r}"):
        TaskHandler([], Configuration(server_api_url="http://localhost:1/api"), **{argument: value})
