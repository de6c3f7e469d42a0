"""Output that JSON cannot carry, end to end: whichever runner runs the worker, the task is
reported FAILED with a reason naming the offending type, and its log lines still arrive."""

from __future__ import annotations

import decimal

import pytest

from conductor.client.automator.task_runner import TaskRunner
from conductor.client.configuration.configuration import Configuration
from conductor.client.context.task_context import get_task_context
from conductor.client.http.models.task import Task
from conductor.client.worker.worker import Worker
from tests.integration.sdk.waiting import run_blocking

REASON = "the task's output cannot be sent as JSON: it contains a Decimal (Decimal('1.5'))"


def priced(task: Task) -> dict[str, object]:
    n = task.input_data["n"]
    get_task_context().add_log(f"working on {n}")
    return {"n": n, "amount": decimal.Decimal("1.5")}


async def dated_async(task: Task) -> dict[str, object]:
    return priced(task)


def assert_failed_saying_why(server, task_ids: list[str]) -> None:
    tasks = {t["taskId"]: t for t in server.wait_done(task_ids, timeout=20)}
    for task_id in task_ids:
        assert tasks[task_id]["status"] == "FAILED"
        assert tasks[task_id]["reasonForIncompletion"] == REASON
        assert tasks[task_id].get("outputData", {}) == {}
    assert [server.task_logs(task_id) for task_id in task_ids] == [
        [f"working on {n}"] for n in range(len(task_ids))
    ]


def test_threaded_runner(server) -> None:
    ids = [server.enqueue("dated", input={"n": n})[0] for n in range(3)]
    worker = Worker("dated", priced)
    TaskRunner(worker, Configuration(server_api_url=server.url)).run(burst=True)
    assert_failed_saying_why(server, ids)


def test_async_runner(server) -> None:
    pytest.importorskip("aiohttp")
    from conductor.client.automator.async_task_runner import AsyncTaskRunner

    ids = [server.enqueue("dated", input={"n": n})[0] for n in range(3)]
    worker = Worker("dated", dated_async)
    run_blocking(AsyncTaskRunner(worker, Configuration(server_api_url=server.url)), burst=True)
    assert_failed_saying_why(server, ids)
