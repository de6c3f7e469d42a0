"""A task as the server hands it to a worker."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conductor.client.http.models._wire import Choice, Nested, WireModel
from conductor.client.http.models.task_result import TaskResult, as_status
from conductor.client.http.models.task_result_status import TaskResultStatus

STATUSES = (
    "IN_PROGRESS",
    "CANCELED",
    "FAILED",
    "FAILED_WITH_TERMINAL_ERROR",
    "COMPLETED",
    "COMPLETED_WITH_ERRORS",
    "SCHEDULED",
    "TIMED_OUT",
    "SKIPPED",
)


def _workflow_task() -> type[WireModel]:
    from conductor.client.http.models.workflow_task import WorkflowTask

    return WorkflowTask


def _task_def() -> type[WireModel]:
    from conductor.client.http.models.task_def import TaskDef

    return TaskDef


@dataclass
class Task(WireModel):
    """A task handed to a worker. Fields are in conductor-python's order (positional
    construction works as there); JSON fields the model does not name land in ``extra``.

    ``input_data`` is an empty dict when the server sends none. ``status`` takes only
    Conductor's task statuses. ``workflow_task`` is a ``WorkflowTask`` and ``task_definition``
    a ``TaskDef`` (made from the JSON when first read).
    """

    task_type: str | None = None
    status: Choice = Choice(*STATUSES)
    input_data: dict[str, Any] = field(default_factory=dict)
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
    output_data: dict[str, Any] | None = None
    workflow_task: Nested = Nested(_workflow_task)
    domain: str | None = None
    rate_limit_per_frequency: int | None = None
    rate_limit_frequency_in_seconds: int | None = None
    external_input_payload_storage_path: str | None = None
    external_output_payload_storage_path: str | None = None
    workflow_priority: int | None = None
    execution_name_space: str | None = None
    isolation_group_id: str | None = None
    iteration: int | None = None
    sub_workflow_id: str | None = None
    subworkflow_changed: bool | None = None
    loop_over_task: bool | None = None
    task_definition: Nested = Nested(_task_def)
    queue_wait_time: int | None = None
    parent_task_id: str | None = None
    first_start_time: int | None = None
    runtime_metadata: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.input_data is None:
            self.input_data = {}

    def to_task_result(
        self, status: TaskResultStatus | str = TaskResultStatus.COMPLETED
    ) -> TaskResult:
        """A result for this task (its ids, this worker id) with ``status``."""
        return TaskResult(
            task_id=self.task_id,
            workflow_instance_id=self.workflow_instance_id,
            worker_id=self.worker_id,
            status=as_status(status),
        )
