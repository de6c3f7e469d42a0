"""TaskHandler's checks before any process starts: workers, settings, sendability."""

from __future__ import annotations

import multiprocessing
import threading

import pytest

from conductor.client.automator.task_handler import TaskHandler, WorkerStartError
from conductor.client.configuration.configuration import Configuration
from conductor.client.http.models import Task
from conductor.client.worker.worker import Worker
from conductor.client.worker.worker_config import WorkerConfigError
from conductor.client.worker.worker_interface import WorkerInterface

CONFIG = Configuration(server_api_url="http://127.0.0.1:9/api")


def top_level(input) -> dict:
    return {}


class WithLock(WorkerInterface):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.lock = threading.Lock()  # cannot be copied into another process

    def execute(self, task: Task) -> object:
        return None


class StartedWith(TaskHandler):
    """A handler that uses a given start method and records instead of starting processes."""

    def __init__(self, method: str, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.method = method

    def process_context(self):
        return multiprocessing.get_context(self.method)


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
@pytest.mark.parametrize(
    ("make_worker", "named"),
    [
        (lambda: Worker("lambda_task", lambda input: {}), "lambda_task"),
        (lambda: Worker("local_task", _local_function()), "local_task"),
        (lambda: WithLock("locked_task"), "locked_task"),
    ],
)
def test_a_worker_that_cannot_be_sent_fails_at_start_naming_it_and_the_fix(
    method, make_worker, named
):
    handler = StartedWith(method, [Worker("fine", top_level), make_worker()], CONFIG)
    with pytest.raises(WorkerStartError) as error:
        handler.start_processes()
    message = str(error.value)
    assert repr(named) in message and method in message
    assert "top level of a module" in message
    assert handler.processes == []  # nothing started, not even the good worker


def _local_function():
    def local(input) -> dict:
        return {}

    return local


def test_a_bad_setting_fails_at_start_naming_its_source(monkeypatch):
    monkeypatch.setenv("conductor_worker_checked_task_polling_interval", "soon")
    handler = TaskHandler([Worker("checked_task", top_level)], CONFIG)
    with pytest.raises(
        WorkerConfigError, match="conductor_worker_checked_task_polling_interval"
    ) as raised:
        handler.start_processes()
    assert handler.processes == []
    # The traceback is the caller's line and start_processes, not the frames reading the value.
    frames = [entry.name for entry in raised.traceback]
    assert frames[-1] == "start_processes", frames


def test_workers_must_be_workers_and_the_guide_ellipsis_is_skipped():
    handler = TaskHandler([Worker("a", top_level), ..., Worker("b", top_level)], CONFIG)
    assert [w.get_task_definition_name() for w in handler.workers] == ["a", "b"]
    with pytest.raises(TypeError, match=r"workers\[1\] is a function"):
        TaskHandler([Worker("a", top_level), top_level], CONFIG)


def test_a_single_worker_is_accepted():
    worker = Worker("a", top_level)
    assert TaskHandler(worker, CONFIG).workers == [worker]


def test_the_start_method_is_the_one_the_program_chose():
    assert TaskHandler([], CONFIG).process_context() is multiprocessing.get_context()


def test_leaving_the_block_without_workers_returns_at_once():
    with TaskHandler([], CONFIG) as handler:
        handler.start_processes()
    assert handler.processes == []
