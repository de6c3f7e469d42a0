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


def to_json(obj: Any) -> dict[str, Any]:
    """Conductor JSON of a wire dataclass: camelCase keys, ``None`` fields left out."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        if f.name == "extra":
            continue
        value = _plain(getattr(obj, f.name))
        if value is not None:
            out[to_camel(f.name)] = value
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_json(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
