"""The asyncio runner against a real fake-server socket: concurrency, results, stop contract."""

from __future__ import annotations

import asyncio
import sys
import threading

import pytest

from conductor.client.automator._worker_kind import is_async_worker
from conductor.client.automator.async_task_runner import AsyncTaskRunner
from conductor.client.configuration.configuration import Configuration
from conductor.client.context.task_context import get_task_context
from conductor.client.http.async_task_client import AsyncClientUnavailableError
from conductor.client.http.models.task import Task
from conductor.client.worker.worker import Worker
from conductor.client.worker.worker_interface import WorkerInterface
from tests.integration.sdk.waiting import run_blocking, wait_until

in_flight = 0
most_in_flight = 0


async def slow_echo(task: Task) -> dict[str, object]:
    global in_flight, most_in_flight
    in_flight += 1
    most_in_flight = max(most_in_flight, in_flight)
    try:
        await asyncio.sleep(0.05)
        if task.input_data.get("fail"):
            raise ValueError("asked to fail")
        # Each asyncio task sees its own task context.
        return {"n": task.input_data["n"], "context_task": get_task_context().task_id}
    finally:
        in_flight -= 1


release = threading.Event()


async def wait_for_release(task: Task) -> dict[str, bool]:
    while not release.is_set():
        await asyncio.sleep(0.01)
    return {"released": True}


def runner(server, worker: Worker, **kwargs) -> AsyncTaskRunner:
    return AsyncTaskRunner(worker, Configuration(server_api_url=server.url), **kwargs)


def test_runs_up_to_thread_count_tasks_at_once_and_reports_each_result(server) -> None:
    ids = [server.enqueue("echo", input={"n": n})[0] for n in range(60)]
    failing = server.enqueue("echo", input={"n": -1, "fail": True})[0]
    run_blocking(runner(server, Worker("echo", slow_echo, thread_count=20)), burst=True)
    tasks = server.wait_done([*ids, failing], timeout=20)
    done = {t["taskId"]: t for t in tasks}
    for n, task_id in enumerate(ids):
        assert done[task_id]["status"] == "COMPLETED"
        assert done[task_id]["outputData"] == {"n": n, "context_task": task_id}
    assert done[failing]["status"] == "FAILED"
    assert done[failing]["reasonForIncompletion"] == "ValueError: asked to fail"
    assert 10 < most_in_flight <= 20


def test_stop_lets_running_tasks_finish_within_the_drain_timeout(server) -> None:
    release.clear()
    [task_id] = server.enqueue("held")
    async_runner = runner(server, Worker("held", wait_for_release, thread_count=2))
    thread = threading.Thread(target=run_blocking, args=(async_runner,))
    thread.start()
    wait_until(lambda: async_runner.busy == 1, message="the task to start")
    async_runner.stop()
    threading.Timer(0.2, release.set).start()
    thread.join(10)
    assert not thread.is_alive()
    assert server.task(task_id)["status"] == "COMPLETED"


def test_a_task_still_running_after_the_drain_is_given_back(server) -> None:
    release.clear()
    [task_id] = server.enqueue("wedged")
    async_runner = runner(server, Worker("wedged", wait_for_release), drain_timeout=0.3)
    thread = threading.Thread(target=run_blocking, args=(async_runner,))
    thread.start()
    wait_until(lambda: async_runner.busy == 1, message="the task to start")
    async_runner.stop()
    thread.join(10)
    release.set()
    task = server.task(task_id)
    assert (task["status"], task["callbackAfterSeconds"]) == ("SCHEDULED", 0)


def test_async_workers_are_told_apart_from_sync_ones() -> None:
    class AsyncClassWorker(WorkerInterface):
        async def execute(self, task: Task) -> dict[str, bool]:
            return {}

    assert is_async_worker(Worker("a", slow_echo))
    assert is_async_worker(AsyncClassWorker("b"))
    assert not is_async_worker(Worker("c", lambda task: {}))


def test_without_aiohttp_a_worker_behind_a_proxy_fails_at_start_with_the_install_command(
    monkeypatch,
) -> None:
    monkeypatch.setitem(sys.modules, "aiohttp", None)  # import aiohttp raises ImportError
    configuration = Configuration(server_api_url="http://conductor.internal:8080/api")
    configuration.proxy = "http://proxy.internal:3128"
    with pytest.raises(
        AsyncClientUnavailableError, match=r"pip install 'conductor-workers\[async\]'"
    ):
        AsyncTaskRunner(Worker("a", slow_echo), configuration)


def test_without_aiohttp_a_worker_without_a_proxy_runs(monkeypatch, server) -> None:
    monkeypatch.setitem(sys.modules, "aiohttp", None)  # import aiohttp raises ImportError
    [task_id] = server.enqueue("no_extra", input={"n": 1})
    run_blocking(runner(server, Worker("no_extra", slow_echo)), burst=True)
    [task] = server.wait_done([task_id], timeout=20)
    assert task["outputData"]["n"] == 1


async def double(task: Task) -> dict[str, int]:
    await asyncio.sleep(0.01)
    return {"doubled": 2 * task.input_data["n"]}


def test_task_handler_runs_an_async_worker_in_its_own_process(server) -> None:
    from harness.workers import run_workers

    ids = [server.enqueue("double", input={"n": n})[0] for n in range(20)]
    with run_workers([Worker("double", double, thread_count=10)], server.url) as workers:
        tasks = server.wait_done(ids, timeout=20)
        workers.check_alive()
    assert [t["outputData"]["doubled"] for t in tasks] == [2 * n for n in range(20)]


def test_run_is_a_coroutine_for_an_applications_own_loop(server) -> None:
    # conductor-python 2.0.0's form: job = ensure_future(runner.run()); await runner.stop()
    ids = [server.enqueue("in_loop", input={"n": n})[0] for n in range(5)]
    async_runner = runner(server, Worker("in_loop", slow_echo, thread_count=5))

    async def application() -> None:
        job = asyncio.ensure_future(async_runner.run())
        while len([t for t in ids if server.task(t)["status"] == "COMPLETED"]) < len(ids):
            await asyncio.sleep(0.02)  # the application's loop carries on meanwhile
        await async_runner.stop()
        await asyncio.wait_for(job, 10)

    asyncio.run(application())
    assert [server.task(t)["outputData"]["n"] for t in ids] == list(range(5))


def test_run_once_polls_once_and_stop_waits_for_what_it_started(server) -> None:
    ids = [server.enqueue("once", input={"n": n})[0] for n in range(3)]
    async_runner = runner(server, Worker("once", slow_echo, thread_count=2))

    async def one_turn() -> int:
        async with async_runner:  # leaving it awaits stop(): the started tasks finish
            return await async_runner.run_once()

    assert asyncio.run(one_turn()) == 2  # as many as there is room for
    statuses = sorted(server.task(t)["status"] for t in ids)
    assert statuses == ["COMPLETED", "COMPLETED", "SCHEDULED"]
