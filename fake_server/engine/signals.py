"""Synchronous execution and signals: when a workflow has "settled", and what is answered then.

Conductor's ``POST /workflow/execute/{name}/{version}`` (WorkflowResource.executeWorkflow) starts
a workflow and waits; ``POST /tasks/{workflowId}/{status}/signal/sync`` (TaskResource) completes
the workflow's blocked task and waits. Both wait, as WorkflowSignalResponder does, until the
workflow is terminal or *blocked*: a WAIT task without an end is open in it or in one of its
running sub-workflows, or a task named in ``waitUntilTaskRef`` has ended. The answer is a
SignalResponse built as NotificationResult.toResponse builds it: a WorkflowRun (the target or
the blocking workflow) or a TaskRun (the blocking task), by ``returnStrategy``.

The waiting itself is the facade's (it holds the lock); this module only looks and builds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fake_server.engine.errors import ConductorError, mismatched_parameter
from fake_server.engine.models import RESULT_STATUSES, Task, Workflow
from fake_server.engine.state import EngineState

RETURN_STRATEGIES = ("TARGET_WORKFLOW", "BLOCKING_WORKFLOW", "BLOCKING_TASK", "BLOCKING_TASK_INPUT")
# executeWorkflow's waitForSeconds when absent or 0; signal/sync's timeoutMillis when absent.
DEFAULT_EXECUTE_WAIT_SECONDS = 10
DEFAULT_SIGNAL_WAIT_MS = 5000
# How often Conductor looks at the workflow while it waits (Flux.interval of 100 ms): the fake
# is woken sooner when a task is queued, and looks at least this often otherwise.
LOOK_INTERVAL_SECONDS = 0.1


@dataclass
class Blocking:
    """What holds a workflow: its blocking tasks and the (sub-)workflow of the first one."""

    tasks: list[Task] = field(default_factory=list)
    workflow: Workflow | None = None


def return_strategy(value: str | None) -> str:
    """The ``returnStrategy`` query value (TARGET_WORKFLOW when absent); anything else is the
    500 of Spring's enum conversion."""
    if value is None or value == "":
        return "TARGET_WORKFLOW"
    if value not in RETURN_STRATEGIES:
        raise mismatched_parameter(
            "returnStrategy",
            value,
            "org.conductoross.conductor.model.WorkflowSignalReturnStrategy",
            f"one of {', '.join(RETURN_STRATEGIES)}",
            f"No enum constant "
            f"org.conductoross.conductor.model.WorkflowSignalReturnStrategy.{value}",
        )
    return value


def task_result_status(value: str) -> str:
    """A ``{status}`` path value as TaskResult.Status reads it."""
    if value not in RESULT_STATUSES:
        allowed = f"one of {', '.join(RESULT_STATUSES)}"
        raise mismatched_parameter("status", value, "TaskResult$Status", allowed)
    return value


def find_blocking(state: EngineState, workflow: Workflow, task_refs: list[str]) -> Blocking:
    """WorkflowSignalResponder.findBlockingTasks: open WAIT tasks without an end, and ended
    tasks named in ``task_refs``, in ``workflow`` and (depth first) its running sub-workflows."""
    found = Blocking()
    for task_id in workflow.task_ids:
        task = state.tasks[task_id]
        if task.task_type == "WAIT" and not task.is_terminal and not task.wait_until_ms:
            found.tasks.append(task)
            found.workflow = found.workflow or workflow
        if task.is_terminal and task.reference_task_name in task_refs:
            found.tasks.append(task)
            found.workflow = found.workflow or workflow
        child = state.workflows.get(task.sub_workflow_id or "")
        if task.task_type == "SUB_WORKFLOW" and child is not None and not task.is_terminal:
            inner = find_blocking(state, child, task_refs)
            if inner.tasks:
                found.tasks.extend(inner.tasks)
                found.workflow = found.workflow or inner.workflow
    return found


def settled(state: EngineState, workflow_id: str, task_refs: list[str]) -> bool:
    """Whether the waiting is over: the workflow is terminal or blocked."""
    workflow = state.workflow(workflow_id)
    return workflow.is_terminal or bool(find_blocking(state, workflow, task_refs).tasks)


def response(
    state: EngineState,
    workflow_id: str,
    task_refs: list[str],
    strategy: str,
    request_id: str,
    *,
    timed_out: bool,
) -> dict[str, Any]:
    """The SignalResponse (NotificationResult.toResponse). After a timeout nothing counts as
    blocking, as on Conductor: the target workflow is answered, ``signalTimeout`` true."""
    target = state.workflow(workflow_id)
    blocking = Blocking() if timed_out else find_blocking(state, target, task_refs)
    common = {
        "responseType": strategy,
        "targetWorkflowId": target.workflow_id,
        "targetWorkflowStatus": target.status,
        "requestId": request_id,
        "signalTimeout": timed_out,
    }
    if strategy in ("BLOCKING_TASK", "BLOCKING_TASK_INPUT"):
        if not blocking.tasks:
            # Conductor's mapper returns null here and Reactor fails the request with a 500.
            raise ConductorError(
                f"returnStrategy {strategy}: workflow {workflow_id} has no blocking task "
                f"({target.status}{', timed out waiting' if timed_out else ''}); Conductor "
                "answers this with a 500",
                conductor_message="The mapper returned a null value.",
            )
        return {**common, **_task_run(blocking.tasks[0])}
    shown = blocking.workflow if strategy == "BLOCKING_WORKFLOW" and blocking.workflow else target
    return {**common, **_workflow_run(state, shown)}


def _workflow_run(state: EngineState, workflow: Workflow) -> dict[str, Any]:
    run = {
        "workflowId": workflow.workflow_id,
        "correlationId": workflow.correlation_id,
        "input": workflow.input,
        "output": workflow.output,
        "tasks": [state.tasks[task_id].to_json() for task_id in workflow.task_ids],
        "priority": workflow.priority,
        "createTime": workflow.create_time,
        "updateTime": workflow.update_time,
        "status": workflow.status,
        "variables": workflow.variables,
    }
    return {key: value for key, value in run.items() if value is not None}


def _task_run(task: Task) -> dict[str, Any]:
    run = {
        "taskType": task.task_type,
        "taskId": task.task_id,
        "referenceTaskName": task.reference_task_name,
        "retryCount": task.retry_count,
        "taskDefName": task.task_def_name,
        "retriedTaskId": task.retried_task_id,
        "workflowType": task.workflow_type,
        "reasonForIncompletion": task.reason_for_incompletion,
        "priority": task.workflow_priority,
        "workflowId": task.workflow_instance_id,
        "correlationId": task.correlation_id,
        "status": task.status,
        "input": task.input_data,
        "output": task.output_data,
        "createdBy": task.worker_id,
        "createTime": task.start_time,
        "updateTime": task.update_time,
    }
    return {key: value for key, value in run.items() if value is not None}


def pending_blocking_task(state: EngineState, workflow_id: str) -> Task | None:
    """TaskServiceImpl.findPendingBlockingTask: the first open WAIT task of the workflow (timed
    or not), else the first found in its running sub-workflows, in order."""
    workflow = state.workflow(workflow_id)
    tasks = [state.tasks[task_id] for task_id in workflow.task_ids]
    for task in tasks:
        if task.task_type == "WAIT" and not task.is_terminal:
            return task
    for task in tasks:
        if task.task_type == "SUB_WORKFLOW" and not task.is_terminal and task.sub_workflow_id:
            found = pending_blocking_task(state, task.sub_workflow_id)
            if found is not None:
                return found
    return None


def result_for(task: Task, status: str, output: dict[str, Any], worker_id: str | None) -> dict:
    """The TaskResult that Conductor builds from a pending task (``new TaskResult(task)``) to
    update it from outside: its output with ``output`` merged in, and ``status``."""
    return {
        "workflowInstanceId": task.workflow_instance_id,
        "taskId": task.task_id,
        "status": status,
        "outputData": {**task.output_data, **output},
        "reasonForIncompletion": task.reason_for_incompletion,
        "callbackAfterSeconds": task.callback_after_seconds,
        "workerId": worker_id if worker_id and worker_id.strip() else task.worker_id,
    }


def mark_dynamic(request: dict[str, Any]) -> None:
    """executeWorkflow's markAsDynamicWorkflow: an inline definition with tasks adds
    ``_systemMetadata.dynamic = true`` to the workflow's input."""
    inline = request.get("workflowDef")
    if not isinstance(inline, dict) or not inline.get("tasks"):
        return
    workflow_input = request.get("input")
    if not isinstance(workflow_input, dict):
        workflow_input = request["input"] = {}
    metadata = workflow_input.get("_systemMetadata")
    metadata = dict(metadata) if isinstance(metadata, dict) else {}
    metadata["dynamic"] = True
    workflow_input["_systemMetadata"] = metadata
