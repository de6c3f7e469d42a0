"""Function workers: what the function receives and how its return value is reported."""

from __future__ import annotations

import asyncio
import threading

import pytest

from conductor.client.automator._task_execution import execute_task
from conductor.client.context.task_context import TaskInProgress
from conductor.client.http.models import Task, TaskResult
from conductor.client.http.models.task_result_status import TaskResultStatus
from conductor.client.worker.worker import Worker


def make_task(**input_data: object) -> Task:
    return Task(
        task_id="t-1",
        workflow_instance_id="wf-1",
        task_type="greet",
        task_def_name="greet",
        input_data=dict(input_data),
        poll_count=1,
        retry_count=0,
    )


def run(function, task: Task | None = None) -> TaskResult:
    worker = Worker("greet", function, worker_id="w-1")
    return execute_task(worker, task or make_task(name="Ada"), "w-1")


# The guide's function worker, as written there (with a real annotation, not a string).
def guide_execute(task: Task) -> TaskResult:
    task_result = TaskResult(
        task_id=task.task_id,
        workflow_instance_id=task.workflow_instance_id,
        worker_id="your_custom_id",
    )
    task_result.add_output_data("worker_style", "function")
    task_result.status = TaskResultStatus.COMPLETED
    return task_result


guide_execute.__annotations__["task"] = Task  # this module uses postponed annotations


def test_a_parameter_annotated_task_receives_the_task_and_its_result_is_kept():
    result = run(guide_execute)
    assert result.status == TaskResultStatus.COMPLETED
    assert result.worker_id == "your_custom_id"
    assert (result.task_id, result.workflow_instance_id) == ("t-1", "wf-1")
    assert result.output_data == {"worker_style": "function"}


def test_a_task_annotation_written_as_text_also_receives_the_task():
    def needs_task(task: Task) -> dict:  # "Task" is a string here (postponed annotations)
        return {"type": type(task).__name__, "id": task.task_id}

    assert run(needs_task).output_data == {"type": "Task", "id": "t-1"}


def test_a_single_unannotated_parameter_receives_the_task():
    # As every conductor-python release does; the guide's sentence about input_data is
    # overridden on purpose (its own examples work either way).
    def echo(input) -> object:
        return {"got": type(input).__name__, "name": input.input_data["name"]}

    assert run(echo).output_data == {"got": "Task", "name": "Ada"}


def test_a_returned_result_without_ids_gets_the_task_ids_and_worker_id():
    def bare(input) -> TaskResult:
        return TaskResult(output_data={"x": 1})

    result = run(bare)
    assert (result.task_id, result.workflow_instance_id, result.worker_id) == ("t-1", "wf-1", "w-1")
    assert result.status == TaskResultStatus.COMPLETED
    assert result.output_data == {"x": 1}


@pytest.mark.parametrize(
    ("returned", "output"),
    [
        ({"a": 1}, {"a": 1}),
        (None, {"result": None}),
        (42, {"result": 42}),
        ([1, 2], {"result": [1, 2]}),
    ],
)
def test_other_return_values_become_the_output(returned, output):
    result = run(lambda input: returned)
    assert result.status == TaskResultStatus.COMPLETED
    assert result.output_data == output


def test_several_parameters_receive_inputs_by_name_with_defaults():
    def greet(name: str, greeting: str = "Hello") -> dict:
        return {"message": f"{greeting}, {name}"}

    assert run(greet).output_data == {"message": "Hello, Ada"}
    task = make_task(name="Ada", greeting="Hi", unused=1)
    assert run(greet, task).output_data == {"message": "Hi, Ada"}


def test_keyword_only_parameters_and_task_and_kwargs():
    def handler(task: Task, *, name: str, **rest) -> dict:
        return {"task": task.task_id, "name": name, "rest": rest}

    output = run(handler, make_task(name="Ada", city="Paris")).output_data
    assert output == {"task": "t-1", "name": "Ada", "rest": {"city": "Paris"}}


def test_a_missing_input_without_default_is_none():
    def add(a: int, b: int | None) -> dict:
        return {"a": a, "b": b}

    result = run(add, make_task(a=1))
    assert result.output_data == {"a": 1, "b": None}


def test_a_function_without_parameters_is_called_without_arguments():
    assert run(lambda: {"ok": True}).output_data == {"ok": True}


def test_an_async_function_runs_to_completion_in_the_worker_thread():
    threads = []

    async def fetch(name: str, delay: float = 0.01) -> dict:
        threads.append(threading.current_thread())
        await asyncio.sleep(delay)
        return {"hello": name}

    assert run(fetch).output_data == {"hello": "Ada"}
    assert run(fetch).output_data == {"hello": "Ada"}  # the thread's loop is reused
    assert threads == [threading.current_thread()] * 2


def test_task_in_progress_reports_in_progress_with_its_callback():
    result = run(lambda input: TaskInProgress(callback_after_seconds=5, output={"step": 1}))
    assert result.status == TaskResultStatus.IN_PROGRESS
    assert result.callback_after_seconds == 5
    assert result.output_data == {"step": 1}
    assert result.to_json()["callbackAfterSeconds"] == 5


def test_task_in_progress_rejects_bad_values():
    with pytest.raises(ValueError, match="callback_after_seconds"):
        TaskInProgress(callback_after_seconds=-1)
    with pytest.raises(ValueError, match="output"):
        TaskInProgress(output=[1])


def test_a_non_callable_is_refused_with_the_task_name():
    with pytest.raises(TypeError, match="greet"):
        Worker("greet", "not a function")
