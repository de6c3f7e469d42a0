"""JSON schemas of a function worker's input and output, from its annotations."""

import dataclasses
import datetime
import enum
from typing import Any, Optional, Union

from conductor.client.context import TaskInProgress
from conductor.client.http.models import Task
from conductor.client.worker._json_schema import DRAFT_07, input_schema, output_schema


class Size(enum.Enum):
    SMALL = "s"
    LARGE = "l"


@dataclasses.dataclass
class Item:
    name: str
    size: Size
    tags: list[str] = dataclasses.field(default_factory=list)


def order(item: Item, count: int, note: Optional[str] = None, **extra) -> dict[str, int]:  # noqa: UP045
    return {}


def test_input_schema_describes_the_parameters_filled_by_name():
    schema = input_schema(order)
    assert schema == {
        "$schema": DRAFT_07,
        "type": "object",
        "properties": {
            "item": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "size": {"enum": ["s", "l"]},
                    "tags": {"type": "array", "items": {"type": "string"}},
                },
                "additionalProperties": True,
                "required": ["name", "size"],
            },
            "count": {"type": "integer"},
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        },
        "additionalProperties": True,  # **extra takes any other key, strict or not
        "required": ["item", "count"],
    }
    assert input_schema(order, strict=True)["properties"]["item"]["additionalProperties"] is False


def test_output_schema_describes_what_the_output_will_be():
    def text(name: str) -> str:
        return name

    def maybe(name: str) -> Union[Item, TaskInProgress]:  # noqa: UP007
        return Item(name, Size.SMALL)

    def stamped(name: str) -> dict[str, datetime.datetime]:
        return {}

    assert output_schema(text) == {
        "$schema": DRAFT_07,
        "type": "object",
        "properties": {"result": {"type": "string"}},  # reported as {"result": value}
        "additionalProperties": True,
    }
    assert output_schema(maybe)["properties"]["name"] == {"type": "string"}
    assert output_schema(stamped)["additionalProperties"] == {
        "type": "string",
        "format": "date-time",
    }
    assert output_schema(order) == {
        "$schema": DRAFT_07,
        "type": "object",
        "additionalProperties": {"type": "integer"},
    }


def test_nothing_is_made_up_for_what_cannot_be_described():
    def whole_task(task: Task) -> dict:
        return {}

    def unsupported(value: Union[int, str]) -> set[int]:  # noqa: UP007
        return set()

    def unannotated(a, b):
        return {}

    def anything(a: Any, b: int) -> None:
        return None

    assert input_schema(whole_task) is None  # the input is whatever the Task holds
    assert input_schema(unsupported) is None and output_schema(unsupported) is None
    assert output_schema(unannotated) is None and output_schema(anything) is None
    assert input_schema(unannotated)["properties"] == {"a": {}, "b": {}}
    assert input_schema(anything)["required"] == ["a", "b"]
