"""Typed reads of JSON objects: every mistake names the field and what fits.

As on Conductor, a value of the wrong JSON type or an unknown enum value is something its JSON
reader rejects (a 500 there), a missing or out-of-range value a constraint that fails (a 400
"Validation failed"); see :mod:`fake_server.engine.errors`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from fake_server.engine.errors import invalid, malformed

_TYPE_NAMES = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}


def require_object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise malformed(path, f"must be a JSON object, got {_json_type(value)}", value)
    return value


def require_list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise malformed(path, f"must be a JSON list, got {_json_type(value)}", value)
    return value


class Fields:
    """Reads the fields of one JSON object; ``path`` prefixes field names in errors."""

    def __init__(self, data: Any, path: str) -> None:
        self.data = require_object(data, path)
        self.path = path

    def where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def _get(self, key: str, kind: type, required: bool) -> Any:
        value = self.data.get(key)
        if type(value) is kind:
            return value  # the common case, checked first: every request reads several
        if value is None:
            if required:
                raise invalid(self.where(key), "is required", None)
            return None
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise malformed(
                self.where(key), f"must be {_TYPE_NAMES[kind]}, got {_json_type(value)}", value
            )
        return value

    def string(self, key: str, *, required: bool = False, default: str | None = None) -> Any:
        value = self._get(key, str, required)
        if required and not value.strip():
            raise invalid(self.where(key), "must not be blank", value)
        return default if value is None else value

    def boolean(self, key: str, *, default: bool = False, required: bool = False) -> bool:
        value = self._get(key, bool, required)
        return default if value is None else value

    def obj(self, key: str, *, default: dict[str, Any] | None = None) -> Any:
        value = self._get(key, dict, False)
        return default if value is None else value

    def items(self, key: str, *, required: bool = False) -> list[Any]:
        value = self._get(key, list, required)
        return [] if value is None else value

    def integer(
        self,
        key: str,
        *,
        default: int | None = None,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> Any:
        value = self.data.get(key)
        if value is None:
            return default
        # JSON has one number type: 3.0 is accepted as 3, 3.5 is not an integer.
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise malformed(self.where(key), f"must be an integer, got {_json_type(value)}", value)
        check_range(self.where(key), value, minimum, maximum)
        return value

    def number(self, key: str, *, default: float, minimum: float | None = None) -> float:
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise malformed(self.where(key), f"must be a number, got {_json_type(value)}", value)
        if not math.isfinite(value):
            raise invalid(self.where(key), "must be a finite number", str(value))
        check_range(self.where(key), value, minimum, None)
        return value

    def choice(self, key: str, allowed: Iterable[str], *, default: str | None = None) -> Any:
        value = self.data.get(key)
        if value is None:
            return default
        allowed = allowed if isinstance(allowed, tuple) else list(allowed)
        if value not in allowed:
            raise malformed(self.where(key), f"must be one of {', '.join(allowed)}", value)
        return value


def check_range(path: str, value: float, minimum: float | None, maximum: float | None) -> None:
    if minimum is not None and value < minimum:
        raise invalid(path, f"must be >= {minimum}", value)
    if maximum is not None and value > maximum:
        raise invalid(path, f"must be <= {maximum}", value)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return _TYPE_NAMES.get(type(value), type(value).__name__)
