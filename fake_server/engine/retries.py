"""What follows when a task fails or times out: a retry while retries remain, else giving up.

The number of retries is the workflow task's ``retryCount`` when it sets one, else the task
definition's; the delay comes from the definition's ``retryLogic`` (see
:func:`~fake_server.engine.definitions.retry_delay_seconds`). A task given up on lets its
workflow go on when it is optional, and fails (or times out) the workflow otherwise.
"""

from __future__ import annotations

import logging

from fake_server.engine.definitions import retry_delay_seconds
from fake_server.engine.domains import resolve_domain
from fake_server.engine.models import Task
from fake_server.engine.scheduling import new_task
from fake_server.engine.state import EngineState
from fake_server.engine.workflows import advance, end_workflow

log = logging.getLogger(__name__)


def fail(state: EngineState, task: Task, status: str, reason: str | None = None) -> None:
    """FAILED or TIMED_OUT: retried while retries remain; FAILED_WITH_TERMINAL_ERROR: never."""
    state.end_task(task, status, reason)
    if status != "FAILED_WITH_TERMINAL_ERROR" and task.retry_count < retry_limit(task):
        retry(state, task)
    else:
        give_up(state, task)


def retry_limit(task: Task) -> int:
    workflow_task = task.workflow_task_def
    if workflow_task is not None and workflow_task.retry_count is not None:
        return workflow_task.retry_count
    return task.task_def.retry_count


def retry(state: EngineState, failed: Task) -> None:
    """Queue a new attempt of ``failed``, pollable after the definition's retry delay."""
    failed.retried = True
    now = state.now_ms()
    workflow = state.workflows.get(failed.workflow_instance_id)
    domain = failed.domain
    if workflow is not None:
        domain = resolve_domain(workflow.task_to_domain, failed.task_type, state.has_active_worker)
    attempt = new_task(
        state,
        failed.task_type,
        failed.task_def,
        workflow_instance_id=failed.workflow_instance_id,
        workflow=workflow,
        workflow_task=failed.workflow_task_def,
        reference_task_name=failed.reference_task_name,
        input_data=failed.input_data,
        domain=domain,
        now=now,
    )
    attempt.retry_count = failed.retry_count + 1
    attempt.retried_task_id = failed.task_id
    delay = retry_delay_seconds(failed.task_def, failed.retry_count)
    attempt.callback_after_seconds = delay
    # DeciderService.retry: the new attempt keeps the reason and shows its delay.
    attempt.start_delay_in_seconds = delay
    attempt.reason_for_incompletion = failed.reason_for_incompletion
    log.info("retrying task %s as %s in %ss", failed.task_id, attempt.task_id, delay)
    state.enqueue(attempt, now + delay * 1000)


def give_up(state: EngineState, task: Task) -> None:
    """A task that will not be retried: an optional one lets its workflow go on."""
    workflow = state.workflows.get(task.workflow_instance_id)
    if workflow is None:
        return
    if task.workflow_task_def is not None and task.workflow_task_def.optional:
        state.set_status(task, "COMPLETED_WITH_ERRORS")
        advance(state, workflow, task)
        return
    reason = (
        f"Task {task.task_id} failed with status: {task.status} and reason: "
        f"'{task.reason_for_incompletion}'"
    )
    end_workflow(state, workflow, "TIMED_OUT" if task.status == "TIMED_OUT" else "FAILED", reason)
