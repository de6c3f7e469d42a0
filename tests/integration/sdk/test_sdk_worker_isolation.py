"""CONDUCTOR_WORKER_ISOLATION=thread (conductor-python 2.0.0): workers run as threads of the
main process, for hosts where processes cannot be started."""

from __future__ import annotations

import logging
import os
import threading

import pytest
from conftest import wait_until

from conductor.client.automator.task_handler import TaskHandler
from conductor.client.automator.worker_isolation import isolation_mode
from conductor.client.configuration.configuration import Configuration
from conductor.client.http.models import Task
from conductor.client.worker.worker import Worker


def where(task: Task) -> dict[str, object]:
    return {"pid": os.getpid(), "thread": threading.current_thread().name}


def unpicklable_worker(name: str) -> Worker:
    # A lambda cannot be sent to a spawned process; a thread needs no sending.
    return Worker(name, lambda task: where(task))


def test_thread_isolation_runs_the_workers_in_this_process(server, monkeypatch) -> None:
    monkeypatch.setenv("CONDUCTOR_WORKER_ISOLATION", " Thread ")
    ids = server.enqueue("iso_a", 3) + server.enqueue("iso_b", 3)
    workers = [unpicklable_worker("iso_a"), Worker("iso_b", where, thread_count=2)]
    handler = TaskHandler(workers, Configuration(server_api_url=server.url))
    handler.start_processes()
    try:
        done = server.wait_done(ids, timeout=20)
        assert {t["outputData"]["pid"] for t in done} == {os.getpid()}
        assert [s["alive"] for s in handler.get_worker_process_status()] == [True, True]
        assert {p.pid for p in handler.task_runner_processes} == {os.getpid()}
    finally:
        handler.stop_processes()
    assert not any(p.is_alive() for p in handler.processes)
    assert [p.exitcode for p in handler.processes] == [0, 0]
    assert not [t for t in threading.enumerate() if t.name.startswith("worker-iso_")]


def test_a_stop_right_after_the_start_ends_the_worker_threads(server, monkeypatch) -> None:
    monkeypatch.setenv("CONDUCTOR_WORKER_ISOLATION", "thread")
    handler = TaskHandler([Worker("iso_quick", where)], Configuration(server_api_url=server.url))
    handler.start_processes()
    handler.stop_processes()
    wait_until(lambda: not handler.processes[0].is_alive(), message="the thread to end")


@pytest.mark.parametrize("value, mode", [("", "process"), ("PROCESS", "process")])
def test_process_isolation_is_the_default(value, mode) -> None:
    assert isolation_mode({"CONDUCTOR_WORKER_ISOLATION": value}) == mode
    assert isolation_mode({}) == "process"


def test_an_unknown_isolation_is_warned_about_once(caplog) -> None:
    caplog.set_level(logging.WARNING, logger="conductor.client")
    for _ in range(2):
        assert isolation_mode({"CONDUCTOR_WORKER_ISOLATION": "threads-please"}) == "process"
    warnings = [r.getMessage() for r in caplog.records if "threads-please" in r.getMessage()]
    assert warnings == [
        "CONDUCTOR_WORKER_ISOLATION='threads-please' is not one of process, thread: running "
        "each worker in a process of its own"
    ]


def test_the_end_of_a_worker_thread_does_not_mark_this_process_dead() -> None:
    # With metrics, a dead process's live gauges are dropped by pid: a worker thread has
    # this process's pid, and the other workers run on.
    from conductor.client.automator._held_tasks import HeldTasks
    from conductor.client.automator._supervisor import RestartPolicy, Supervisor, WorkerSlot
    from conductor.client.automator.worker_isolation import WorkerThread
    from conductor.client.worker.worker_config import resolve_worker_settings

    thread = WorkerThread(target=lambda: None, name="worker-iso_end")
    thread.start()
    thread.join(5)
    settings = resolve_worker_settings("iso_end", {}, environ={}, search_dirs=[])
    slot = WorkerSlot(Worker("iso_end", where), settings, HeldTasks(1, shared=False), thread)  # type: ignore[arg-type]
    ended: list[int] = []
    supervisor = Supervisor(
        [slot], lambda s: None, lambda *a: None, RestartPolicy(), on_exit=ended.append
    )
    supervisor.collect(slot)
    assert (thread.exitcode, ended) == (0, [])
