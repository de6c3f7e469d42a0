"""From what a worker returned, or raised, to the ``TaskResult`` that is reported.

Returned values:

- a ``TaskResult``: reported as it is; missing ids, worker id and status (``COMPLETED``) are
  filled in;
- a ``TaskInProgress``: ``IN_PROGRESS`` with its callback and output;
- a dict: the output;
- a dataclass instance, an object with attributes, a model of this SDK: its JSON form
  (``json_values``: a dataclass's fields, a model's Conductor JSON, ...);
- anything else (``None``, text, numbers, lists, dates, ...): the output ``{"result": value}``,
  a date as ISO text, bytes as text, as conductor-python 2.0.0 does.

What an exception gives is ``conductor.client.worker._failure``'s business.
"""

from __future__ import annotations

from typing import Any

from conductor.client.context.task_context import TaskInProgress
from conductor.client.http._json_values import json_default
from conductor.client.http.models.task import Task
from conductor.client.http.models.task_result import TaskResult
from conductor.client.http.models.task_result_status import TaskResultStatus

_SCALARS = (str, int, float, bool, type(None), list, tuple)


def as_task_result(task: Task, returned: Any, worker_id: str | None) -> TaskResult:
    """The result a worker's return value stands for (see the module doc)."""
    if isinstance(returned, TaskResult):
        return _completed_result(task, returned, worker_id)
    result = TaskResult(
        task_id=task.task_id,
        workflow_instance_id=task.workflow_instance_id,
        worker_id=worker_id,
        status=TaskResultStatus.COMPLETED,
    )
    if isinstance(returned, TaskInProgress):
        result.status = TaskResultStatus.IN_PROGRESS
        result.callback_after_seconds = returned.callback_after_seconds
        result.output_data = dict(returned.output or {})
    else:
        result.output_data = output_of(returned)
    return result


def output_of(returned: Any) -> dict[str, Any]:
    """The output a returned value (neither ``TaskResult`` nor ``TaskInProgress``) gives."""
    if isinstance(returned, dict):
        return returned
    if isinstance(returned, _SCALARS):
        return {"result": list(returned) if isinstance(returned, tuple) else returned}
    try:
        value = json_default(returned)
    except TypeError:  # the task fails when it is sent, with a reason naming the type
        return {"result": returned}
    return value if isinstance(value, dict) else {"result": value}


def _completed_result(task: Task, result: TaskResult, worker_id: str | None) -> TaskResult:
    if result.task_id is None:
        result.task_id = task.task_id
    if result.workflow_instance_id is None:
        result.workflow_instance_id = task.workflow_instance_id
    if result.worker_id is None:
        result.worker_id = worker_id
    if result.status is None:
        result.status = TaskResultStatus.COMPLETED
    if result.output_data is None:
        result.output_data = {}
    if result.logs is None:
        result.logs = []
    return result
