"""FORK_JOIN_DYNAMIC: parallel branches chosen at run time, then the JOIN that follows.

Two ways to say what to fork, as in Conductor:

- ``forkTaskInputs`` (a list) in the input: one task per item, of ``forkTaskName`` /
  ``forkTaskType`` (SIMPLE by default), or a sub-workflow ``forkTaskWorkflow`` (version
  ``forkTaskWorkflowVersion``); an item that is an object is the task's input, anything else
  becomes ``{"input": item}``; each gets ``__index`` and the reference name
  ``_<forkTaskName>_<index>``.
- ``dynamicForkTasksParam`` names an input holding a list of workflow tasks, and
  ``dynamicForkTasksInputParamName`` an input holding, by reference name, the input of each.

The record is a FORK task (``forkedTasks`` lists the reference names) and the JOIN waits on the
last task of each branch. An empty list forks nothing: the JOIN completes at once; a list that
is null fails the workflow. A branch task runs on its registered definition (or its inline
one): a worker task without one is never retried and has no response timeout (Conductor reads
its definition as null there, not as the defaults a task of the definition gets).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fake_server.engine.definitions import TaskDef, parse_workflow_task
from fake_server.engine.errors import BadRequestError
from fake_server.engine.task_types import is_system_type, number_version_message
from fake_server.engine.tasks.base import (
    Runtime,
    SystemTask,
    TerminateWorkflow,
    control_record,
)
from fake_server.engine.tasks.fork_join import join_after

if TYPE_CHECKING:
    from fake_server.engine.definitions import WorkflowTaskDef
    from fake_server.engine.models import Task, Workflow


class ForkJoinDynamic(SystemTask):
    task_type = "FORK_JOIN_DYNAMIC"
    built_in = True

    def map(
        self,
        rt: Runtime,
        workflow: Workflow,
        workflow_task: WorkflowTaskDef,
        task_input: dict[str, Any],
        retry_count: int,
    ) -> list[Task]:
        if isinstance(task_input.get("forkTaskInputs"), list):
            forked = _from_fork_task_inputs(rt, workflow, workflow_task, task_input)
        else:
            forked = _from_dynamic_tasks(workflow_task, task_input)
        fork_input = {
            **task_input,
            "forkedTasks": [t.task_reference_name for t in forked],
            "forkedTaskDefs": [t.to_json() for t in forked],
        }
        fork = control_record(rt, workflow, workflow_task, "FORK", fork_input, "COMPLETED")
        fork.end_time = fork.start_time = rt.now_ms()
        fork.executed = True
        tasks = [fork]
        join_on = []
        for forked_task in forked:
            forked_task = _with_branch_definition(rt, forked_task)
            branch = rt.map_tasks(workflow, forked_task, retry_count)
            if not branch:
                raise TerminateWorkflow(
                    f"No dynamic tasks could be created for the Workflow: {workflow.workflow_id}"
                    f", Dynamic Fork Task: {forked_task.task_reference_name} attempted to "
                    "create a duplicate task reference name"
                )
            tasks.extend(branch)
            join_on.append(branch[-1].reference_task_name)
        join_task = join_after(workflow, workflow_task)
        join_input = {**join_task.input_parameters, "joinOn": join_on}
        return [*tasks, control_record(rt, workflow, join_task, "JOIN", join_input)]


def _from_fork_task_inputs(
    rt: Runtime, workflow: Workflow, workflow_task: WorkflowTaskDef, task_input: dict[str, Any]
) -> list[WorkflowTaskDef]:
    sub_workflow = task_input.get("forkTaskWorkflow")
    task_type = task_input.get("forkTaskType") or "SIMPLE"
    name = task_input.get("forkTaskName") or (
        task_type if task_type != "SIMPLE" else workflow_task.task_reference_name
    )
    several = any(
        t.workflow_task_def is not None and t.workflow_task_def.type == "FORK_JOIN_DYNAMIC"
        for t in (rt.state.tasks[i] for i in workflow.task_ids)
    )
    forked = []
    for index, item in enumerate(task_input["forkTaskInputs"]):
        params = dict(item) if isinstance(item, dict) else {"input": item}
        params["__index"] = index
        reference_name = f"_{name}_{index}"
        if several:
            reference_name = f"_{workflow_task.task_reference_name}_{name}_{index}"
        raw: dict[str, Any] = {
            "name": sub_workflow or name,
            "taskReferenceName": reference_name,
            "type": "SUB_WORKFLOW" if sub_workflow else task_type,
            "inputParameters": params,
            "optional": workflow_task.optional,
        }
        if sub_workflow:
            version = task_input.get("forkTaskWorkflowVersion")
            if version is not None and not isinstance(version, str):
                raise TerminateWorkflow(number_version_message(version))
            version = version or ""
            raw["subWorkflowParam"] = {
                "name": sub_workflow,
                "version": int(version) if version.isdigit() else None,
            }
        forked.append(_parse(raw, "forkTaskInputs"))
    return forked


def _from_dynamic_tasks(
    workflow_task: WorkflowTaskDef, task_input: dict[str, Any]
) -> list[WorkflowTaskDef]:
    param = workflow_task.dynamic_fork_tasks_param or ""
    raw_tasks = task_input.get(param)
    if not isinstance(raw_tasks, list):
        shown = "null" if raw_tasks is None else raw_tasks
        raise TerminateWorkflow(
            f"Input '{param}' is invalid. Cannot deserialize a list of Workflow Tasks from "
            f"'{shown}'"
        )
    inputs = task_input.get(workflow_task.dynamic_fork_tasks_input_param_name or "")
    if not isinstance(inputs, dict):
        raise TerminateWorkflow(
            "Input to the dynamically forked tasks is not a map -> expecting a map of K,V  "
            f"but found {inputs}"
        )
    forked = []
    for raw in raw_tasks:
        parsed = _parse(raw, param)
        own_input = inputs.get(parsed.task_reference_name) or {}
        params = {**parsed.input_parameters, **(own_input if isinstance(own_input, dict) else {})}
        forked.append(parsed.with_changes(input_parameters=params))
    return forked


def _with_branch_definition(rt: Runtime, branch: WorkflowTaskDef) -> WorkflowTaskDef:
    """A branch task as ForkJoinDynamicTaskMapper gives it: its registered definition, none
    when it has none (for a worker task: no retries, no response timeout)."""
    if branch.task_definition is not None or is_system_type(branch.type):
        return branch  # a system task's ad-hoc definition has neither already
    registered = rt.state.task_defs.get(branch.name)
    return branch.with_changes(
        task_definition=registered
        or TaskDef(name=branch.name, retry_count=0, response_timeout_seconds=0)
    )


def _parse(raw: Any, param: str) -> WorkflowTaskDef:
    try:
        return parse_workflow_task(raw, param)
    except BadRequestError as error:
        raise TerminateWorkflow(
            f"Input '{param}' is invalid. Cannot deserialize a list of Workflow Tasks from "
            f"'{raw}': {error.message}"
        ) from None
