"""What a function worker's return value or exception becomes, through ``Worker.execute``
called directly (as users' unit tests do) and in what is sent to the server."""

import asyncio
import dataclasses
import datetime
import enum
import json
import logging
import uuid

import pytest

from conductor.client.automator._task_execution import execute_task
from conductor.client.context import get_task_context
from conductor.client.http._json_values import json_default
from conductor.client.http.models import Task, TaskResult, TaskResultStatus
from conductor.client.worker.exception import NonRetryableException
from conductor.client.worker.worker import Worker


@dataclasses.dataclass
class Greeting:
    text: str
    to: str | None = None


@dataclasses.dataclass
class Envelope:
    greeting: Greeting
    stamps: list[Greeting]


class Colour(enum.Enum):
    RED = "red"


class Plain:
    def __init__(self) -> None:
        self.a = 1
        self.empty = None


def make_task() -> Task:
    return Task(
        task_id="t-1",
        workflow_instance_id="wf-1",
        task_def_name="out",
        input_data={"name": "Ann"},
        poll_count=1,
    )


def execute(function) -> TaskResult:
    return Worker("out", function, worker_id="w-1").execute(make_task())


@pytest.mark.parametrize(
    ("returned", "output"),
    [
        ({"a": 1}, {"a": 1}),
        (None, {"result": None}),
        ("Hello", {"result": "Hello"}),
        (3.5, {"result": 3.5}),
        ([1, 2], {"result": [1, 2]}),
        ((1, 2), {"result": [1, 2]}),
        (Greeting("hi"), {"text": "hi", "to": None}),
        (
            Envelope(Greeting("a"), [Greeting("b", "c")]),
            {"greeting": {"text": "a", "to": None}, "stamps": [{"text": "b", "to": "c"}]},
        ),
        (datetime.date(2024, 1, 2), {"result": "2024-01-02"}),
        (uuid.UUID(int=1), {"result": "00000000-0000-0000-0000-000000000001"}),
        (b"bytes", {"result": "bytes"}),
        (b"\xff\x00", {"result": "/wA="}),
        (Colour.RED, {"result": "red"}),
        (Plain(), {"a": 1}),
        (Task(task_id="x"), {"taskId": "x", "inputData": {}}),
    ],
    ids=lambda value: type(value).__name__,
)
def test_return_values_become_the_output_as_in_conductor_python(returned, output):
    result = execute(lambda: returned)
    assert result.status == TaskResultStatus.COMPLETED
    assert (result.task_id, result.workflow_instance_id, result.worker_id) == ("t-1", "wf-1", "w-1")
    assert result.output_data == output


def test_values_json_has_no_type_for_are_sent_as_conductor_python_sends_them():
    returned = {
        "when": datetime.datetime(2024, 1, 2, 3, 4, 5),
        "greeting": Greeting("hi", "Ann"),
        "id": uuid.UUID(int=2),
        "colour": Colour.RED,
        "raw": b"abc",
    }
    result = execute_task(Worker("out", lambda: returned), make_task(), "w-1")
    assert result.status == TaskResultStatus.COMPLETED
    sent = json.loads(json.dumps(result.to_json(), default=json_default))
    assert sent["outputData"] == {
        "when": "2024-01-02T03:04:05",
        "greeting": {"text": "hi", "to": "Ann"},
        "id": "00000000-0000-0000-0000-000000000002",
        "colour": "red",
        "raw": "abc",
    }


def test_a_returned_task_result_is_kept_with_its_ids_filled_in():
    result = execute(lambda task: TaskResult(status="FAILED", output_data={"x": 1}))
    assert result.status is TaskResultStatus.FAILED
    assert (result.task_id, result.workflow_instance_id, result.worker_id) == ("t-1", "wf-1", "w-1")
    assert result.output_data == {"x": 1}


def test_execute_returns_a_failed_result_instead_of_raising(caplog):
    def charge(name: str) -> dict:
        raise ValueError(f"card of {name} declined")

    with caplog.at_level(logging.ERROR):
        result = execute(charge)
    assert result.status == TaskResultStatus.FAILED
    assert result.reason_for_incompletion == "ValueError: card of Ann declined"
    [log] = result.logs
    assert "Traceback" in log.log and "in charge" in log.log
    assert "card of Ann declined" in caplog.text


def test_non_retryable_exception_is_a_terminal_failure_with_its_traceback():
    def refuse(name: str) -> dict:
        raise NonRetryableException("account closed")

    result = execute(refuse)
    assert result.status == TaskResultStatus.FAILED_WITH_TERMINAL_ERROR
    assert result.reason_for_incompletion == "NonRetryableException: account closed"
    assert "Traceback" in result.logs[0].log  # conductor-python keeps none for this one


def test_async_functions_run_to_completion_in_execute():
    async def later(name: str) -> dict:
        await asyncio.sleep(0)
        return {"hello": name, "task": get_task_context().get_task_id()}

    result = execute(later)
    assert result.status == TaskResultStatus.COMPLETED
    assert result.output_data == {"hello": "Ann", "task": "t-1"}


def test_the_task_context_works_when_execute_is_called_directly():
    def note(name: str) -> dict:
        get_task_context().add_log(f"greeting {name}")
        return {"ok": True}

    result = execute(note)
    assert [entry.log for entry in result.logs] == ["greeting Ann"]


def test_under_the_runner_context_lines_are_reported_once():
    def note(name: str) -> dict:
        get_task_context().add_log("once")
        return {}

    result = execute_task(Worker("out", note), make_task(), "w-1")
    assert [entry.log for entry in result.logs] == ["once"]
