from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conductor.client.http.models._wire import from_json, to_json
from conductor.client.http.models.task_exec_log import TaskExecLog
from conductor.client.http.models.task_result_status import TaskResultStatus

REASON_LIMIT = 500  # the server keeps at most this many characters of a reason


@dataclass(kw_only=True)
class TaskResult:
    """What a worker reports for a task: status, output, logs."""

    workflow_instance_id: str | None = None
    task_id: str | None = None
    reason_for_incompletion: str | None = None
    callback_after_seconds: int | None = None
    worker_id: str | None = None
    status: TaskResultStatus | str | None = None
    output_data: dict[str, Any] = field(default_factory=dict)
    logs: list[TaskExecLog] = field(default_factory=list)
    external_output_payload_storage_path: str | None = None
    sub_workflow_id: str | None = None
    extend_lease: bool | None = None

    def add_output_data(self, key: str, value: Any) -> None:
        if self.output_data is None:
            self.output_data = {}
        self.output_data[key] = value

    def log(self, line: str) -> None:
        """Appends a line to the task's execution log (sent with the update)."""
        self.logs.append(TaskExecLog(log=str(line), task_id=self.task_id))

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> TaskResult:
        result = from_json(cls, data)
        result.logs = [
            log if isinstance(log, TaskExecLog) else TaskExecLog.from_dict(log)
            for log in result.logs or []
        ]
        if isinstance(result.status, str) and result.status in TaskResultStatus.__members__:
            result.status = TaskResultStatus(result.status)
        return result

    def to_dict(self) -> dict[str, Any]:
        body = to_json(self)
        reason = body.get("reasonForIncompletion")
        if reason is not None and len(reason) > REASON_LIMIT:
            body["reasonForIncompletion"] = reason[:REASON_LIMIT]
        for log in body.get("logs", []):
            log.setdefault("taskId", self.task_id)
        return body
