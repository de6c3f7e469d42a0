"""A task as a workflow definition declares it (``Task.workflow_task``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conductor.client.http.models._wire import Nested, WireModel, to_json
from conductor.client.http.models.task_def import TaskDef


def _task_def() -> type[TaskDef]:
    return TaskDef


@dataclass
class WorkflowTask(WireModel):
    """A workflow definition's task: its reference name, type, input parameters and, for
    operators, the tasks inside (``decision_cases``, ``fork_tasks``, ``loop_over``, ...).
    Fields are conductor-python's, snake_case; JSON fields it does not name land in
    ``extra``. Nested tasks are ``WorkflowTask``s, ``task_definition`` a ``TaskDef``."""

    name: str | None = None
    task_reference_name: str | None = None
    description: str | None = None
    input_parameters: dict[str, Any] | None = None
    type: str | None = None
    dynamic_task_name_param: str | None = None
    case_value_param: str | None = None
    case_expression: str | None = None
    script_expression: str | None = None
    decision_cases: dict[str, list[WorkflowTask]] | None = None
    dynamic_fork_join_tasks_param: str | None = None
    dynamic_fork_tasks_param: str | None = None
    dynamic_fork_tasks_input_param_name: str | None = None
    default_case: list[WorkflowTask] | None = None
    fork_tasks: list[list[WorkflowTask]] | None = None
    start_delay: int | None = None
    sub_workflow_param: dict[str, Any] | None = None
    join_on: list[str] | None = None
    sink: str | None = None
    optional: bool | None = None
    task_definition: Nested = Nested(_task_def)
    rate_limited: bool | None = None
    default_exclusive_join_task: list[str] | None = None
    async_complete: bool | None = None
    loop_condition: str | None = None
    loop_over: list[WorkflowTask] | None = None
    retry_count: int | None = None
    evaluator_type: str | None = None
    expression: str | None = None
    workflow_task_type: str | None = None
    on_state_change: dict[str, Any] | None = None
    cache_config: dict[str, Any] | None = None
    join_status: str | None = None
    permissive: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.decision_cases:
            self.decision_cases = {k: _tasks(v) or [] for k, v in self.decision_cases.items()}
        self.default_case = _tasks(self.default_case)
        self.loop_over = _tasks(self.loop_over)
        if self.fork_tasks:
            self.fork_tasks = [_tasks(branch) or [] for branch in self.fork_tasks]

    def to_json(self) -> dict[str, Any]:
        body = to_json(self)
        if self.decision_cases:  # a dict of lists of tasks: not converted by to_json
            body["decisionCases"] = {
                case: [task.to_json() for task in tasks]
                for case, tasks in self.decision_cases.items()
            }
        return body


def _tasks(items: list[Any] | None) -> list[WorkflowTask] | None:
    if items is None:
        return None
    return [WorkflowTask.from_json(t) if isinstance(t, dict) else t for t in items]
