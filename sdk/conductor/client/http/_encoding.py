"""A task result's JSON, encoded once, on its way to the server.

A worker's output may hold values that JSON has no type for. Those conductor-python 2.0.0
sends in a form of their own (dates as ISO text, dataclasses as their fields, ...) are sent the
same way (``conductor.client.http._json_values``). Others (a ``set``, a ``Decimal``, a
function), ``NaN``, or a circular reference show when the result is encoded to be sent, so it
is checked there and only there: ``result_body`` gives the JSON of a ``FAILED`` result instead,
whose reason names the offending type and which keeps the result's logs.

When event listeners want the size of the output (``TaskExecutionCompleted``),
``encode_result`` gives it with the body, from the one encoding of the output.
"""

from __future__ import annotations

import json
import logging
from typing import Any, NamedTuple

from conductor.client.http._json_values import json_default
from conductor.client.http.models.task_exec_log import TaskExecLog
from conductor.client.http.models.task_result import TaskResult
from conductor.client.http.models.task_result_status import TaskResultStatus

__all__ = ["EncodedResult", "encode_result", "json_bytes", "result_body"]

logger = logging.getLogger(__name__)


def json_bytes(value: Any) -> bytes:
    """UTF-8 JSON, without NaN or Infinity (which JSON does not have), like ``requests``'
    ``json=``; raises ``TypeError`` or ``ValueError`` for what JSON cannot carry."""
    return json.dumps(value, allow_nan=False, default=json_default).encode("utf-8")


class EncodedResult(NamedTuple):
    """A result as it is sent, and the size of its output within it."""

    body: bytes
    output_size: int | None  # bytes of the output's JSON; None when JSON cannot carry it


def result_body(result: TaskResult) -> bytes:
    """The JSON of ``result``; for output that JSON cannot carry, the JSON of a ``FAILED``
    result saying why, with the result's ids and logs (and the reason logged)."""
    try:
        return _dumps(result.to_json()).encode("utf-8")
    except (TypeError, ValueError) as error:
        return _failed_body(result, error)


def encode_result(result: TaskResult) -> EncodedResult:
    """``result_body`` and the size of the output's JSON, the output encoded once: on its own,
    then set into the JSON of the other fields."""
    fields = result.to_json()
    has_output = "outputData" in fields
    output = fields.pop("outputData", None)
    try:
        output_json = _dumps(output)
        rest = _dumps(fields)
    except (TypeError, ValueError) as error:
        return EncodedResult(_failed_body(result, error), None)
    size = len(output_json)  # json.dumps writes ASCII: one byte a character
    if not has_output:
        return EncodedResult(rest.encode("utf-8"), size)
    separator = ", " if fields else ""
    body = f'{rest[:-1]}{separator}"outputData": {output_json}}}'
    return EncodedResult(body.encode("utf-8"), size)


def _dumps(value: Any) -> str:
    return _RESULT_ENCODER.encode(value)


def _failed_body(result: TaskResult, error: Exception) -> bytes:
    reason = f"the task's output cannot be sent as JSON: {_describe(error)}"
    logger.error("Result of task %s: %s; reporting the task FAILED", result.task_id, reason)
    failed = TaskResult(
        task_id=result.task_id,
        workflow_instance_id=result.workflow_instance_id,
        worker_id=result.worker_id,
        status=TaskResultStatus.FAILED,
        reason_for_incompletion=reason,
        logs=[
            TaskExecLog(str(entry.log), result.task_id, entry.created_time) for entry in result.logs
        ],
    )
    return json_bytes(failed.to_json())


class _NotJson(TypeError):
    """A value that JSON has no form for."""

    def __init__(self, value: Any) -> None:
        text = repr(value)
        shown = text if len(text) <= 80 else text[:77] + "..."
        super().__init__(f"it contains a {type(value).__qualname__} ({shown})")


def _convert(value: Any) -> Any:
    try:
        return json_default(value)
    except TypeError:
        raise _NotJson(value) from None


# Made once: json.dumps() with options makes an encoder per call (a result is encoded per task).
_RESULT_ENCODER = json.JSONEncoder(allow_nan=False, default=_convert)


def _describe(error: Exception) -> str:
    return str(error) if isinstance(error, _NotJson) else f"{type(error).__name__}: {error}"
