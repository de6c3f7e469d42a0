"""Where timeouts are checked: a task's ``timeoutSeconds``, ``responseTimeoutSeconds`` and
``pollTimeoutSeconds``, a workflow's ``timeoutSeconds``, each under its ``timeoutPolicy``.

Whatever may time out is watched (:meth:`EngineState.watch`): a deadline goes on a heap, and
:func:`fire_due` (run before every engine call and on the server's background tick) looks at
each object whose deadline has passed. A deadline is a hint: the check reads the object's state
now, so a task that moved on in the meantime is left alone. The same heap holds the decider's
appointments with the clock (a WAIT's end); :func:`next_deadline` tells a time-skipping engine
which deadline will really change something next.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Iterator

from fake_server.engine.decider import decide, end_workflow, fail, next_wake
from fake_server.engine.models import Task, Workflow
from fake_server.engine.retries import total_time_used_up
from fake_server.engine.state import EngineState, poll_timeout_due_ms

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


def next_deadline(state: EngineState) -> tuple[int, str] | None:
    """The earliest deadline that will still change something when it comes, with what it is
    (due now or in the past: the decider has more to do). Deadlines that would change nothing
    (the task or workflow moved on) are dropped on the way, as :func:`fire_due` would drop
    them."""
    deadlines = state.deadlines
    while deadlines:
        due, _, kind, object_id = deadlines[0]
        what = _what_comes_due(state, kind, object_id, due)
        if what is not None:
            return due, what
        heapq.heappop(deadlines)
    return None


def _what_comes_due(state: EngineState, kind: str, object_id: str, due: int) -> str | None:
    """What the deadline ``(due, kind, object_id)`` will do when it comes: the same checks as
    :func:`fire_due`'s, made at ``due`` (an idle engine changes nothing until then)."""
    if kind == "task":
        task = state.tasks.get(object_id)
        timeout = _task_timeout_at(state, task, due) if task is not None else None
        if task is None or timeout is None or _alerted_already(task, timeout):
            return None
        return f"{timeout} of task {task.reference_task_name} ({task.task_id})"
    workflow = state.workflows.get(object_id)
    if workflow is None or workflow.is_terminal:
        return None
    name = f"workflow {workflow.definition.name} ({workflow.workflow_id})"
    if kind == "decide":
        if due <= state.now_ms():
            return f"the decider's next pass over {name}"
        wake = next_wake(state, workflow)
        if wake is None or wake[0] > due:
            return None
        task = wake[1]
        return f"{task.task_type} task {task.reference_task_name} of {name}"
    if not _workflow_timed_out_at(workflow, due) or workflow.timeout_alerted:
        return None
    return f"timeoutSeconds of {name}"


def task_timeout_due_ms(task: Task) -> int:
    """When a started task runs out of ``timeoutSeconds``: counted from its start plus its
    start delay (Conductor's DeciderService.checkTaskTimeout)."""
    started = task.start_time + task.start_delay_in_seconds * 1000
    return started + task.task_def.timeout_seconds * 1000


def _task_timeout_at(state: EngineState, task: Task, now: int) -> str | None:
    """The timeout a check of ``task`` at ``now`` applies: the first of those that ran out
    (see :func:`_run_out`) that is not an ALERT_ONLY one already logged, as Conductor's decider
    checks them one after the other; None when none applies."""
    if task.is_terminal:
        return None
    return next((t for t in _run_out(state, task, now) if not _alerted_already(task, t)), None)


def _run_out(state: EngineState, task: Task, now: int) -> Iterator[str]:
    """The timeouts of an open ``task`` that have run out at ``now``, in Conductor's order:
    ``totalTimeoutSeconds`` (since the first attempt), ``timeoutSeconds`` (once started),
    ``pollTimeoutSeconds`` (scheduled), ``responseTimeoutSeconds`` (in progress; 0 is none)."""
    task_def = task.task_def
    if total_time_used_up(state, task, now) is not None:
        yield "totalTimeoutSeconds"
    if task_def.timeout_seconds and task.start_time and now >= task_timeout_due_ms(task):
        yield "timeoutSeconds"
    polled_too_late = task_def.poll_timeout_seconds and now >= poll_timeout_due_ms(task)
    if task.status == "SCHEDULED" and polled_too_late:
        yield "pollTimeoutSeconds"
    if task.status == "IN_PROGRESS" and task_def.response_timeout_seconds:
        limit_seconds = task_def.response_timeout_seconds + task.callback_after_seconds
        if now - task.update_time >= limit_seconds * 1000:
            yield "responseTimeoutSeconds"


def _alerted_already(task: Task, timeout: str) -> bool:
    """An ALERT_ONLY timeout is logged once; after that, checking it changes nothing."""
    return timeout in task.alerted and task.task_def.timeout_policy == "ALERT_ONLY"


def _check_task(state: EngineState, task: Task | None, now: int) -> None:
    timeout = _task_timeout_at(state, task, now) if task is not None else None
    if task is None or timeout is None:
        return
    task_def = task.task_def
    total_reason = total_time_used_up(state, task, now, with_policy=True)
    if timeout == "totalTimeoutSeconds" and total_reason is not None:
        _time_out(state, task, timeout, total_reason)
    elif timeout == "timeoutSeconds":
        elapsed = (now - task.start_time - task.start_delay_in_seconds * 1000) // 1000
        reason = (
            f"Task timed out after {elapsed} seconds. Timeout configured as "
            f"{task_def.timeout_seconds} seconds. Timeout policy configured to "
            f"{task_def.timeout_policy}"
        )
        _time_out(state, task, timeout, reason)
    elif timeout == "responseTimeoutSeconds":
        reason = (
            f"responseTimeout: {task_def.response_timeout_seconds} exceeded for the "
            f"taskId: {task.task_id} with Task Definition: {task.task_def_name}"
        )
        log.info("task %s: %s", task.task_id, reason)
        fail(state, task, "TIMED_OUT", reason)
    else:
        waited = now - task.scheduled_time - task.start_delay_in_seconds * 1000
        reason = (
            f"Task poll timed out after {waited // 1000} seconds. Poll timeout "
            f"configured as {task_def.poll_timeout_seconds} seconds. Timeout policy "
            f"configured to {task_def.timeout_policy}"
        )
        _time_out(state, task, timeout, reason)


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


def _timeout_start(workflow: Workflow) -> int:
    return workflow.last_retried_time or workflow.start_time


def _workflow_timed_out_at(workflow: Workflow, now: int) -> bool:
    timeout_seconds = workflow.definition.timeout_seconds
    return bool(timeout_seconds) and (now - _timeout_start(workflow)) // 1000 >= timeout_seconds


def _check_workflow(state: EngineState, workflow: Workflow | None, now: int) -> None:
    if workflow is None or workflow.is_terminal or not _workflow_timed_out_at(workflow, now):
        return
    timeout_seconds = workflow.definition.timeout_seconds
    # DeciderService.checkWorkflowTimeout: from the last retry, if any, else from the start.
    elapsed = (now - _timeout_start(workflow)) // 1000
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
