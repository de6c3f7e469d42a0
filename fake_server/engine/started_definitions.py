"""What a workflow's definition holds once it starts (Conductor's
``MetadataMapperService.populateTaskDefinitions``).

When a workflow starts, every task of its definition (nested ones included) that has no inline
``taskDefinition`` gets one: the registered definition of its name as it is at that moment,
else an ad-hoc one (Conductor's defaults; a task of any type but SIMPLE gets no retries and no
response timeout). Every SUB_WORKFLOW without a version is fixed to the latest version of its
workflow at that moment. The workflow runs on that copy: a task definition updated, or a newer
child workflow registered, while it runs applies only to workflows started later (and to a
restart with the latest definitions).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from fake_server.engine.definitions import TaskDef, WorkflowDef, WorkflowTaskDef
from fake_server.engine.errors import ConductorError
from fake_server.engine.state import EngineState
from fake_server.engine.task_types import is_user_defined

# Started definitions kept for reuse; past this many (inline definitions are new each time),
# the cache starts over.
_CACHE_SIZE = 256


@dataclass(frozen=True)
class _Started:
    """A started definition and what it was made from: the source definition, and the
    registered task definitions and latest child workflows it read (None where none was)."""

    source: WorkflowDef
    read: tuple[object, ...]
    result: WorkflowDef


def populate(state: EngineState, definition: WorkflowDef) -> WorkflowDef:
    """``definition`` with its task definitions and sub-workflow versions filled in; a
    :class:`ConductorError` (a 500 at a start request, as Conductor's
    TerminateWorkflowException) when a SUB_WORKFLOW names no registered workflow.

    Building it costs more than starting the workflow, so it is reused while nothing it read
    has changed (the same objects are registered)."""
    read = _what_it_reads(state, definition)
    cache = state.started_definitions
    entry = cache.get(id(definition))
    if entry is not None and entry.source is definition and _same(entry.read, read):
        return entry.result  # type: ignore[no-any-return]
    result = dataclasses.replace(definition, tasks=_populate_all(state, definition.tasks))
    if len(cache) >= _CACHE_SIZE:
        cache.clear()
    cache[id(definition)] = _Started(definition, read, result)
    return result


def _what_it_reads(state: EngineState, definition: WorkflowDef) -> tuple[object, ...]:
    read: list[object] = []
    for task in definition.walk():
        if task.task_definition is None:
            read.append(state.task_defs.get(task.name))
        if task.type == "SUB_WORKFLOW":
            versions = state.workflow_defs.get(str((task.sub_workflow_param or {}).get("name")))
            read.append(max(versions) if versions else None)
    return tuple(read)


def _same(before: tuple[object, ...], now: tuple[object, ...]) -> bool:
    return len(before) == len(now) and all(
        a is b or a == b for a, b in zip(before, now, strict=True)
    )


def _populate_all(
    state: EngineState, tasks: tuple[WorkflowTaskDef, ...]
) -> tuple[WorkflowTaskDef, ...]:
    return tuple(_populate(state, task) for task in tasks)


def _populate(state: EngineState, task: WorkflowTaskDef) -> WorkflowTaskDef:
    changes: dict[str, Any] = {}
    if task.task_definition is None and task.name.strip():
        registered = state.task_defs.get(task.name)
        # A task of a type Conductor has no mapper for (USER_DEFINED) gets no ad-hoc
        # definition: without a registered one, its mapper fails the workflow.
        if registered is not None or not is_user_defined(task.type):
            changes["task_definition"] = registered or ad_hoc_task_def(task)
    if task.type == "SUB_WORKFLOW":
        param = _pinned_sub_workflow(state, task.sub_workflow_param or {})
        if param is not task.sub_workflow_param:
            changes["sub_workflow_param"] = param
    if task.decision_cases:
        changes["decision_cases"] = {
            case: _populate_all(state, branch) for case, branch in task.decision_cases.items()
        }
    if task.default_case:
        changes["default_case"] = _populate_all(state, task.default_case)
    if task.fork_tasks:
        changes["fork_tasks"] = tuple(_populate_all(state, branch) for branch in task.fork_tasks)
    if task.loop_over:
        changes["loop_over"] = _populate_all(state, task.loop_over)
    return task.with_changes(**changes) if changes else task


def ad_hoc_task_def(task: WorkflowTaskDef) -> TaskDef:
    """The definition of a task whose name has none registered."""
    if task.type == "SIMPLE":
        return TaskDef(name=task.name)
    return TaskDef(name=task.name, retry_count=0, response_timeout_seconds=0)


def _pinned_sub_workflow(state: EngineState, param: dict[str, Any]) -> dict[str, Any]:
    """``subWorkflowParam`` with its version fixed to the latest when it has none (an inline
    definition object carries its own version)."""
    if param.get("version") is not None or "workflowDefinition" in param:
        return param
    name = param.get("name")
    try:
        latest = state.workflow_def(str(name), None)
    except ConductorError:
        raise ConductorError(
            f"The Task {name} defined as a sub-workflow has no workflow definition available "
        ) from None
    return {**param, "version": latest.version}
