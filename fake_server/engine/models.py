"""The engine's records of tasks and workflows, and their JSON form (camelCase, no nulls).

Objects and lists stored on a record (input, output, ...) are replaced, never changed in place,
so the JSON views share them instead of copying: callers must treat those views as read-only.
"""

from __future__ import annotations

import dataclasses
import operator
from dataclasses import dataclass, field
from typing import Any

from fake_server.engine.definitions import TaskDef, WorkflowDef, WorkflowTaskDef
from fake_server.engine.workflow_tasks import WorkflowTasks

TASK_STATUSES = (
    "SCHEDULED",
    "IN_PROGRESS",
    "COMPLETED",
    "FAILED",
    "FAILED_WITH_TERMINAL_ERROR",
    "TIMED_OUT",
    "CANCELED",
    "COMPLETED_WITH_ERRORS",
    "SKIPPED",
)
TERMINAL_TASK_STATUSES = frozenset(TASK_STATUSES[2:])
UNSUCCESSFUL_TASK_STATUSES = frozenset(
    {"CANCELED", "FAILED", "FAILED_WITH_TERMINAL_ERROR", "TIMED_OUT"}
)
# A DO_WHILE iteration's tasks are named ``<reference name>__<iteration>``.
LOOP_DELIMITER = "__"
# What a worker may report in a TaskResult.
RESULT_STATUSES = ("IN_PROGRESS", "COMPLETED", "FAILED", "FAILED_WITH_TERMINAL_ERROR", "CANCELED")
WORKFLOW_STATUSES = ("RUNNING", "COMPLETED", "FAILED", "TIMED_OUT", "TERMINATED", "PAUSED")
TERMINAL_WORKFLOW_STATUSES = frozenset({"COMPLETED", "FAILED", "TIMED_OUT", "TERMINATED"})


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


# Tasks and workflows are slotted: a record of ~45 fields in a __dict__ is a 1.6 KB block that
# the C allocator serves, and tens of thousands of them created and freed a second fragment
# its heap (a long run's memory grew); slotted, each is a third of that, from Python's pools.
@dataclass(eq=False, slots=True)
class Task:
    # Fields of Conductor's Task JSON (in snake_case).
    task_id: str
    task_type: str
    status: str
    reference_task_name: str
    workflow_instance_id: str
    workflow_type: str | None
    scheduled_time: int
    update_time: int
    input_data: dict[str, Any] = field(default_factory=dict)
    output_data: dict[str, Any] = field(default_factory=dict)
    task_def_name: str = ""
    retry_count: int = 0
    seq: int = 0
    correlation_id: str | None = None
    poll_count: int = 0
    start_time: int = 0
    end_time: int = 0
    start_delay_in_seconds: int = 0
    retried_task_id: str | None = None
    retried: bool = False
    executed: bool = False
    callback_from_worker: bool = True
    response_timeout_seconds: int = 3600
    reason_for_incompletion: str | None = None
    callback_after_seconds: int = 0
    worker_id: str | None = None
    domain: str | None = None
    workflow_task: dict[str, Any] | None = None
    rate_limit_per_frequency: int = 0
    rate_limit_frequency_in_seconds: int = 1
    workflow_priority: int = 0
    iteration: int = 0
    sub_workflow_id: str | None = None
    parent_task_id: str | None = None
    first_start_time: int = 0
    # Engine bookkeeping, not part of the JSON.
    task_def: TaskDef = field(default=None, repr=False)  # type: ignore[assignment]
    workflow_task_def: WorkflowTaskDef | None = field(default=None, repr=False)
    ready_ms: int = 0  # when a SCHEDULED task becomes pollable
    queued: bool = False
    # ALERT_ONLY timeouts logged (replaced, never changed in place: most tasks share the empty one)
    alerted: frozenset[str] = field(default=frozenset(), repr=False)
    # Set when a poll put the task back in its queue for a definition's limit (which one).
    postponed_by: str | None = field(default=None, repr=False)
    logs: list[dict[str, Any]] = field(default_factory=list, repr=False)
    wait_until_ms: int = 0  # a WAIT task with a duration or an until: when it completes
    http_pending: bool = False  # an HTTP task whose call is still to be made

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_TASK_STATUSES

    @property
    def is_successful(self) -> bool:
        return self.status not in UNSUCCESSFUL_TASK_STATUSES

    @property
    def loop_over_task(self) -> bool:
        """A task of a DO_WHILE iteration (the DO_WHILE itself counts once it looped)."""
        return self.iteration > 0

    @property
    def base_reference_name(self) -> str:
        """The reference name without a loop iteration's ``__N`` suffix."""
        return self.reference_task_name.split(LOOP_DELIMITER)[0]

    def to_json(self) -> dict[str, Any]:
        # One attrgetter for every field: getattr per field made this a third slower.
        values = _task_json_values(self)
        body = {
            key: value
            for key, value in zip(_TASK_JSON_KEYS, values, strict=True)
            if value is not None
        }
        body["loopOverTask"] = self.iteration > 0
        return body

    def expression_view(self) -> dict[str, Any]:
        """What ``${ref.…}`` expressions see of this task."""
        return {
            "input": self.input_data,
            "output": self.output_data,
            "taskType": self.task_type,
            "status": self.status,
            "referenceTaskName": self.reference_task_name,
            "retryCount": self.retry_count,
            "correlationId": self.correlation_id,
            "pollCount": self.poll_count,
            "taskDefName": self.task_def_name,
            "scheduledTime": self.scheduled_time,
            "startTime": self.start_time,
            "endTime": self.end_time,
            "workflowInstanceId": self.workflow_instance_id,
            "taskId": self.task_id,
            "reasonForIncompletion": self.reason_for_incompletion,
            "callbackAfterSeconds": self.callback_after_seconds,
            "workerId": self.worker_id,
            "iteration": self.iteration,
        }


_BOOKKEEPING = {
    "task_def",
    "workflow_task_def",
    "ready_ms",
    "queued",
    "alerted",
    "logs",
    "postponed_by",
    "wait_until_ms",
    "http_pending",
}
_TASK_JSON_FIELDS = tuple(f.name for f in dataclasses.fields(Task) if f.name not in _BOOKKEEPING)
_TASK_JSON_KEYS = tuple(_camel(name) for name in _TASK_JSON_FIELDS)
_task_json_values = operator.attrgetter(*_TASK_JSON_FIELDS)


@dataclass(eq=False, slots=True)
class Workflow:
    workflow_id: str
    definition: WorkflowDef
    status: str
    input: dict[str, Any]
    create_time: int
    correlation_id: str | None = None
    task_to_domain: dict[str, str] = field(default_factory=dict)
    priority: int = 0
    output: dict[str, Any] = field(default_factory=dict)
    reason_for_incompletion: str | None = None
    update_time: int = 0
    end_time: int = 0
    # Its tasks in scheduling order (their ids: ``task_ids``), indexed for the decider.
    tasks: WorkflowTasks = field(default_factory=WorkflowTasks, repr=False)
    timeout_alerted: bool = False
    # Not in Conductor's Workflow JSON: the task that ended the workflow (a failure workflow's
    # failureTaskId), and when it was last retried (its timeout counts from then).
    failed_task_id: str | None = None
    last_retried_time: int = 0
    variables: dict[str, Any] = field(default_factory=dict)  # set by SET_VARIABLE tasks
    # Reference names and definition names of the tasks that had FAILED (or
    # FAILED_WITH_TERMINAL_ERROR) when the workflow ended, gathered over every end it had.
    failed_reference_task_names: set[str] = field(default_factory=set)
    failed_task_names: set[str] = field(default_factory=set)
    # A sub-workflow knows the workflow and the SUB_WORKFLOW task that started it.
    parent_workflow_id: str | None = None
    parent_workflow_task_id: str | None = None
    # The decider's bookkeeping (not JSON): a decide in progress, and a request for one more pass.
    deciding: bool = False
    decide_again: bool = False
    # A run of the workflow test API (:mod:`.workflow_testing`), or a sub-workflow of one: its
    # tasks wait for mocked results instead of workers (not JSON, as on Conductor).
    test_run: bool = False

    @property
    def start_time(self) -> int:
        return self.create_time

    @property
    def task_ids(self) -> list[str]:
        """The ids of its tasks in scheduling order (read-only: tasks join and leave through
        ``tasks``)."""
        return self.tasks.ids

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_WORKFLOW_STATUSES

    def to_json(self, tasks: list[Task] | None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "workflowId": self.workflow_id,
            "workflowName": self.definition.name,
            "workflowVersion": self.definition.version,
            "workflowType": self.definition.name,
            "version": self.definition.version,
            "status": self.status,
            "input": self.input,
            "output": self.output,
            "correlationId": self.correlation_id,
            "reasonForIncompletion": self.reason_for_incompletion,
            "taskToDomain": dict(self.task_to_domain),
            "priority": self.priority,
            "createTime": self.create_time,
            "startTime": self.start_time,
            "updateTime": self.update_time,
            "endTime": self.end_time,
            "schemaVersion": self.definition.schema_version,
            "variables": self.variables,
            "parentWorkflowId": self.parent_workflow_id,
            "parentWorkflowTaskId": self.parent_workflow_task_id,
            "failedReferenceTaskNames": sorted(self.failed_reference_task_names),
            "failedTaskNames": sorted(self.failed_task_names),
            "lastRetriedTime": self.last_retried_time,
            "workflowDefinition": self.definition.json_of_workflows,
        }
        if tasks is not None:
            body["tasks"] = [task.to_json() for task in tasks]
        return {key: value for key, value in body.items() if value is not None}

    def expression_view(self) -> dict[str, Any]:
        """What ``${workflow.…}`` expressions see of this workflow."""
        return {
            "input": self.input,
            "output": self.output,
            "status": self.status,
            "workflowId": self.workflow_id,
            "workflowType": self.definition.name,
            "version": self.definition.version,
            "correlationId": self.correlation_id,
            "reasonForIncompletion": self.reason_for_incompletion,
            "schemaVersion": self.definition.schema_version,
            "variables": self.variables,
            "parentWorkflowId": self.parent_workflow_id,
            "parentWorkflowTaskId": self.parent_workflow_task_id,
        }
