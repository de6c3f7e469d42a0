"""Where timeouts are checked: a task's ``timeoutSeconds``, ``responseTimeoutSeconds`` and
``pollTimeoutSeconds``, a workflow's ``timeoutSeconds``, each under its ``timeoutPolicy``.

Whatever may time out is watched (:meth:`EngineState.watch`): a deadline goes on a heap, and
:func:`fire_due` (run before every engine call and on the server's background tick) looks at
each object whose deadline has passed. A deadline is a hint: the check reads the object's state
now, so a task that moved on in the meantime is left alone.
"""

from __future__ import annotations

import heapq
import logging

from fake_server.engine.models import Task, Workflow
from fake_server.engine.retries import fail
from fake_server.engine.state import EngineState, poll_timeout_due_ms
from fake_server.engine.workflows import decide, end_workflow

log = logging.getLogger(__name__)


def watch_response_timeout(state: EngineState, task: Task) -> None:
    """A worker holding ``task`` must report within responseTimeoutSeconds of its last word
    (plus the callback it asked for)."""
    seconds = task.task_def.response_timeout_seconds + task.callback_after_seconds
    state.watch(task.update_time + seconds * 1000, "task", task.task_id)


def fire_due(state: EngineState) -> None:
    """Apply every timeout whose deadline has passed."""
    now = state.now_ms()
    deadlines = state.deadlines
    while deadlines and deadlines[0][0] <= now:
        _, _, kind, object_id = heapq.heappop(deadlines)
        if kind == "task":
            _check_task(state, state.tasks.get(object_id), now)
        elif kind == "decide":
            workflow = state.workflows.get(object_id)
            if workflow is not None:
                decide(state, workflow)
        else:
            _check_workflow(state, state.workflows.get(object_id), now)


def task_timeout_due_ms(task: Task) -> int:
    """When a started task runs out of ``timeoutSeconds``: counted from its start plus its
    start delay (Conductor's DeciderService.checkTaskTimeout)."""
    started = task.start_time + task.start_delay_in_seconds * 1000
    return started + task.task_def.timeout_seconds * 1000


def _check_task(state: EngineState, task: Task | None, now: int) -> None:
    if task is None or task.is_terminal:
        return
    task_def = task.task_def
    if task_def.timeout_seconds and task.start_time and now >= task_timeout_due_ms(task):
        elapsed = (now - task.start_time - task.start_delay_in_seconds * 1000) // 1000
        reason = (
            f"Task timed out after {elapsed} seconds. Timeout configured as "
            f"{task_def.timeout_seconds} seconds. Timeout policy configured to "
            f"{task_def.timeout_policy}"
        )
        _time_out(state, task, "timeoutSeconds", reason)
        return
    if task.status == "IN_PROGRESS":
        limit_seconds = task_def.response_timeout_seconds + task.callback_after_seconds
        if now - task.update_time >= limit_seconds * 1000:
            reason = (
                f"responseTimeout: {task_def.response_timeout_seconds} exceeded for the "
                f"taskId: {task.task_id} with Task Definition: {task.task_def_name}"
            )
            log.info("task %s: %s", task.task_id, reason)
            fail(state, task, "TIMED_OUT", reason)
        return
    polled_too_late = task_def.poll_timeout_seconds and now >= poll_timeout_due_ms(task)
    if task.status == "SCHEDULED" and polled_too_late:
        waited = now - task.scheduled_time - task.start_delay_in_seconds * 1000
        reason = (
            f"Task poll timed out after {waited // 1000} seconds. Poll timeout "
            f"configured as {task_def.poll_timeout_seconds} seconds. Timeout policy "
            f"configured to {task_def.timeout_policy}"
        )
        _time_out(state, task, "pollTimeoutSeconds", reason)


def _time_out(state: EngineState, task: Task, kind: str, reason: str) -> None:
    """Apply the task definition's timeoutPolicy to a timeout of ``kind``: ALERT_ONLY logs,
    RETRY fails the attempt as TIMED_OUT (retried while retries remain), TIME_OUT_WF ends the
    workflow TIMED_OUT at once, optional task or not (Conductor's
    DeciderService.timeoutTaskWithTimeoutPolicy)."""
    policy = task.task_def.timeout_policy
    if policy == "ALERT_ONLY":
        if kind not in task.alerted:
            task.alerted = task.alerted | {kind}
            log.warning("task %s (%s): %s", task.task_id, task.task_type, reason)
        return
    log.info("task %s: %s", task.task_id, reason)
    if policy == "RETRY":
        fail(state, task, "TIMED_OUT", reason)
        return
    state.end_task(task, "TIMED_OUT", reason)
    workflow = state.workflows.get(task.workflow_instance_id)
    if workflow is not None:
        end_workflow(state, workflow, "TIMED_OUT", reason, failed_task=task)


def _check_workflow(state: EngineState, workflow: Workflow | None, now: int) -> None:
    if workflow is None or workflow.is_terminal:
        return
    timeout_seconds = workflow.definition.timeout_seconds
    # DeciderService.checkWorkflowTimeout: from the last retry, if any, else from the start.
    elapsed = (now - (workflow.last_retried_time or workflow.start_time)) // 1000
    if elapsed < timeout_seconds:
        return
    policy = workflow.definition.timeout_policy
    reason = (
        f"Workflow timed out after {elapsed} seconds. Timeout configured as "
        f"{timeout_seconds} seconds. Timeout policy configured to {policy}"
    )
    if policy == "ALERT_ONLY":
        if not workflow.timeout_alerted:
            workflow.timeout_alerted = True
            log.warning("workflow %s: %s", workflow.workflow_id, reason)
        return
    end_workflow(state, workflow, "TIMED_OUT", reason)
