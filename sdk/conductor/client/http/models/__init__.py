"""Conductor's wire models: small dataclasses with snake_case attributes, camelCase JSON."""

from conductor.client.http.models.task import Task
from conductor.client.http.models.task_exec_log import TaskExecLog
from conductor.client.http.models.task_result import TaskResult
from conductor.client.http.models.task_result_status import TaskResultStatus

__all__ = ["Task", "TaskExecLog", "TaskResult", "TaskResultStatus"]
