"""Each worker style in real worker processes, against the fake server on a real socket."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from conductor.client.automator.task_handler import TaskHandler, WorkerProcessError
from conductor.client.configuration.configuration import Configuration
from conductor.client.worker.worker import Worker
from conductor.client.worker.worker_task import isolated_worker_registry
from tests.integration.sdk import workers as w
from tests.integration.sdk.waiting import wait_until


@pytest.fixture
def start_workers(server, monkeypatch) -> Iterator:
    """Starts a TaskHandler's processes for the test; always stops them."""
    handlers: list[TaskHandler] = []
    # only the decorated functions this test imports are registered
    with isolated_worker_registry(keep=False):
        monkeypatch.delitem(sys.modules, "tests.integration.sdk.annotated_workers", raising=False)
        yield from _start_workers(server, handlers)


def _start_workers(server, handlers: list[TaskHandler]) -> Iterator:

    def start(workers, **options) -> TaskHandler:
        handler = TaskHandler(workers, Configuration(server_api_url=server.url), **options)
        handlers.append(handler)
        handler.start_processes()
        return handler

    yield start
    for handler in handlers:
        handler.stop_processes()
    for handler in handlers:
        assert all(not p.is_alive() for p in handler.processes)


def test_every_worker_style_completes_its_task(server, start_workers):
    start_workers(
        [
            Worker("it_function", w.with_task),
            w.ClassWorker("it_class", worker_id="class-worker"),
            Worker("it_keywords", w.greet),
            Worker("it_async", w.double_later),
        ],
        import_modules=["tests.integration.sdk.annotated_workers"],
    )
    ids = {
        "function": server.enqueue("it_function", input={"word": "hi"}),
        "class": server.enqueue("it_class"),
        "keywords": server.enqueue("it_keywords", input={"name": "Ada", "greeting": "Hi"}),
        "async": server.enqueue("it_async", input={"n": 21}),
        "annotated": server.enqueue("it_annotated", input={"word": "yo"}),
    }
    done = {style: server.wait_done(task_ids)[0] for style, task_ids in ids.items()}
    assert {style: t["status"] for style, t in done.items()} == dict.fromkeys(ids, "COMPLETED")
    assert done["function"]["outputData"] == {"style": "function", "echo": "hi"}
    assert done["function"]["workerId"] == "function-worker"
    assert done["class"]["outputData"] == {"style": "class"}
    assert done["class"]["workerId"] == "class-worker"
    assert done["keywords"]["outputData"] == {"message": "Hi, Ada!"}
    assert done["async"]["outputData"] == {"double": 42}
    assert done["annotated"]["outputData"] == {"style": "annotated", "got": "yo"}
    assert done["annotated"]["workerId"] == "annotated-worker"


def test_failures_reach_the_server_with_their_reason_and_traceback(server, start_workers):
    start_workers([Worker("it_charge", w.charge), Worker("it_refuse", w.refuse)])
    [charged] = server.wait_done(server.enqueue("it_charge", input={"card": "4242"}))
    [refused] = server.wait_done(server.enqueue("it_refuse"))
    assert charged["status"] == "FAILED"
    assert charged["reasonForIncompletion"] == "ValueError: card 4242 declined"
    [trace] = server.task_logs(charged["taskId"])
    assert "Traceback" in trace and "in charge" in trace
    assert refused["status"] == "FAILED_WITH_TERMINAL_ERROR"
    assert refused["reasonForIncompletion"] == "NonRetryableException: account closed"


def test_long_running_work_comes_back_until_done(server, start_workers):
    start_workers([Worker("it_resumable", w.resumable)])
    [task_id] = server.enqueue("it_resumable")
    [task] = server.wait_done([task_id], statuses=("COMPLETED",))
    assert task["outputData"] == {"progress": 100, "polls": 2}
    assert server.task_logs(task_id) == ["execution 1", "execution 2"]


def test_thread_count_runs_that_many_tasks_at_once_in_one_process(server, start_workers):
    start_workers([Worker("it_timed", w.timed, thread_count=3)])
    done = server.wait_done(server.enqueue("it_timed", 3, input={"seconds": 0.5}))
    outputs = [t["outputData"] for t in done]
    assert len({o["pid"] for o in outputs}) == 1
    assert len({o["thread"] for o in outputs}) == 3
    assert max(o["start"] for o in outputs) < min(o["end"] for o in outputs)  # all overlapped


def test_domains_route_tasks_to_the_workers_that_poll_them(server, start_workers):
    start_workers([Worker("it_routed", w.whoami, domain="blue"), Worker("it_routed", w.whoami)])
    server.wait_polled({"it_routed": {None, "blue"}})
    [blue] = server.wait_done(server.enqueue("it_routed", domain="blue"))
    [plain] = server.wait_done(server.enqueue("it_routed"))
    assert blue["outputData"]["domain"] == "blue"
    assert plain["outputData"]["domain"] is None
    assert blue["outputData"]["pid"] != plain["outputData"]["pid"]


def test_more_instances_share_a_queue(server, start_workers):
    handler = start_workers([Worker("it_shared", w.timed) for _ in range(3)])
    done = server.wait_done(server.enqueue("it_shared", 6, input={"seconds": 0.2}))
    pids = {t["outputData"]["pid"] for t in done}
    assert pids <= {p.pid for p in handler.processes}
    assert len(pids) > 1  # six 0.2 s tasks do not all wait for one process


def test_stop_inside_the_block_ends_it_at_once(server):
    configuration = Configuration(server_api_url=server.url)
    with TaskHandler([Worker("it_block", w.whoami)], configuration) as handler:
        handler.start_processes()
        server.wait_polled({"it_block": {None}})
        handler.stop_processes()
    assert all(p.exitcode == 0 for p in handler.processes)


def test_a_crashed_worker_process_is_reported_when_joining(server, start_workers):
    handler = start_workers([Worker("it_crash", w.crash)], restart_on_failure=False)
    [task_id] = server.enqueue("it_crash")
    [process] = handler.processes
    wait_until(lambda: not process.is_alive(), message="the worker process to crash")
    with pytest.raises(WorkerProcessError, match=r"worker-it_crash \(pid \d+, exit code 3\)"):
        handler.join_processes()
    # Not restarted, but the task it held went back to the queue at once.
    wait_until(lambda: server.task(task_id)["status"] == "SCHEDULED", message="the give-back")


def test_an_exception_in_the_block_stops_the_workers_and_propagates(server):
    configuration = Configuration(server_api_url=server.url)
    with pytest.raises(RuntimeError, match="application failed"):  # noqa: SIM117
        with TaskHandler([Worker("it_raise", w.whoami)], configuration) as handler:
            handler.start_processes()
            server.wait_polled({"it_raise": {None}})
            raise RuntimeError("application failed")
    assert [p.exitcode for p in handler.processes] == [0]
