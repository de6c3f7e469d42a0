"""The decider: how a workflow starts, moves on after each task, and ends.

A workflow runs its definition's tasks in order: when one ends for good (completed, or given up
on while optional), the next is scheduled; after the last, the workflow completes with its
``outputParameters`` evaluated (or the last task's output).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fake_server.engine.definitions import parse_workflow_def
from fake_server.engine.errors import invalid
from fake_server.engine.expressions import evaluate
from fake_server.engine.models import Task, Workflow
from fake_server.engine.scheduling import expression_context, schedule
from fake_server.engine.state import EngineState
from fake_server.engine.validation import Fields

log = logging.getLogger(__name__)


def start_workflow(state: EngineState, request: Any) -> Workflow:
    """Start a workflow from a StartWorkflowRequest; its first task is queued on return."""
    f = Fields(request, "StartWorkflowRequest")
    inline = f.data.get("workflowDef")
    if inline is not None:
        definition = parse_workflow_def(inline, f.where("workflowDef"))
    else:
        definition = state.workflow_def(
            f.string("name", required=True), f.integer("version", minimum=1)
        )
    task_to_domain = f.obj("taskToDomain", default={})
    for task_type, domain in task_to_domain.items():
        if not isinstance(domain, str):
            raise invalid(f"{f.where('taskToDomain')}.{task_type}", "must be a string", domain)
    now = state.now_ms()
    workflow = Workflow(
        workflow_id=str(uuid.uuid4()),
        definition=definition,
        status="RUNNING",
        input=f.obj("input", default={}),
        create_time=now,
        update_time=now,
        correlation_id=f.string("correlationId"),
        task_to_domain=dict(task_to_domain),
        priority=f.integer("priority", default=0, minimum=0, maximum=99),
    )
    state.workflows[workflow.workflow_id] = workflow
    if definition.timeout_seconds:
        state.watch(now + definition.timeout_seconds * 1000, "workflow", workflow.workflow_id)
    log.info(
        "started workflow %s (%s v%s)", workflow.workflow_id, definition.name, definition.version
    )
    schedule(state, workflow, definition.tasks[0])
    return workflow


def advance(state: EngineState, workflow: Workflow, done: Task) -> None:
    """After ``done`` ended for good: schedule the next task or complete the workflow."""
    if workflow.is_terminal:
        return
    refs = [t.task_reference_name for t in workflow.definition.tasks]
    position = refs.index(done.reference_task_name) + 1
    if position < len(refs):
        schedule(state, workflow, workflow.definition.tasks[position])
        return
    if workflow.definition.output_parameters:
        workflow.output = evaluate(
            workflow.definition.output_parameters, expression_context(state, workflow)
        )
    else:
        workflow.output = done.output_data
    end_workflow(state, workflow, "COMPLETED", None)


def end_workflow(state: EngineState, workflow: Workflow, status: str, reason: str | None) -> None:
    """Give ``workflow`` its final status; its tasks still open are canceled."""
    workflow.status = status
    workflow.reason_for_incompletion = reason
    workflow.end_time = workflow.update_time = state.now_ms()
    for task_id in workflow.task_ids:
        task = state.tasks[task_id]
        if not task.is_terminal:
            state.end_task(task, "CANCELED")
    log.info("workflow %s %s%s", workflow.workflow_id, status, f": {reason}" if reason else "")


def complete_task(state: EngineState, task: Task) -> None:
    """``task`` completed: its workflow (if it has one) goes on."""
    state.end_task(task, "COMPLETED")
    workflow = state.workflows.get(task.workflow_instance_id)
    if workflow is not None:
        advance(state, workflow, task)
