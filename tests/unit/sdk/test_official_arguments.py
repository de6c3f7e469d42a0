"""Every keyword that conductor-python 2.0.0's Worker, decorators, TaskHandler and TaskRunner
take is accepted by the same name; settings are checked on one path with one set of messages."""

import logging

import pytest

from conductor.client.automator import task_handler as task_handler_module
from conductor.client.automator.task_handler import TaskHandler
from conductor.client.automator.task_runner import TaskRunner
from conductor.client.configuration.configuration import Configuration
from conductor.client.configuration.settings.metrics_settings import MetricsSettings
from conductor.client.http.models import Task, TaskDef
from conductor.client.worker.worker import Worker
from conductor.client.worker.worker_config import WorkerConfigError, resolve_worker_settings
from conductor.client.worker.worker_interface import WorkerInterface, is_paused
from conductor.client.worker.worker_task import (
    WorkerTask,
    isolated_worker_registry,
    registered_workers,
    worker_task,
)

CONFIG = Configuration(server_api_url="http://127.0.0.1:9/api")


@pytest.fixture(autouse=True)
def isolated_registry():
    with isolated_worker_registry(keep=False):
        yield


def shout(text: str = "") -> dict:
    return {"text": text.upper()}


def registration(name: str):
    [found] = [r for r in registered_workers() if r.task_definition_name == name]
    return found


# -- Worker ----------------------------------------------------------------------------------


def test_worker_takes_conductor_pythons_arguments_in_its_order():
    template = TaskDef(retry_count=5, timeout_policy="RETRY")
    worker = Worker(
        "official", shout, 250, "blue", "w-1", 4, True, 300, True, True, template, False, True, True
    )
    assert worker.get_arguments() == {
        "polling_interval": 250.0,
        "domain": "blue",
        "worker_id": "w-1",
        "thread_count": 4,
        "register_task_def": True,
        "poll_timeout": 300,
        "lease_extend_enabled": True,
        "paused": True,
        "overwrite_task_def": False,
        "strict_schema": True,
        "register_schema": True,
    }
    assert worker.task_def_template is template
    assert (worker.poll_interval, worker.domain, worker.worker_id) == (250.0, "blue", "w-1")


def test_defaults_read_as_in_conductor_python():
    worker = Worker("official", shout)
    assert worker.poll_interval == 100.0
    assert (worker.register_task_def, worker.overwrite_task_def) == (False, True)
    assert (worker.strict_schema, worker.register_schema) == (False, False)
    assert worker.lease_extend_enabled is False
    assert not worker.paused
    assert worker.get_arguments() == {}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"poll_timeout": 9000}, "argument poll_timeout=9000 of worker 'official' is not a whole"),
        ({"register_task_def": "maybe"}, "argument register_task_def='maybe' of worker"),
        ({"paused": 2}, "argument paused=2 of worker 'official' is not a yes/no value"),
        ({"thread_count": 0}, "argument thread_count=0 of worker 'official' is not a whole"),
    ],
)
def test_bad_arguments_get_the_same_message_as_the_configuration_gives(kwargs, message):
    with pytest.raises(WorkerConfigError) as raised:
        Worker("official", shout, **kwargs)
    assert str(raised.value).startswith(message)
    # the very same words as when the value reaches the resolution as an argument
    prop = "polling_interval" if "poll_interval" in kwargs else next(iter(kwargs))
    with pytest.raises(WorkerConfigError) as again:
        resolve_worker_settings("official", {prop: kwargs[next(iter(kwargs))]}, environ={})
    assert str(again.value) == str(raised.value)


def test_a_task_def_template_must_be_a_task_def():
    with pytest.raises(TypeError, match="task_def_template must be a TaskDef"):
        Worker("official", shout, task_def_template={"retryCount": 1})


# -- paused, both ways -----------------------------------------------------------------------


def test_paused_as_a_value_as_in_conductor_python_2():
    worker = Worker("official", shout, paused=True)
    assert worker.paused
    assert worker.paused == True  # noqa: E712  (code does compare it)
    assert is_paused(worker)
    worker.paused = False
    assert not worker.paused and not worker.paused()
    assert worker.get_arguments() == {"paused": False}


class OldStyle(WorkerInterface):
    """A guide-era class worker: it overrides paused() to decide at every poll."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.maintenance = True

    def execute(self, task: Task) -> dict:
        return {}

    def paused(self) -> bool:  # type: ignore[override]  # as 2.0.0 code overrides it
        return self.maintenance


def test_paused_as_an_overridden_method_as_in_the_guide_era():
    worker = OldStyle("official")
    assert worker.paused() is True and is_paused(worker)
    assert worker.get_arguments() == {"paused": True}
    worker.maintenance = False
    assert not is_paused(worker)


class NewStyle(WorkerInterface):
    """A 2.0.0 class worker: it sets its settings as attributes."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.thread_count = 5
        self.poll_interval = 400
        self.domain = "green"
        self.lease_extend_enabled = False

    def execute(self, task: Task) -> dict:
        return {}


def test_settings_assigned_as_attributes_are_arguments():
    assert NewStyle("official").get_arguments() == {
        "thread_count": 5,
        "polling_interval": 400.0,
        "domain": "green",
        "lease_extend_enabled": False,
    }
    with pytest.raises(WorkerConfigError, match="argument thread_count=-1 of worker 'official'"):
        NewStyle("official").thread_count = -1


# -- decorators ------------------------------------------------------------------------------


def test_worker_task_takes_conductor_pythons_keywords():
    template = TaskDef(retry_count=2)

    @worker_task(
        task_definition_name="decorated_official",
        poll_interval_millis=300,
        thread_count=3,
        register_task_def=True,
        poll_timeout=200,
        lease_extend_enabled=False,
        task_def=template,
        overwrite_task_def=False,
        strict_schema=True,
        register_schema=True,
    )
    def decorated(text: str) -> dict:
        return {}

    worker = registration("decorated_official").to_worker()
    assert worker.execute_function is decorated
    assert worker.task_def_template is template
    assert worker.get_arguments() == {
        "polling_interval": 300.0,
        "thread_count": 3,
        "register_task_def": True,
        "poll_timeout": 200,
        "lease_extend_enabled": False,
        "overwrite_task_def": False,
        "strict_schema": True,
        "register_schema": True,
    }


def test_positional_orders_the_guide_for_workertask_and_2_0_for_worker_task():
    WorkerTask("guide_order", "dom", "wid", 250)(shout)
    worker_task("official_order", 300, "dom2", "wid2")(shout)
    guide = registration("guide_order")
    official = registration("official_order")
    assert (guide.domain, guide.worker_id, guide.poll_interval) == ("dom", "wid", 250)
    assert (official.poll_interval, official.domain, official.worker_id) == (300, "dom2", "wid2")


def test_poll_interval_seconds_is_in_seconds():
    WorkerTask("in_seconds", poll_interval_seconds=2)(shout)
    assert registration("in_seconds").poll_interval == 2000.0
    with pytest.raises(WorkerConfigError, match="poll_interval_seconds=-1"):
        WorkerTask("in_seconds", poll_interval_seconds=-1)


# -- TaskHandler and TaskRunner --------------------------------------------------------------


def test_task_handler_takes_every_argument_and_keeps_it(caplog):
    metrics = MetricsSettings(directory="/tmp/m", http_port=9100)
    listener = object()
    with caplog.at_level(logging.WARNING, logger="conductor.client"):
        handler = TaskHandler(
            [Worker("official", shout)],
            CONFIG,
            metrics,
            False,
            None,
            [listener],
            monitor_processes=True,
            restart_on_failure=False,
            monitor_interval_seconds=2.0,
            restart_backoff_seconds=0.5,
            restart_backoff_max_seconds=30.0,
            restart_max_attempts=3,
        )
    assert handler.metrics_settings is metrics
    assert handler.event_listeners == [listener]
    assert (handler.monitor_processes, handler.restart_on_failure) == (True, False)
    assert (handler.monitor_interval_seconds, handler.restart_max_attempts) == (2.0, 3)
    assert (handler.restart_backoff_seconds, handler.restart_backoff_max_seconds) == (0.5, 30.0)
    assert caplog.messages == []  # every one of them is acted upon


def test_task_handler_defaults_are_conductor_pythons_and_warn_about_nothing(caplog):
    with caplog.at_level(logging.WARNING, logger="conductor.client"):
        handler = TaskHandler([Worker("official", shout)], CONFIG)
    assert (handler.monitor_processes, handler.restart_on_failure) == (True, True)
    assert handler.event_listeners == [] and handler.metrics_settings is None
    assert caplog.messages == []


def test_task_runner_takes_metrics_settings_and_event_listeners_positionally(caplog):
    worker = Worker("official_runner", shout)
    with caplog.at_level(logging.WARNING, logger="conductor.client"):
        runner = TaskRunner(worker, CONFIG, MetricsSettings(), ["listener"])
    assert runner.metrics_settings == MetricsSettings()
    assert runner.event_listeners == ["listener"]
    assert caplog.text == ""


def test_poll_timeout_is_the_long_poll_of_the_runner(monkeypatch):
    runner = TaskRunner(Worker("official_poll", shout, poll_timeout=250), CONFIG)
    assert runner.long_poll_ms == 250
    monkeypatch.setenv("conductor.worker.official_poll.poll_timeout", "40")
    runner = TaskRunner(Worker("official_poll", shout, poll_timeout=250), CONFIG)
    assert runner.long_poll_ms == 40


def test_a_worker_for_several_task_names_runs_once_per_name():
    worker = Worker(["first_name", "second_name"], shout, thread_count=2)
    handler = TaskHandler(worker, CONFIG)
    assert [w.get_task_definition_name() for w in handler.workers] == [
        "first_name",
        "second_name",
    ]
    assert [w.thread_count for w in handler.workers] == [2, 2]
    handler.workers[0].thread_count = 7  # each copy has settings of its own
    assert handler.workers[1].thread_count == 2
    assert worker.task_definition_names == ["first_name", "second_name"]


def test_without_a_list_the_decorated_functions_run_as_in_conductor_python():
    @worker_task("found_without_list")
    def found(text: str) -> dict:
        return {}

    names = [w.get_task_definition_name() for w in TaskHandler(configuration=CONFIG).workers]
    assert names == ["found_without_list"]
    assert task_handler_module.get_registered_worker_names() == ["found_without_list"]
    [worker] = task_handler_module.get_registered_workers()
    assert worker.execute_function is found
    # the guide's default: a list given, no scan asked for -> only the list
    assert TaskHandler([], CONFIG).workers == []
    assert TaskHandler(configuration=CONFIG, scan_for_annotated_workers=False).workers == []
