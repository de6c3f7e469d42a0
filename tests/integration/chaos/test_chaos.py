"""Chaos on loopback: outages, killed processes, signals, a wedged task, a server restart.

Each test asserts from the server's state that every task completed as its input asks, none is
stuck, no result was lost, and (where the SDK can promise it) that none ran twice. Each is
bounded to seconds.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conductor.client.automator.task_handler import TaskHandler
from conductor.client.configuration.configuration import Configuration
from conductor.client.worker.worker import Worker
from harness.waiting import wait_until
from tests.integration.chaos import chaos_workers
from tests.integration.chaos.chaos_support import (  # noqa: F401  (the fixtures are used by name)
    completed,
    enqueue,
    executions_fixture,
    register,
    server_fixture,
    wait_all_completed,
)

APP = Path(__file__).parent / "apps" / "run_handler.py"


def handler_for(url: str, processes: int, threads: int) -> TaskHandler:
    workers = [Worker("chaos", chaos_workers.work, thread_count=threads) for _ in range(processes)]
    return TaskHandler(workers, Configuration(server_api_url=url))


def test_a_server_outage_with_reset_connections_loses_nothing(server, executions) -> None:
    # A poll whose answer is cut off hands tasks to nobody: the server's response timeout
    # gives them out again (as a retry), so this test keeps it short.
    register(server, response_timeout=3, retries=3)
    ids = enqueue(server, 120, seconds=0.02)
    handler = handler_for(server.url, processes=2, threads=4)
    handler.start_processes()
    try:
        wait_until(lambda: completed(server, ids) >= 20, timeout=20, message="some progress")
        # Every connection open to the server is reset, and every new one, for 2 s.
        server.faults.outage(2.0, mode="reset")
        server.faults.wait_for_recovery()
        wait_all_completed(server, ids, timeout=30)
    finally:
        handler.stop_processes()
    # No execution was repeated: a result that reached the server before its answer was cut
    # off is not sent as a second execution.
    assert max(executions.counts().values()) == 1


def test_kill_9_of_a_worker_process_restarts_it_and_its_tasks_run_again_at_once(
    server, executions
) -> None:
    # The tasks the killed process held come back at once, long before their response timeout
    # (20 s); a task the server handed out in answer to a request the process sent just before
    # it died reaches nobody, and only that timeout (and the retry) recovers it.
    register(server, response_timeout=20, retries=1)
    ids = enqueue(server, 24, seconds=0.5)
    handler = handler_for(server.url, processes=2, threads=4)
    handler.start_processes()
    try:
        victim = handler.processes[0].pid
        assert victim is not None
        wait_until(
            lambda: len(set(executions.rows()) & {(t, victim) for t in ids}) >= 2,
            timeout=20,
            message="the victim to hold tasks",
        )
        os.kill(victim, signal.SIGKILL)
        killed_at = time.monotonic()
        held = [t for t in ids if executions.pids_of(t)[-1:] == [victim]]
        held = [t for t in held if server.admin.get_task(t)["status"] != "COMPLETED"]

        def restarted() -> bool:
            process = handler.processes[0]
            return process.pid != victim and process.is_alive()

        wait_until(restarted, timeout=5, message="the restart")

        # Given back at once: running again long before the 20 s response timeout.
        def again(task_id: str) -> bool:
            # Run again, or its result reached the server just before the kill.
            done = server.admin.get_task(task_id)["status"] == "COMPLETED"
            return done or len(executions.pids_of(task_id)) >= 2

        wait_until(
            lambda: all(again(t) for t in held),
            timeout=10,
            message=f"the {len(held)} tasks of the killed process to run again",
        )
        assert time.monotonic() - killed_at < 10
        wait_all_completed(server, ids, timeout=45)
    finally:
        handler.stop_processes()
    assert handler.slots[0].restarts == 1


@contextlib.contextmanager
def running_app(url: str, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """The worker program (2 processes x 4 threads) in its own process group."""
    with (tmp_path / "app.err").open("wb") as err:
        app = subprocess.Popen(
            [sys.executable, str(APP), url, "2", "4"],
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
    try:
        yield app
    finally:
        if app.poll() is None:
            os.killpg(app.pid, signal.SIGKILL)
            app.wait(5)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_under_load_stops_cleanly_and_loses_nothing(
    server, executions, tmp_path, signum
) -> None:
    register(server)
    ids = enqueue(server, 80, seconds=0.1)
    with running_app(server.url, tmp_path) as app:
        wait_until(lambda: completed(server, ids) >= 10, timeout=20, message="some progress")
        if signum == signal.SIGINT:
            os.killpg(app.pid, signum)  # Ctrl-C in a terminal reaches the whole group
        else:
            os.kill(app.pid, signum)  # a service manager signals the main process
        stopped = time.monotonic()
        assert app.wait(20) == 0, (tmp_path / "app.err").read_text()[-3000:]
        assert time.monotonic() - stopped < 5
    # Nothing stuck in progress: what ran finished and reported, what had not started went
    # back to the queue.
    statuses = {server.admin.get_task(t)["status"] for t in ids}
    assert statuses <= {"COMPLETED", "SCHEDULED"}
    handler = handler_for(server.url, processes=1, threads=8)
    handler.start_processes()
    try:
        wait_all_completed(server, ids, timeout=30)
    finally:
        handler.stop_processes()
    assert max(executions.counts().values()) == 1  # a graceful stop runs nothing twice


def test_a_wedged_task_is_retried_by_the_server_and_does_not_hold_up_the_stop(
    server, executions
) -> None:
    register(server, response_timeout=1, retries=1)
    [wedged] = enqueue(server, 1, wedge=True)
    handler = handler_for(server.url, processes=1, threads=2)
    handler.stop_timeout = 6.0  # the worker's drain: 1 s
    handler.start_processes()
    try:
        # The first attempt hangs; the server times it out and its retry completes.
        def completed_retry() -> dict | None:
            tasks = server.admin.state()["tasks"]
            retries = [t for t in tasks if t.get("retriedTaskId") == wedged]
            return next((t for t in retries if t["status"] == "COMPLETED"), None)

        retry = wait_until(
            completed_retry, timeout=15, message="the retry of the wedged task to complete"
        )
        assert retry["outputData"] == {"doubled": 0}
        assert server.admin.get_task(wedged)["status"] == "TIMED_OUT"
    finally:
        started = time.monotonic()
        handler.stop_processes()
        stop_seconds = time.monotonic() - started
    assert stop_seconds < 5  # the drain's 1 s, not the stop timeout's kill
    assert [p.exitcode for p in handler.processes] == [0]


def test_a_server_restart_on_the_same_port_loses_nothing(server, executions, tmp_path) -> None:
    # The workers run in a program of their own: forked from this process, they would inherit
    # the server's listening socket and keep its port taken. A request in progress when the
    # server stops may have handed out a task whose answer never arrives: the response timeout
    # (kept short here) gives it out again.
    register(server, response_timeout=3, retries=3)
    ids = enqueue(server, 80, seconds=0.02)
    with running_app(server.url, tmp_path) as app:
        wait_until(lambda: completed(server, ids) >= 15, timeout=20, message="some progress")
        server.restart(down_for=2.0)
        wait_all_completed(server, ids, timeout=30)
        assert app.poll() is None
    assert max(executions.counts().values()) == 1
