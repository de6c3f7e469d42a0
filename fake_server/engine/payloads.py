"""Payload size limits, as Conductor's ExternalPayloadStorageUtils.verifyAndUpload applies them
(its defaults in ConductorProperties: 10 MB at most for a task's input and output and for a
workflow's input).

Sizes are those of the payload as compact JSON. Over the limit, a task's input (when it is
scheduled) or output (when a worker reports it) fails the task for good
(FAILED_WITH_TERMINAL_ERROR, that payload emptied, Conductor's message as its reason); a
workflow's input fails the start (a 500, no workflow created). Conductor moves a payload over
3 MB (5 MB for a workflow's input) to external storage: the fake keeps it inline.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from fake_server.engine.models import Task

MAX_TASK_PAYLOAD_BYTES = 10240 * 1024
MAX_WORKFLOW_INPUT_BYTES = 10240 * 1024
# How much larger than the JSON text it was read from (its bytes, in any of JSON's encodings) a
# value can be once written again as compact UTF-8 JSON: a number grows the most, a float's text
# being at least 3 characters (1e9) and its writing at most 24 (1000000000.0 here); strings grow
# at most 1.5 times (from a UTF-16 text), literals and punctuation not at all.
MAX_EXPANSION = 8
# One encoder: json.dumps with options builds a new one per call.
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def copy_payload(value: Any) -> Any:
    """A deep copy of a JSON-like ``value``: its dicts and lists copied, the strings, numbers,
    booleans and None in them shared (immutable), anything else deep-copied. A fraction of
    ``copy.deepcopy``'s cost, which keeps a memo for shapes JSON cannot have."""
    kind = type(value)
    if kind is dict:
        return {key: copy_payload(item) for key, item in value.items()}
    if kind is list:
        return [copy_payload(item) for item in value]
    if value is None or kind in _IMMUTABLE_SCALARS:
        return value
    return copy.deepcopy(value)


_IMMUTABLE_SCALARS = (str, int, float, bool)


def payload_size(payload: dict[str, Any]) -> int:
    """The size of ``payload`` as compact UTF-8 JSON (a lone surrogate counted, not refused)."""
    return len(_COMPACT.encode(payload).encode("utf-8", "surrogatepass"))


def oversized_task_payload(
    task: Task, payload: dict[str, Any], text_size: int | None = None
) -> str | None:
    """Conductor's message when ``payload`` (the task's input or output) is over the limit,
    else None. Read from a JSON text of ``text_size`` bytes, a payload cannot measure more
    than :data:`MAX_EXPANSION` times that, so a text under the limit divided by it needs no
    measuring (serialising every result cost more than a tenth of the server's work per
    task)."""
    if not payload or _bounded_by_text(text_size, MAX_TASK_PAYLOAD_BYTES):
        return None
    size = payload_size(payload)
    if size <= MAX_TASK_PAYLOAD_BYTES:
        return None
    return (
        f"The payload size: {size} of task: {task.task_id} in workflow: "
        f"{task.workflow_instance_id}  is greater than the permissible limit: "
        f"{MAX_TASK_PAYLOAD_BYTES} bytes"
    )


def oversized_workflow_input(
    workflow_id: str, workflow_input: dict[str, Any], text_size: int | None = None
) -> str | None:
    """Conductor's message when a workflow's input is over the limit, else None;
    ``text_size`` as for :func:`oversized_task_payload`."""
    if not workflow_input or _bounded_by_text(text_size, MAX_WORKFLOW_INPUT_BYTES):
        return None
    size = payload_size(workflow_input)
    if size <= MAX_WORKFLOW_INPUT_BYTES:
        return None
    return (
        f"The payload size: {size} of workflow: {workflow_id} is greater than the permissible "
        f"limit: {MAX_WORKFLOW_INPUT_BYTES} bytes"
    )


def _bounded_by_text(text_size: int | None, limit: int) -> bool:
    """Whether a payload read from a JSON text of ``text_size`` bytes (None: unknown) is
    under ``limit`` whatever it holds (see :data:`MAX_EXPANSION`)."""
    return text_size is not None and text_size * MAX_EXPANSION <= limit
