"""Conductor's ``${...}`` parameter expressions, as used in task inputs and workflow outputs.

- ``${workflow.input.x}``, ``${workflow.workflowId}``, ``${ref.output.y}``, ``${ref.input.z}``:
  dotted paths into the context; list items by ``[0]`` (or ``.0``).
- A string that is exactly one expression takes the value with its type (a number stays a
  number, an object stays an object). Inside a longer string a value is turned into text:
  strings as they are, ``null`` for a missing value, JSON for everything else.
- A missing path gives ``None`` (``null``); ``${}`` gives an empty string.
- ``$${`` is a literal ``${`` and is never evaluated.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

_EXPRESSION = re.compile(r"(?<!\$)\$\{([^{}]*)\}")
_SEGMENT = re.compile(r"\[\s*(\d+)\s*\]|([^.\[\]]+)")


def evaluate(template: Any, context: dict[str, Any]) -> Any:
    """Evaluate every expression inside ``template`` (objects and lists are walked)."""
    if isinstance(template, dict):
        return {key: evaluate(value, context) for key, value in template.items()}
    if isinstance(template, list):
        return [evaluate(value, context) for value in template]
    if isinstance(template, str):
        return evaluate_string(template, context)
    return template


def evaluate_string(text: str, context: dict[str, Any]) -> Any:
    matches = list(_EXPRESSION.finditer(text))
    if len(matches) == 1 and matches[0].span() == (0, len(text)):
        return copy.deepcopy(resolve_path(matches[0].group(1), context))
    parts: list[str] = []
    position = 0
    for match in matches:
        parts.append(text[position : match.start()])
        path = match.group(1)
        parts.append(as_text(resolve_path(path, context)) if path.strip() else "")
        position = match.end()
    parts.append(text[position:])
    return "".join(parts).replace("$${", "${")


def resolve_path(path: str, context: dict[str, Any]) -> Any:
    """The value at a dotted path such as ``ref.output.items[0].id``; ``None`` when absent."""
    path = path.strip()
    if not path:
        return ""
    value: Any = context
    for index, key in _SEGMENT.findall(path):
        key = key.strip()
        if isinstance(value, dict) and not index:
            value = value.get(key)
        elif isinstance(value, list):
            position = index or key
            if not position.isdigit() or int(position) >= len(value):
                return None
            value = value[int(position)]
        else:
            return None
    return value


def as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value)
