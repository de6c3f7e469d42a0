"""Worker settings given in code: constructor, decorator and overridden getters."""

from __future__ import annotations

import pickle
import socket

import pytest

from conductor.client.http.models import Task
from conductor.client.worker import worker_task as worker_task_module
from conductor.client.worker.worker import Worker
from conductor.client.worker.worker_interface import WorkerInterface
from conductor.client.worker.worker_task import (
    WorkerTask,
    isolated_worker_registry,
    registered_workers,
    worker_task,
)


class Plain(WorkerInterface):
    def execute(self, task: Task) -> object:
        return None


class SlowPoller(Plain):
    def get_polling_interval_in_seconds(self) -> float:
        return 0.5

    def get_domain(self) -> str | None:
        return "gpu"


@pytest.fixture(autouse=True)
def isolated_registry():
    """Functions decorated here are not left registered for other tests' TaskHandlers."""
    with isolated_worker_registry():
        yield


def shout(text: str = "") -> dict:
    return {"text": text.upper()}


def test_defaults_leave_every_setting_to_the_configuration():
    worker = Plain("resize")
    assert worker.get_task_definition_name() == "resize"
    assert worker.get_identity() == socket.gethostname()
    assert worker.get_domain() is None
    assert worker.get_polling_interval_in_seconds() == pytest.approx(0.1)
    assert worker.thread_count == 1
    assert worker.get_arguments() == {}


def test_constructor_values_are_arguments_with_poll_interval_in_milliseconds():
    worker = Worker(
        "resize", shout, poll_interval=250, domain="test", worker_id="w9", thread_count=4
    )
    assert worker.get_polling_interval_in_seconds() == pytest.approx(0.25)
    assert worker.get_arguments() == {
        "domain": "test",
        "polling_interval": 250.0,
        "worker_id": "w9",
        "thread_count": 4,
    }


def test_overridden_getters_are_arguments_too():
    assert SlowPoller("resize").get_arguments() == {"polling_interval": 500.0, "domain": "gpu"}


def test_pause_and_resume():
    worker = Plain("resize")
    worker.pause()
    assert worker.paused() and worker.get_arguments() == {"paused": True}
    worker.resume()
    assert not worker.paused()


def test_task_result_from_task_carries_ids_and_identity():
    task = Task(task_id="t", workflow_instance_id="wf")
    result = Plain("resize", worker_id="me").get_task_result_from_task(task)
    assert (result.task_id, result.workflow_instance_id, result.worker_id) == ("t", "wf", "me")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"poll_interval": 0},
            "argument poll_interval=0 of worker 'resize' is not a positive number of milliseconds",
        ),
        ({"poll_interval": "fast"}, "argument poll_interval='fast' of worker 'resize'"),
        ({"thread_count": 0}, "argument thread_count=0 of worker 'resize'"),
        ({"thread_count": 2.5}, "argument thread_count=2.5 of worker 'resize'"),
    ],
)
def test_bad_values_are_refused_naming_the_worker_and_value(kwargs, message):
    with pytest.raises(ValueError, match="resize") as error:
        Worker("resize", shout, **kwargs)
    assert message in str(error.value)


def test_a_task_name_is_required():
    with pytest.raises(ValueError, match="task_definition_name"):
        Plain("")


def test_a_function_worker_pickles_by_reference_and_still_runs():
    worker = pickle.loads(pickle.dumps(Worker("shout", shout, domain="d")))
    assert worker.execute(Task(task_id="t", input_data={"text": "hi"})).output_data == {
        "text": "HI"
    }
    assert worker.get_domain() == "d"


def test_the_decorator_returns_the_function_itself_and_registers_it():
    @WorkerTask(task_definition_name="decorated_upper", domain="cool", poll_interval=2.0)
    def upper(input) -> object:
        return {"message": "python is so cool :)"}

    assert upper({"x": 1}) == {"message": "python is so cool :)"}
    [registration] = [
        r for r in registered_workers() if r.task_definition_name == "decorated_upper"
    ]
    worker = registration.to_worker()
    assert worker.execute_function is upper
    assert worker.get_domain() == "cool"
    assert worker.get_polling_interval_in_seconds() == pytest.approx(0.002)


def test_decorating_the_same_function_again_replaces_its_registration():
    def make():
        @worker_task("decorated_twice", poll_interval_millis=300)
        def twice(input) -> object:
            return None

        return twice

    make()
    make()
    matches = [r for r in registered_workers() if r.task_definition_name == "decorated_twice"]
    assert len(matches) == 1
    assert matches[0].poll_interval == 300


def test_the_decorator_checks_values_when_applied():
    with pytest.raises(ValueError, match="thread_count"):
        WorkerTask("decorated_bad", thread_count=0)(shout)
    with pytest.raises(ValueError, match="pass one of poll_interval, poll_interval_millis"):
        WorkerTask("decorated_bad", poll_interval=1, poll_interval_millis=1)
    assert not [r for r in registered_workers() if r.task_definition_name == "decorated_bad"]


def test_the_registry_can_be_cleared_restored_and_isolated():
    @worker_task("registry_kept")
    def kept(text: str) -> dict:
        return {}

    before = worker_task_module.get_registered_worker_names()
    with isolated_worker_registry(keep=False):
        assert registered_workers() == []

        @WorkerTask("registry_inner")
        def inner(text: str) -> dict:
            return {}

        [worker] = worker_task_module.get_registered_workers()
        assert (worker.get_task_definition_name(), worker.execute_function) == (
            "registry_inner",
            inner,
        )
    assert worker_task_module.get_registered_worker_names() == before
    removed = worker_task_module.clear_registered_workers()
    assert "registry_kept" in [r.task_definition_name for r in removed]
    assert registered_workers() == []
    worker_task_module.restore_registered_workers(removed)
    assert worker_task_module.get_registered_worker_names() == before
