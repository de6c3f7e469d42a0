"""JSON Schemas (draft-07) of a function worker's input and output, from its annotations.

The input schema describes the task input the function reads: one property per parameter it
fills by name (a parameter without a default, not ``Optional``, is required). The output
schema describes what the function's return annotation gives as output: a dict or dataclass
as an object, anything else as ``{"result": ...}`` (which is how such a value is reported).

``str``, ``int``, ``float``, ``bool``, ``None``, ``dict`` / ``Dict[str, X]``,
``list`` / ``List[X]``, ``Optional[X]``, dataclasses (nested), enums, dates and ``Any`` are
described; a schema that would need anything else is not generated (``None``), rather than
made up. With ``strict``, objects refuse keys they do not name (``additionalProperties:
false``).
"""

from __future__ import annotations

import collections.abc
import dataclasses
import datetime
import inspect
import types
import typing
from collections.abc import Callable
from enum import Enum
from typing import Any

from conductor.client.context.task_context import TaskInProgress
from conductor.client.http.models.task_result import TaskResult
from conductor.client.worker._calling import CallPlan, plan_call

DRAFT_07 = "http://json-schema.org/draft-07/schema#"
_SIMPLE = {str: "string", int: "integer", float: "number", bool: "boolean"}


class _NoSchema(Exception):
    """An annotation this module cannot describe."""


def input_schema(function: Callable[..., Any], strict: bool = False) -> dict[str, Any] | None:
    """The schema of the input ``function`` reads, or ``None`` when it cannot be described
    (it takes the whole ``Task``, or an annotation is not supported)."""
    plan = plan_call(function)
    if plan.style in ("task", "input", "mapping"):
        return None
    properties: dict[str, Any] = {}
    required: list[str] = []
    open_ended = False
    try:
        for parameter in _input_parameters(plan):
            if parameter.kind is inspect.Parameter.VAR_KEYWORD:
                open_ended = True
                continue
            properties[parameter.name] = _schema(parameter.annotation, strict)
            if not parameter.has_default and not _is_optional(parameter.annotation):
                required.append(parameter.name)
    except _NoSchema:
        return None
    schema: dict[str, Any] = {
        "$schema": DRAFT_07,
        "type": "object",
        "properties": properties,
        "additionalProperties": open_ended or not strict,
    }
    if required:
        schema["required"] = required
    return schema


def output_schema(function: Callable[..., Any], strict: bool = False) -> dict[str, Any] | None:
    """The schema of the output ``function``'s return annotation gives, or ``None``."""
    try:
        annotation = typing.get_type_hints(function).get("return", inspect.Signature.empty)
    except Exception:  # an annotation that cannot be resolved gives no schema, as none does
        return None
    annotation = _without_in_progress(annotation)
    if annotation in (inspect.Signature.empty, type(None), TaskResult):
        return None
    try:
        schema = _schema(annotation, strict)
    except _NoSchema:
        return None
    if schema.get("type") != "object":  # reported as {"result": value}
        schema = {
            "type": "object",
            "properties": {"result": schema},
            "additionalProperties": not strict,
        }
    return {"$schema": DRAFT_07, **schema}


def _input_parameters(plan: CallPlan) -> list[Any]:
    return [p for p in plan.parameters if not p.wants_task]


def _schema(annotation: Any, strict: bool) -> dict[str, Any]:
    if annotation in (inspect.Parameter.empty, Any, object):
        return {}
    if annotation is type(None):
        return {"type": "null"}
    if annotation in _SIMPLE:
        return {"type": _SIMPLE[annotation]}
    if annotation in (dict, collections.abc.Mapping):
        return {"type": "object"}
    if annotation is list:
        return {"type": "array"}
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return {"enum": [member.value for member in annotation]}
    if annotation is datetime.datetime:
        return {"type": "string", "format": "date-time"}
    if annotation is datetime.date:
        return {"type": "string", "format": "date"}
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
        return _dataclass_schema(annotation, strict)
    return _generic_schema(annotation, strict)


def _generic_schema(annotation: Any, strict: bool) -> dict[str, Any]:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        others = [a for a in args if a is not type(None)]
        if len(others) != 1:
            raise _NoSchema(annotation)
        inner = _schema(others[0], strict)
        return inner if not inner else {"anyOf": [inner, {"type": "null"}]}
    if origin in (list, collections.abc.Sequence):
        return {"type": "array", "items": _schema(args[0], strict)} if args else {"type": "array"}
    if origin in (dict, collections.abc.Mapping):
        if len(args) == 2 and args[0] is str:
            return {"type": "object", "additionalProperties": _schema(args[1], strict)}
        return {"type": "object"}
    raise _NoSchema(annotation)


def _dataclass_schema(cls: type, strict: bool) -> dict[str, Any]:
    try:
        hints = typing.get_type_hints(cls)
    except Exception as error:
        raise _NoSchema(cls) from error
    properties: dict[str, Any] = {}
    required: list[str] = []
    for f in dataclasses.fields(cls):
        annotation = hints.get(f.name, Any)
        properties[f.name] = _schema(annotation, strict)
        no_default = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if no_default and not _is_optional(annotation):
            required.append(f.name)
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": not strict,
    }
    if required:
        schema["required"] = required
    return schema


def _is_optional(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType) and type(
        None
    ) in typing.get_args(annotation)


def _without_in_progress(annotation: Any) -> Any:
    """``Union[X, TaskInProgress]`` (a worker that may not be done) describes ``X``."""
    if typing.get_origin(annotation) not in (typing.Union, types.UnionType):
        return annotation
    kept = [a for a in typing.get_args(annotation) if a is not TaskInProgress]
    return kept[0] if len(kept) == 1 else annotation  # several others: not described
