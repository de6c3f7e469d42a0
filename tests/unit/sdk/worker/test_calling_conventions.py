"""What a function worker's parameters receive (the guide's rules and conductor-python 2.0.0's)."""

import dataclasses
import logging
from collections.abc import Mapping
from typing import Any, Optional

import pytest

from conductor.client.automator._worker_startup import start_worker
from conductor.client.http.models import Task, TaskResultStatus
from conductor.client.worker.worker import Worker
from conductor.client.worker.worker_config import resolve_worker_settings

# This module does not postpone annotations: the functions below see real classes, as most
# worker modules do. test_text_annotations_are_resolved covers the other case.


@dataclasses.dataclass
class Geo:
    lat: str
    lng: str = "0"


@dataclasses.dataclass
class Address:
    city: str
    geo: Geo
    tags: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class OrderInfo:  # the official README's dataclass worker input
    order_id: int
    sku: str
    quantity: int
    sku_price: float


class Point:  # not a dataclass: built through its __init__, as 2.0.0 does
    def __init__(self, x: int, y: int = 0, label: str | None = None) -> None:
        self.x, self.y, self.label = x, y, label


class Validated:  # stands for a pydantic model: anything with model_validate
    def __init__(self, data: dict) -> None:
        self.data = data

    @classmethod
    def model_validate(cls, data: dict) -> "Validated":
        return cls({"validated": data})


def execute(function, **input_data: Any):
    task = Task(task_id="t-1", workflow_instance_id="wf-1", input_data=input_data)
    result = Worker("calls", function, worker_id="w").execute(task)
    assert result.status == TaskResultStatus.COMPLETED, result.reason_for_incompletion
    return result.output_data


# -- what a lone parameter receives -------------------------------------------------------


def test_a_named_parameter_receives_the_input_of_its_name():
    def greet(name: str) -> str:  # the official README's hello world
        return f"Hello {name}"

    assert execute(greet, name="Ann") == {"result": "Hello Ann"}


@pytest.mark.parametrize("annotation", [None, Task, object])
def test_a_lone_parameter_unannotated_or_task_or_object_receives_the_task(annotation):
    def run(task):
        return {"n": task.input_data["n"], "type": type(task).__name__}

    if annotation is not None:
        run.__annotations__["task"] = annotation
    assert execute(run, n=3) == {"n": 3, "type": "Task"}


def test_a_lone_unannotated_parameter_named_as_an_input_is_warned_about_once(caplog):
    def greet(name):  # meant input["name"]; gets the Task, as in 2.0.0
        return {"got": type(name).__name__}

    caplog.set_level(logging.WARNING, logger="conductor.client")
    worker = Worker("greet", greet, worker_id="w")
    for _ in range(3):
        task = Task(task_id="t", task_def_name="greet", input_data={"name": "Ann"})
        assert worker.execute(task).output_data == {"got": "Task"}
    [warning] = [r.getMessage() for r in caplog.records if "lone parameter" in r.getMessage()]
    assert warning == (
        "Worker greet: greet(name) receives the Task (a lone parameter without annotation), "
        "but the input has a key 'name': to receive input[\"name\"], annotate it "
        "(greet(name: str), or its type); to keep the Task, say so (greet(task: Task))"
    )


@pytest.mark.parametrize("annotation", [Task, object])
def test_no_warning_when_the_task_is_asked_for_or_no_input_has_the_name(caplog, annotation):
    def run(task):
        return {}

    def other(name):
        return {}

    run.__annotations__["task"] = annotation
    caplog.set_level(logging.WARNING, logger="conductor.client")
    execute(run, task="an input named task")
    execute(other, first="Ann")
    assert not [r for r in caplog.records if "lone parameter" in r.getMessage()]


def test_a_lone_dict_parameter_not_named_in_the_input_receives_the_whole_input():
    def guide(task_input: dict) -> dict:
        return {"got": task_input}

    def typed(data: dict[str, Any]) -> dict:
        return {"got": data}

    def mapping(data: Mapping[str, int]) -> dict:
        return {"got": dict(data)}

    for function in (guide, typed, mapping):
        assert execute(function, a=1, b=2) == {"got": {"a": 1, "b": 2}}


def test_a_lone_dict_parameter_named_in_the_input_receives_that_input():
    def handle(order: dict) -> dict:
        return {"got": order}

    assert execute(handle, order={"id": 7}, other=1) == {"got": {"id": 7}}


def test_a_lone_positional_only_parameter_receives_the_whole_input():
    def raw(data: str, /) -> dict:
        return {"got": data}

    assert execute(raw, a=1) == {"got": {"a": 1}}


# -- several parameters --------------------------------------------------------------------


def test_missing_inputs_get_their_default_else_none():
    def add(a: int, b: int = 5, c: str | None = None, d: int | None = None) -> dict:
        return {"a": a, "b": b, "c": c, "d": d}

    assert execute(add) == {"a": None, "b": 5, "c": None, "d": None}
    assert execute(add, a=1, d=4) == {"a": 1, "b": 5, "c": None, "d": 4}


def test_unannotated_parameters_among_several_receive_inputs_by_name():
    def pair(a, b=2, c=None) -> dict:
        return {"a": a, "b": b, "c": c}

    assert execute(pair, a=1, c=[3]) == {"a": 1, "b": 2, "c": [3]}


def test_simple_types_are_passed_as_they_are():
    def typed(n: int, ratio: float) -> dict:
        return {"n": n, "type": type(n).__name__, "ratio": ratio}

    assert execute(typed, n="5", ratio=2) == {"n": "5", "type": "str", "ratio": 2}


def test_a_task_parameter_among_others_receives_the_task_and_kwargs_the_rest():
    def handler(task: Task, name: str, **rest) -> dict:
        return {"task": task.task_id, "name": name, "rest": rest}

    assert execute(handler, name="Ada", city="Paris") == {
        "task": "t-1",
        "name": "Ada",
        "rest": {"city": "Paris"},
    }


def test_a_lone_kwargs_receives_every_input_and_args_nothing():
    def everything(**inputs) -> dict:
        return {"inputs": inputs}

    def nothing(*args) -> dict:
        return {"args": list(args)}

    assert execute(everything, a=1, b=2) == {"inputs": {"a": 1, "b": 2}}
    assert execute(nothing, a=1) == {"args": []}


def test_positional_only_parameters_are_filled_by_name_and_passed_by_position():
    def scale(value: float, factor: float = 2.0, /, *, offset: float = 0.0) -> dict:
        return {"r": value * factor + offset}

    assert execute(scale, value=3, offset=1) == {"r": 7.0}
    assert execute(scale, value=3, factor=10) == {"r": 30}


# -- conversion to the annotation ----------------------------------------------------------


def test_dataclass_parameters_are_built_from_dicts():
    def process_order(order_info: OrderInfo) -> str:  # the official README's example
        return f"order: {order_info.order_id} x{order_info.quantity} ({type(order_info).__name__})"

    info = {"order_id": 7, "sku": "A1", "quantity": 2, "sku_price": 9.5}
    assert execute(process_order, order_info=info) == {"result": "order: 7 x2 (OrderInfo)"}


def test_nested_dataclasses_lists_and_missing_fields():
    def where(address: Address, stops: list[Geo], legs: dict[str, Geo]) -> dict:
        return {
            "geo": type(address.geo).__name__,
            "lng": address.geo.lng,  # missing: its default
            "tags": address.tags,  # missing: its default factory
            "stops": [type(s).__name__ for s in stops],
            "legs": {k: v.lat for k, v in legs.items()},
        }

    output = execute(
        where,
        address={"city": "Oslo", "geo": {"lat": "59.9"}, "unknown_key": 1},
        stops=[{"lat": "1"}, {"lat": "2", "lng": "3"}],
        legs={"first": {"lat": "4"}},
    )
    assert output == {
        "geo": "Geo",
        "lng": "0",
        "tags": [],
        "stops": ["Geo", "Geo"],
        "legs": {"first": "4"},
    }


def test_a_missing_field_without_default_is_none():
    def city(address: Address) -> dict:
        return {"address": repr(address)}

    assert execute(city, address={"city": "Oslo"}) == {
        "address": "Address(city='Oslo', geo=None, tags=[])"
    }


@pytest.mark.parametrize("annotation", [Optional[Geo], Geo | None])  # noqa: UP045
def test_optional_dataclasses_are_built_too(annotation):
    # conductor-python 2.0.0 fails the task here ("Cannot instantiate typing.Union").
    def locate(geo) -> dict:
        return {"type": type(geo).__name__}

    locate.__annotations__["geo"] = annotation
    assert execute(locate, geo={"lat": "1"}) == {"type": "Geo"}
    assert execute(locate, geo=None) == {"type": "NoneType"}


def test_other_classes_are_built_through_their_init_or_model_validate():
    def draw(point: Point, shape: Validated) -> dict:
        return {"point": vars(point), "shape": shape.data}

    assert execute(draw, point={"x": 1, "extra": 9}, shape={"sides": 3}) == {
        "point": {"x": 1, "y": 0, "label": None},
        "shape": {"validated": {"sides": 3}},
    }


def test_values_that_are_not_dicts_are_passed_as_they_are():
    def odd(geo: Geo, count: Any) -> dict:
        return {"geo": geo, "count": count}

    assert execute(odd, geo="not a dict", count=[1]) == {"geo": "not a dict", "count": [1]}


def test_text_annotations_are_resolved():
    namespace: dict[str, Any] = {}
    exec(  # a module with `from __future__ import annotations`
        "from __future__ import annotations\n"
        "import dataclasses\n"
        "@dataclasses.dataclass\n"
        "class Item:\n"
        "    name: str\n"
        "def take(item: Item, count: int = 1) -> dict:\n"
        "    return {'type': type(item).__name__, 'count': count}\n",
        namespace,
    )
    assert execute(namespace["take"], item={"name": "x"}) == {"type": "Item", "count": 1}


# -- saying how a function is called -------------------------------------------------------


def greet(name: str) -> str:
    return f"Hello {name}"


def place(order_info: OrderInfo, task: Task, **rest) -> dict:
    return {}


@pytest.mark.parametrize(
    ("function", "line"),
    [
        (greet, 'greet(name) <- input["name"]'),
        (lambda task: task, "<lambda>(task) <- the Task"),
        (
            place,
            'place(order_info, task, **rest) <- input["order_info"] as OrderInfo, the Task, '
            "the other inputs",
        ),
        (lambda: {}, "<lambda>() <- nothing"),
    ],
)
def test_each_function_worker_says_how_it_is_called(function, line):
    assert Worker("t", function).describe_call() == line


def test_the_calling_line_is_logged_when_the_worker_starts(tmp_path, caplog):
    worker = Worker("greet_start", greet)
    settings = resolve_worker_settings("greet_start", environ={}, search_dirs=[tmp_path])
    with caplog.at_level(logging.INFO, logger="conductor.client"):
        start_worker(worker, settings, None)
    assert 'Worker greet_start calls greet(name) <- input["name"]' in caplog.messages
