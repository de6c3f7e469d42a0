"""What a worker reports for a task."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conductor.client.http.models._wire import WireModel, from_json, to_json
from conductor.client.http.models.task_exec_log import TaskExecLog
from conductor.client.http.models.task_result_status import TaskResultStatus

REASON_LIMIT = 500  # the server keeps at most this many characters of a reason


class _Status:
    """The ``status`` field: a ``TaskResultStatus`` however it is given (a descriptor, so that
    only this field pays for the check: results are made for every task)."""

    def __get__(self, result: TaskResult | None, owner: type) -> TaskResultStatus | None:
        if result is None:
            return None  # the field's default, as dataclasses read it
        status: TaskResultStatus | None = result.__dict__.get("_status")
        return status

    def __set__(self, result: TaskResult, value: TaskResultStatus | str | None) -> None:
        if value is not None and type(value) is not TaskResultStatus:
            value = as_status(value)
        result.__dict__["_status"] = value


@dataclass
class TaskResult(WireModel):
    """What a worker reports for a task: status, output, logs.

    Fields are in conductor-python's order. ``status`` may be given as a ``TaskResultStatus``
    or its name (``"COMPLETED"``); it is kept as the enum, and any other value is refused.
    """

    workflow_instance_id: str | None = None
    task_id: str | None = None
    reason_for_incompletion: str | None = None
    callback_after_seconds: int | None = None
    worker_id: str | None = None
    # Typed by the descriptor: set as the enum or its name, read as the enum.
    status: _Status = _Status()
    output_data: dict[str, Any] = field(default_factory=dict)
    logs: list[TaskExecLog] = field(default_factory=list)
    external_output_payload_storage_path: str | None = None
    sub_workflow_id: str | None = None
    extend_lease: bool = False

    def add_output_data(self, key: str, value: Any) -> TaskResult:
        if self.output_data is None:
            self.output_data = {}
        self.output_data[key] = value
        return self

    def log(self, line: str) -> TaskResult:
        """Appends a line to the task's execution log (sent with the update)."""
        if self.logs is None:
            self.logs = []
        self.logs.append(TaskExecLog.now(str(line), self.task_id))
        return self

    # -- conductor-python's constructors -----------------------------------------------------

    @staticmethod
    def new_task_result(status: TaskResultStatus | str) -> TaskResult:
        return TaskResult(status=as_status(status))

    @staticmethod
    def complete() -> TaskResult:
        return TaskResult(status=TaskResultStatus.COMPLETED)

    @staticmethod
    def failed(failure_reason: str | None = None) -> TaskResult:
        return TaskResult(status=TaskResultStatus.FAILED, reason_for_incompletion=failure_reason)

    @staticmethod
    def in_progress() -> TaskResult:
        return TaskResult(status=TaskResultStatus.IN_PROGRESS)

    # -- dict forms --------------------------------------------------------------------------

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> TaskResult:
        result = from_json(cls, data)
        result.logs = [
            log if isinstance(log, TaskExecLog) else TaskExecLog.from_json(log)
            for log in result.logs or []
        ]
        return result

    def to_json(self) -> dict[str, Any]:
        """Conductor's JSON of this result: what the update request carries."""
        body = to_json(self)
        if body.get("extendLease") is False:  # the server's default: no need to say it
            del body["extendLease"]
        reason = body.get("reasonForIncompletion")
        if reason is not None and len(reason) > REASON_LIMIT:
            body["reasonForIncompletion"] = reason[:REASON_LIMIT]
        for log in body.get("logs", ()):
            log.setdefault("taskId", self.task_id)
        return body


def as_status(value: Any) -> TaskResultStatus:
    """``value`` (a ``TaskResultStatus`` or its name) as the enum; ``ValueError`` otherwise."""
    if isinstance(value, TaskResultStatus):
        return value
    if isinstance(value, str) and value in TaskResultStatus.__members__:
        return TaskResultStatus[value]
    raise ValueError(
        f"TaskResult: status={value!r} is not one of " + ", ".join(TaskResultStatus.__members__)
    )
