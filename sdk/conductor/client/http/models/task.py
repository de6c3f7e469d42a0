from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conductor.client.http.models._wire import from_json, to_json


@dataclass(kw_only=True)
class Task:
    """A task as the server hands it to a worker. Unknown JSON fields land in ``extra``."""

    task_type: str | None = None
    status: str | None = None
    input_data: dict[str, Any] = field(default_factory=dict)
    output_data: dict[str, Any] | None = None
    reference_task_name: str | None = None
    retry_count: int | None = None
    seq: int | None = None
    correlation_id: str | None = None
    poll_count: int | None = None
    task_def_name: str | None = None
    scheduled_time: int | None = None
    start_time: int | None = None
    end_time: int | None = None
    update_time: int | None = None
    start_delay_in_seconds: int | None = None
    retried_task_id: str | None = None
    retried: bool | None = None
    executed: bool | None = None
    callback_from_worker: bool | None = None
    response_timeout_seconds: int | None = None
    workflow_instance_id: str | None = None
    workflow_type: str | None = None
    task_id: str | None = None
    reason_for_incompletion: str | None = None
    callback_after_seconds: int | None = None
    worker_id: str | None = None
    domain: str | None = None
    workflow_task: dict[str, Any] | None = None
    rate_limit_per_frequency: int | None = None
    rate_limit_frequency_in_seconds: int | None = None
    workflow_priority: int | None = None
    iteration: int | None = None
    sub_workflow_id: str | None = None
    parent_task_id: str | None = None
    first_start_time: int | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Task:
        task = from_json(cls, data)
        if task.input_data is None:
            task.input_data = {}
        return task

    def to_dict(self) -> dict[str, Any]:
        return to_json(self)
