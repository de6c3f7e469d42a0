"""Where a task is scheduled: created from its definitions, given its input and domain, queued.

The decider (:mod:`.decider`) builds a workflow's tasks with :func:`build_task` and records
them with :func:`record_task`; a retry comes through :func:`new_task` (see :mod:`.retries`);
tasks that belong to no workflow (the admin API's) through :func:`enqueue_adhoc_tasks`.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

from fake_server.engine.definitions import TaskDef, WorkflowTaskDef
from fake_server.engine.expressions import evaluate
from fake_server.engine.models import LOOP_DELIMITER, Task, Workflow
from fake_server.engine.state import EngineState
from fake_server.engine.tasks.base import TerminateWorkflow
from fake_server.engine.validation import check_range

MAX_ADHOC_TASKS = 100_000
ADHOC_PREFIX = "adhoc-"


def worker_task_def(state: EngineState, workflow_task: WorkflowTaskDef) -> TaskDef:
    """The definition a worker task of ``workflow_task`` runs with: inline, else registered,
    else Conductor's defaults."""
    return workflow_task.task_definition or state.task_def(workflow_task.name)


def require_user_defined_task_def(state: EngineState, workflow_task: WorkflowTaskDef) -> None:
    """UserDefinedTaskMapper: a task of a type of its own needs a definition (inline or
    registered under its name); without one the workflow fails."""
    if workflow_task.task_definition is None and workflow_task.name not in state.task_defs:
        raise TerminateWorkflow(
            "Invalid task specified. Cannot find task by name "
            f"{workflow_task.name} in the task definitions"
        )


def system_task_def(state: EngineState, workflow_task: WorkflowTaskDef) -> TaskDef:
    """The definition a system task runs with: inline, else one registered under its name,
    else one without retries or response timeout (as Conductor makes for system tasks)."""
    return (
        workflow_task.task_definition
        or state.task_defs.get(workflow_task.name)
        or TaskDef(name=workflow_task.name, retry_count=0, response_timeout_seconds=0)
    )


def task_input(
    state: EngineState,
    workflow: Workflow,
    input_parameters: dict[str, Any],
    task_def: TaskDef | None,
    task_id: str | None,
) -> dict[str, Any]:
    """A task's input as Conductor computes it when scheduling: the definition's
    ``inputTemplate`` fills keys the parameters lack, every expression is evaluated
    (``${CPEWF_TASK_ID}`` is ``task_id``), and a key that comes out null takes the template's
    value as written."""
    template = task_def.input_template if task_def is not None else {}
    parameters = {**template, **input_parameters}
    resolved: dict[str, Any] = evaluate(parameters, expression_context(state, workflow), task_id)
    for key, value in resolved.items():
        if value is None and key in template:
            resolved[key] = copy.deepcopy(template[key])
    return resolved


def build_task(
    state: EngineState,
    task_type: str,
    task_def: TaskDef,
    *,
    workflow_instance_id: str,
    workflow: Workflow | None,
    workflow_task: WorkflowTaskDef | None,
    reference_task_name: str,
    input_data: dict[str, Any],
    domain: str | None,
    now: int,
    status: str = "SCHEDULED",
    task_def_name: str | None = None,
    task_id: str | None = None,
) -> Task:
    """A task record, neither recorded nor queued yet (see :func:`record_task`)."""
    return Task(
        task_id=task_id or str(uuid.uuid4()),
        task_type=task_type,
        status=status,
        reference_task_name=reference_task_name,
        workflow_instance_id=workflow_instance_id,
        workflow_type=workflow.definition.name if workflow else None,
        scheduled_time=now,
        update_time=now,
        input_data=input_data,
        task_def_name=task_def_name or task_type,
        correlation_id=workflow.correlation_id if workflow else None,
        response_timeout_seconds=task_def.response_timeout_seconds,
        domain=domain,
        workflow_task=workflow_task.json_of_tasks if workflow_task else None,
        rate_limit_per_frequency=task_def.rate_limit_per_frequency,
        rate_limit_frequency_in_seconds=task_def.rate_limit_frequency_in_seconds,
        workflow_priority=workflow.priority if workflow else 0,
        task_def=task_def,
        workflow_task_def=workflow_task,
    )


def record_task(state: EngineState, workflow: Workflow | None, task: Task) -> None:
    """Add ``task`` to the engine (and to the end of ``workflow``'s tasks, numbered)."""
    if workflow is not None:
        workflow.tasks.add(task)
        workflow.update_time = task.scheduled_time
        task.seq = len(workflow.tasks)
    state.add_task(task)


def new_task(
    state: EngineState,
    task_type: str,
    task_def: TaskDef,
    *,
    workflow_instance_id: str,
    workflow: Workflow | None,
    workflow_task: WorkflowTaskDef | None,
    reference_task_name: str,
    input_data: dict[str, Any],
    domain: str | None,
    now: int,
    task_id: str | None = None,
) -> Task:
    """A SCHEDULED task, recorded (and appended to its workflow) but not queued yet."""
    task = build_task(
        state,
        task_type,
        task_def,
        workflow_instance_id=workflow_instance_id,
        workflow=workflow,
        workflow_task=workflow_task,
        reference_task_name=reference_task_name,
        input_data=input_data,
        domain=domain,
        now=now,
        task_id=task_id,
    )
    record_task(state, workflow, task)
    return task


def enqueue_adhoc_tasks(
    state: EngineState,
    task_type: str,
    count: int,
    domain: str | None,
    task_input: dict[str, Any] | None,
) -> list[str]:
    """Queue ``count`` tasks that belong to no workflow (see ``Engine.enqueue_tasks``)."""
    check_range("count", count, 1, MAX_ADHOC_TASKS)
    task_def = state.task_def(task_type)
    workflow_instance_id = f"{ADHOC_PREFIX}{uuid.uuid4()}"
    now = state.now_ms()
    ids = []
    for position in range(count):
        task = new_task(
            state,
            task_type,
            task_def,
            workflow_instance_id=workflow_instance_id,
            workflow=None,
            workflow_task=None,
            reference_task_name=task_type,
            input_data=dict(task_input or {}),
            domain=domain or None,
            now=now,
        )
        task.seq = position + 1
        state.enqueue(task, now)
        ids.append(task.task_id)
    return ids


def expression_context(state: EngineState, workflow: Workflow) -> ExpressionContext:
    """What ``${...}`` expressions of ``workflow`` see (see :class:`ExpressionContext`)."""
    return ExpressionContext(state, workflow)


class ExpressionContext(Mapping[str, Any]):
    """What ``${...}`` expressions of a workflow see: each task by reference name (its latest
    attempt; a task inside a loop by its name without the ``__N`` suffix) and the workflow
    itself, each entry as its ``expression_view``.

    Entries are made when read: most expressions read one task (``${ref.output.x}``), which is
    found among the tasks of its name, the latest first, so an evaluation does not cost a
    view of every task (which made a long loop quadratic). A path that needs every entry (a
    wildcard, a deep scan or a filter over the root, the root itself) iterates the mapping,
    which lists them all, in the order of the workflow's tasks, as a dict built at once
    would."""

    def __init__(self, state: EngineState, workflow: Workflow) -> None:
        self._state = state
        self._workflow = workflow
        self._views: dict[str, dict[str, Any]] = {}
        self._names: list[str] | None = None

    def __getitem__(self, name: str) -> dict[str, Any]:
        view = self._views.get(name)
        if view is None:
            view = self._views[name] = self._view(name)
        return view

    def _view(self, name: str) -> dict[str, Any]:
        if name == "workflow":
            return self._workflow.expression_view()
        # Only a task whose reference name starts as ``name`` does can go by that name.
        base = name.split(LOOP_DELIMITER)[0]
        for task in reversed(self._workflow.tasks.with_base(base)):  # the latest attempt wins
            if _context_name(task) == name:
                return task.expression_view()
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._all_names())

    def __len__(self) -> int:
        return len(self._all_names())

    def _all_names(self) -> list[str]:
        if self._names is None:
            tasks = self._state.tasks
            names = dict.fromkeys(_context_name(tasks[tid]) for tid in self._workflow.task_ids)
            names["workflow"] = None
            self._names = list(names)
        return self._names


def _context_name(task: Task) -> str:
    """The name a task goes by in expressions: a loop iteration's without its ``__N``."""
    name = task.reference_task_name
    if task.iteration > 0:
        name = name.rpartition("__")[0] or name
    return name
