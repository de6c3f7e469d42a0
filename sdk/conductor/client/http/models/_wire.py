"""The two dict forms of a model: Conductor's JSON (camelCase) and ``to_dict()`` (snake_case).

- ``to_json`` / ``from_json``: what goes over the wire. camelCase keys, ``None`` fields left
  out, enums as their text, nested models as their JSON. Keys the model does not name are kept
  in the model's ``extra`` and sent back as they came.
- ``to_dict``: what conductor-python's generated models return from ``to_dict()``: every
  attribute by its Python name, ``None`` included, nested models as their own ``to_dict()``.
"""

from __future__ import annotations

import dataclasses
import pprint
from collections.abc import Callable
from enum import Enum
from typing import Any, TypeVar

T = TypeVar("T")
M = TypeVar("M", bound="WireModel")


class WireModel:
    """The dict forms of a dataclass model (see the module doc), under conductor-python's
    method names."""

    @classmethod
    def from_json(cls: type[M], data: dict[str, Any] | None) -> M:
        """A model from Conductor's JSON (camelCase keys; snake_case keys are read too)."""
        return from_json(cls, data)

    @classmethod
    def from_dict(cls: type[M], data: dict[str, Any] | None) -> M:
        """``from_json`` (conductor-python's name)."""
        return cls.from_json(data)

    def to_json(self) -> dict[str, Any]:
        """Conductor's JSON: camelCase keys, unset fields left out."""
        return to_json(self)

    def to_dict(self) -> dict[str, Any]:
        """Every field by its Python name, ``None`` included (as conductor-python's models)."""
        return to_dict(self)

    def to_str(self) -> str:
        """``to_dict()`` pretty-printed (conductor-python's ``to_str``)."""
        return pprint.pformat(self.to_dict())


class Choice:
    """A text field that takes only the ``allowed`` values (or ``None``), checked whenever it is
    set, as conductor-python's models do: a typo fails where it is written."""

    def __init__(self, *allowed: str) -> None:
        self.allowed = allowed
        self.name = self.slot = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name, self.slot = name, "_" + name

    def __get__(self, obj: Any, owner: type) -> str | None:
        if obj is None:
            return None  # the field's default, as dataclasses read it
        value: str | None = getattr(obj, self.slot, None)
        return value

    def __set__(self, obj: Any, value: str | None) -> None:
        if value is not None and value not in self.allowed:
            raise ValueError(
                f"{type(obj).__name__}: {self.name}={value!r} is not one of "
                + ", ".join(self.allowed)
            )
        # Set as an attribute, not through obj.__dict__: that keeps the instances' shared
        # key table (a model made for every task stays as cheap to build).
        object.__setattr__(obj, self.slot, value)


class Nested:
    """A field holding a nested model (``model()`` names its class): Conductor's JSON is kept
    as it came and becomes the model when first read. A task's ``workflowTask`` comes with
    every poll and few workers read it: converting it for every task would cost them all."""

    def __init__(self, model: Callable[[], type[WireModel]]) -> None:
        self.model = model
        self.slot = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = "_" + name

    def __get__(self, obj: Any, owner: type) -> Any:
        if obj is None:
            return None  # the field's default, as dataclasses read it
        value = getattr(obj, self.slot, None)
        if isinstance(value, dict):
            value = self.model().from_json(value)
            object.__setattr__(obj, self.slot, value)
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        object.__setattr__(obj, self.slot, value)  # see Choice.__set__


# Worked out once per model class (a race only computes the same value twice).
_NAMES: dict[type, dict[str, str]] = {}
_KEYS: dict[type, tuple[tuple[str, str], ...]] = {}


def to_camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _attribute_names(cls: type) -> dict[str, str]:
    """Maps each key a model may be built from (camelCase and snake_case) to its attribute."""
    names = _NAMES.get(cls)
    if names is None:
        names = {}
        for f in dataclasses.fields(cls):
            if f.name != "extra" and f.init:
                names[f.name] = f.name
                names[to_camel(f.name)] = f.name
        _NAMES[cls] = names
    return names


def from_json(cls: type[T], data: dict[str, Any] | None) -> T:
    """Builds a model from Conductor JSON (snake_case keys are accepted too); keys the model
    does not name are kept in ``extra``."""
    names = _attribute_names(cls)
    known: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in (data or {}).items():
        attr = names.get(key)
        if attr is None:
            extra[key] = value
        else:
            known[attr] = value
    obj = cls(**known)
    if extra and hasattr(obj, "extra"):
        obj.extra = extra
    return obj


def _attribute_keys(cls: type) -> tuple[tuple[str, str], ...]:
    """``(attribute, JSON key)`` of each field of a model, worked out once per class: results
    are converted once per task, on the path every task takes."""
    keys = _KEYS.get(cls)
    if keys is None:
        fields = [f for f in dataclasses.fields(cls) if f.name != "extra"]
        # A nested model's field is read as stored: JSON nobody read goes back untouched.
        keys = _KEYS[cls] = tuple((_stored_name(cls, f.name), to_camel(f.name)) for f in fields)
    return keys


def _stored_name(cls: type, name: str) -> str:
    descriptor = cls.__dict__.get(name)
    return descriptor.slot if isinstance(descriptor, Nested) else name


def to_json(obj: Any) -> dict[str, Any]:
    """Conductor JSON of a model: camelCase keys, ``None`` fields left out."""
    extra = getattr(obj, "extra", None)
    out: dict[str, Any] = dict(extra) if extra else {}
    for attr, key in _attribute_keys(type(obj)):
        value = getattr(obj, attr)
        if value is None:
            continue
        if type(value) not in _PLAIN_TYPES:  # exact types: a str-based enum is not plain
            value = _plain(value)
        out[key] = value
    return out


def to_dict(obj: Any) -> dict[str, Any]:
    """Every attribute of a model by its Python name, ``None`` included (as conductor-python's
    models do); nested models become their own ``to_dict()``."""
    return {
        f.name: _snake(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.name != "extra"
    }


# Values sent as they are; anything else goes through _plain (enums, nested models, lists).
_PLAIN_TYPES = frozenset({str, int, float, bool, dict})


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, WireModel):
        return value.to_json()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_json(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _snake(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_dict(value)
    if isinstance(value, list):
        return [_snake(v) for v in value]
    if isinstance(value, dict):
        return {k: _snake(v) for k, v in value.items()}
    return value
