"""Response timeouts: lease extension keeps a long task alive; without it, the overrun and the
ignored late result are logged."""

from __future__ import annotations

import logging
import threading

import pytest

from conductor.client.automator.async_task_runner import AsyncTaskRunner
from conductor.client.automator.task_runner import TaskRunner
from conductor.client.configuration.configuration import Configuration
from conductor.client.worker.worker import Worker
from tests.integration.sdk import runtime_workers as rw
from tests.integration.sdk.waiting import run_blocking


def register(server, name: str, response_timeout: int) -> None:
    definition = {
        "name": name,
        "responseTimeoutSeconds": response_timeout,
        "timeoutSeconds": 0,
        "retryCount": 1,
        "retryLogic": "FIXED",
        "retryDelaySeconds": 0,
    }
    server.http.post(f"{server.url}/metadata/taskdefs", json=[definition]).raise_for_status()


def run_until_done(runner, server, task_id: str) -> dict:
    thread = threading.Thread(target=run_blocking, args=(runner,))
    thread.start()
    try:
        [task] = server.wait_done([task_id], timeout=20, statuses=("COMPLETED", "TIMED_OUT"))
        return task
    finally:
        runner.stop()
        thread.join(15)


@pytest.mark.parametrize("runner_class", [TaskRunner, AsyncTaskRunner])
def test_lease_extension_keeps_a_task_past_its_response_timeout(server, runner_class) -> None:
    name = f"lease_{runner_class.__name__}"
    # Extensions fall due every 1.6 s: a margin of 0.4 s before the server's 2 s run out.
    register(server, name, response_timeout=2)
    function = rw.sleeps if runner_class is TaskRunner else rw.sleeps_async
    worker = Worker(name, function, lease_extend_enabled=True)
    [task_id] = server.enqueue(name, input={"seconds": 3.5})
    runner = runner_class(worker, Configuration(server_api_url=server.url))
    task = run_until_done(runner, server, task_id)
    assert (task["status"], task["outputData"]) == ("COMPLETED", {"slept": 3.5})


def test_without_lease_extension_the_overrun_and_the_ignored_result_are_logged(
    server, caplog
) -> None:
    register(server, "no_lease", response_timeout=1)
    [task_id] = server.enqueue("no_lease", input={"seconds": 2.5})
    runner = TaskRunner(Worker("no_lease", rw.sleeps), Configuration(server_api_url=server.url))
    caplog.set_level(logging.INFO, logger="conductor.client")
    task = run_until_done(runner, server, task_id)
    assert task["status"] == "TIMED_OUT"
    runner.stop()
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(
        f"task {task_id} has run 1 s, past its response timeout of 1 s" in m for m in messages
    )
    assert any(
        f"the COMPLETED result of task {task_id} arrived after its response timeout; the server "
        "had already ended the task (TIMED_OUT)" in m
        for m in messages
    ), messages
