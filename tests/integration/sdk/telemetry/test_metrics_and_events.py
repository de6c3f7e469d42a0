"""Prometheus metrics and event listeners of real worker processes, checked by scraping and by
what the listeners saw."""

from __future__ import annotations

import datetime
import json
import os
import signal
import sys
from pathlib import Path

import pytest
import requests

from conductor.client.automator.task_handler import TaskHandler
from conductor.client.configuration.configuration import Configuration
from conductor.client.configuration.settings.metrics_settings import MetricsSettings
from conductor.client.event.task_runner_events import TaskExecutionCompleted
from conductor.client.http.errors import ConductorApiError
from conductor.client.http.models import Task
from conductor.client.telemetry.prometheus import MetricsUnavailableError
from conductor.client.worker.worker import Worker
from tests.integration.sdk import runtime_workers as rw
from tests.integration.sdk.waiting import run_blocking, wait_until


@pytest.fixture
def handlers():
    started: list[TaskHandler] = []
    yield started
    for handler in started:
        handler.stop_processes()


def start(handlers, server, workers, **options) -> TaskHandler:
    handler = TaskHandler(workers, Configuration(server_api_url=server.url), **options)
    handlers.append(handler)
    handler.start_processes()
    return handler


def scrape(url: str) -> str:
    return requests.get(url, timeout=5).text


def test_metrics_are_served_for_scraping_and_count_restarts(server, handlers, tmp_path) -> None:
    settings = MetricsSettings(directory=str(tmp_path / "metrics"), http_port=0)
    workers = [
        Worker("m_ok", rw.ok, thread_count=2),
        Worker("m_fail", rw.fails),
        Worker("m_async", rw.sleeps_async),
    ]
    handler = start(handlers, server, workers, metrics_settings=settings)
    metrics_url = handler.metrics_url
    assert metrics_url is not None
    server.wait_done(
        server.enqueue("m_ok", 5)
        + server.enqueue("m_fail", 2)
        + server.enqueue("m_async", 3, input={"seconds": 0})
    )
    expected = [
        # 2.0.0's canonical metrics of deliveries and of every request (both runners)
        'task_update_time_seconds_count{status="SUCCESS",taskType="m_ok"} 5.0',
        'task_update_time_seconds_count{status="SUCCESS",taskType="m_fail"} 2.0',
        'task_update_time_seconds_count{status="SUCCESS",taskType="m_async"} 3.0',
        'http_api_client_request_seconds_count{method="POST",status="200",uri="/tasks/update-v2"}',
        'http_api_client_request_seconds_count{method="GET",status="200",'
        'uri="/tasks/poll/batch/{taskType}"}',
        'task_execution_started_total{taskType="m_ok"} 5.0',
        'task_execute_time_seconds_count{status="SUCCESS",taskType="m_ok"} 5.0',
        'task_execute_error_total{exception="ValueError",taskType="m_fail"} 2.0',
        'task_execute_time_seconds_count{status="FAILURE",taskType="m_fail"} 2.0',
        'task_result_size_bytes_count{taskType="m_ok"} 5.0',
        'active_workers{taskType="m_ok"} 0.0',
        'worker_restart_total{taskType="m_ok"} 0.0',
    ]
    wait_until(
        lambda: all(line in scrape(metrics_url) for line in expected),
        message=f"the scrape to show {expected}",
    )
    assert 'task_poll_total{taskType="m_ok"}' in scrape(metrics_url)

    victim = handler.processes[0].pid
    assert victim is not None
    os.kill(victim, signal.SIGKILL)
    wait_until(
        lambda: 'worker_restart_total{taskType="m_ok"} 1.0' in scrape(metrics_url),
        message="the restart to be counted",
    )
    # The dead process's counts stay counted.
    assert 'task_execution_started_total{taskType="m_ok"} 5.0' in scrape(metrics_url)


def test_without_http_port_the_metrics_go_to_a_file(server, handlers, tmp_path) -> None:
    settings = MetricsSettings(
        directory=str(tmp_path), file_name="workers.prom", update_interval=0.05
    )
    start(handlers, server, [Worker("m_file", rw.ok)], metrics_settings=settings)
    server.wait_done(server.enqueue("m_file", 3))
    path = tmp_path / "workers.prom"
    line = 'task_execution_started_total{taskType="m_file"} 3.0'
    wait_until(lambda: path.exists() and line in path.read_text(), message=f"{line} in {path}")


def test_metrics_without_prometheus_client_fail_at_start_with_the_install_command(
    server, monkeypatch, tmp_path
) -> None:
    monkeypatch.setitem(sys.modules, "prometheus_client", None)
    handler = TaskHandler(
        [Worker("m_none", rw.ok)],
        Configuration(server_api_url=server.url),
        metrics_settings=MetricsSettings(directory=str(tmp_path)),
    )
    with pytest.raises(
        MetricsUnavailableError, match=r"pip install 'conductor-workers\[metrics\]'"
    ):
        handler.start_processes()
    assert handler.processes == []


def test_event_listeners_see_polls_executions_and_failures(server, handlers, tmp_path) -> None:
    path = tmp_path / "events.jsonl"
    listener = rw.FileListener(str(path))
    workers = [Worker("e_ok", rw.ok), Worker("e_fail", rw.fails)]
    handler = start(handlers, server, workers, event_listeners=[listener])
    [ok_id] = server.enqueue("e_ok", input={"n": 7})
    [failed_id] = server.enqueue("e_fail")
    server.wait_done([ok_id, failed_id])

    def events() -> list[dict]:
        return [json.loads(line) for line in Path(path).read_text().splitlines()]

    wait_until(
        lambda: (
            path.exists()
            and {"TaskExecutionCompleted", "TaskExecutionFailure"} <= {e["event"] for e in events()}
        ),
        message="the execution events",
    )
    seen = events()
    names = {e["event"] for e in seen}
    assert {"PollStarted", "PollCompleted", "TaskExecutionStarted"} <= names
    [completed] = [e for e in seen if e["event"] == "TaskExecutionCompleted"]
    assert (completed["task_id"], completed["task_type"]) == (ok_id, "e_ok")
    assert completed["output_size_bytes"] == len('{"n": 7}')
    [failure] = [e for e in seen if e["event"] == "TaskExecutionFailure"]
    assert (failure["task_id"], failure["cause"]) == (failed_id, "ValueError")
    assert {e["pid"] for e in seen} == {p.pid for p in handler.processes}


@pytest.mark.parametrize("async_runner", [False, True])
def test_a_refused_result_is_a_task_update_failure_event(server, async_runner) -> None:
    from conductor.client.automator.async_task_runner import AsyncTaskRunner
    from conductor.client.automator.task_runner import TaskRunner

    recorder = rw.Recorder()
    function = rw.reports_another_task_async if async_runner else rw.reports_another_task
    runner_class = AsyncTaskRunner if async_runner else TaskRunner
    [task_id] = server.enqueue("refused")
    runner = runner_class(
        Worker("refused", function), Configuration(server_api_url=server.url), None, [recorder]
    )
    run_blocking(runner, burst=True)
    [event] = recorder.events
    assert (event.task_id, event.task_result.task_id) == (task_id, "no-such-task")
    assert isinstance(event.cause, ConductorApiError) and event.cause.status == 404


@pytest.mark.parametrize("async_runner", [False, True])
def test_the_completed_event_gives_the_size_of_the_output_as_sent(server, async_runner) -> None:
    """Dates and the like count in the form they are sent in (ISO text)."""
    from conductor.client.automator.async_task_runner import AsyncTaskRunner
    from conductor.client.automator.task_runner import TaskRunner

    completed: list[TaskExecutionCompleted] = []

    class Sizes:
        def on_task_execution_completed(self, event: TaskExecutionCompleted) -> None:
            completed.append(event)

    output = {"day": datetime.date(2024, 5, 17), "word": "ünï"}

    def dated(task: Task) -> dict:
        return output

    async def dated_async(task: Task) -> dict:
        return output

    runner_class = AsyncTaskRunner if async_runner else TaskRunner
    function = dated_async if async_runner else dated
    [task_id] = server.enqueue("dated")
    runner = runner_class(
        Worker("dated", function), Configuration(server_api_url=server.url), None, [Sizes()]
    )
    run_blocking(runner, burst=True)
    stored = server.task(task_id)
    assert stored["outputData"] == {"day": "2024-05-17", "word": "ünï"}
    [event] = completed
    assert event.output_size_bytes == len(json.dumps(stored["outputData"]))
