"""Conductor's models that worker code uses: dataclasses with snake_case attributes.

``to_dict()`` gives the snake_case form (as conductor-python's models); ``to_json()`` and
``from_json()`` are Conductor's camelCase JSON, which is what goes over the wire.
"""

from conductor.client.http.models.schema_def import SchemaDef, SchemaType
from conductor.client.http.models.task import Task
from conductor.client.http.models.task_def import TaskDef
from conductor.client.http.models.task_exec_log import TaskExecLog
from conductor.client.http.models.task_result import TaskResult
from conductor.client.http.models.task_result_status import TaskResultStatus
from conductor.client.http.models.workflow_task import WorkflowTask

__all__ = [
    "SchemaDef",
    "SchemaType",
    "Task",
    "TaskDef",
    "TaskExecLog",
    "TaskResult",
    "TaskResultStatus",
    "WorkflowTask",
]
