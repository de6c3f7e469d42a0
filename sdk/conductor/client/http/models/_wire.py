"""camelCase JSON <-> snake_case dataclass conversion shared by the wire models."""

from __future__ import annotations

import dataclasses
from enum import Enum
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")


def to_camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@cache
def _json_names(cls: type) -> dict[str, str]:
    """Maps each JSON (camelCase) key of a wire dataclass to its attribute name."""
    return {to_camel(f.name): f.name for f in dataclasses.fields(cls) if f.name != "extra"}


def from_json(cls: type[T], data: dict[str, Any] | None) -> T:
    """Builds a wire dataclass from Conductor JSON; unknown keys are kept in ``extra``."""
    data = data or {}
    names = _json_names(cls)
    known: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in data.items():
        attr = names.get(key)
        if attr is None:
            extra[key] = value
        else:
            known[attr] = value
    obj = cls(**known)
    if extra and hasattr(obj, "extra"):
        obj.extra = extra
    return obj


@cache
def _attribute_keys(cls: type) -> tuple[tuple[str, str], ...]:
    """``(attribute, JSON key)`` of each field of a wire dataclass, worked out once per class:
    results are converted once per task, on the path every task takes."""
    return tuple((f.name, to_camel(f.name)) for f in dataclasses.fields(cls) if f.name != "extra")


def to_json(obj: Any) -> dict[str, Any]:
    """Conductor JSON of a wire dataclass: camelCase keys, ``None`` fields left out."""
    out: dict[str, Any] = {}
    for attr, key in _attribute_keys(type(obj)):
        value = getattr(obj, attr)
        if value is None:
            continue
        if type(value) not in _PLAIN_TYPES:  # exact types: a str-based enum is not plain
            value = _plain(value)
        out[key] = value
    return out


# Values sent as they are; anything else goes through _plain (enums, nested models, lists).
_PLAIN_TYPES = frozenset({str, int, float, bool, dict})


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_json(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
