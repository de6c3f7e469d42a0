"""How values that JSON has no type for are sent: as conductor-python 2.0.0 sends them.

``json_default`` is the ``default=`` of the one ``json.dumps`` that encodes a result: the
encoder calls it only for values it cannot write itself, so plain output costs nothing extra.

==========================================  ==================================================
value                                       sent as
==========================================  ==================================================
dataclass instance                          its fields (``dataclasses.asdict``)
``datetime``, ``date``, ``time``            ISO 8601 text (``isoformat()``)
``uuid.UUID``                               its text
``Enum`` member                             its value
``bytes``                                   UTF-8 text, or base64 text when not UTF-8
a model of this SDK (``Task``, ...)         its Conductor JSON (``to_json()``)
any other object with attributes            its attributes that are not ``None``
tuple                                       a list (the ``json`` module's own rule)
==========================================  ==================================================

Anything else (a ``set``, a ``Decimal``, a function, ...) raises ``TypeError``: the task fails
with a reason naming the type, rather than being sent as a ``str()`` nobody can read back.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import uuid
from enum import Enum
from types import ModuleType
from typing import Any


def json_default(value: Any) -> Any:
    """The JSON-ready form of ``value`` (see the module doc); ``TypeError`` when it has none."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        to_json = getattr(value, "to_json", None)
        return to_json() if callable(to_json) else dataclasses.asdict(value)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (bytes, bytearray)):
        return _bytes_text(bytes(value))
    if _has_plain_attributes(value):
        return {name: item for name, item in vars(value).items() if item is not None}
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _bytes_text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return base64.b64encode(data).decode("ascii")


def _has_plain_attributes(value: Any) -> bool:
    """An instance that holds data in ``__dict__`` (not a function, class or module)."""
    return (
        hasattr(value, "__dict__")
        and not callable(value)
        and not isinstance(value, (type, ModuleType))
    )
