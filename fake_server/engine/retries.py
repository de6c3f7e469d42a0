"""What follows when a task fails or times out: a retry while retries remain.

The number of retries is the workflow task's ``retryCount`` when it sets one, else the task
definition's (system tasks without a registered definition have none); the delay comes from the
definition's ``retryLogic`` (see :func:`~fake_server.engine.definitions.retry_delay_seconds`).
FAILED_WITH_TERMINAL_ERROR and CANCELED are never retried, nor are the built-in flow types
(SWITCH, DECISION, FORK, JOIN, EXCLUSIVE_JOIN, DO_WHILE). What happens when no retry is left
is the decider's (:mod:`.decider`).
"""

from __future__ import annotations

import logging
import random
import uuid
from typing import Any

from fake_server.engine.definitions import retry_delay_seconds
from fake_server.engine.domains import resolve_domain
from fake_server.engine.models import Task
from fake_server.engine.scheduling import new_task, task_input
from fake_server.engine.state import EngineState
from fake_server.engine.tasks import SYSTEM_TASKS

log = logging.getLogger(__name__)

RETRIABLE_STATUSES = ("FAILED", "TIMED_OUT")


def may_retry(task: Task) -> bool:
    handler = SYSTEM_TASKS.get(task.task_type)
    if handler is not None and handler.built_in:
        return False
    return task.status in RETRIABLE_STATUSES and task.retry_count < retry_limit(task)


def retry_limit(task: Task) -> int:
    workflow_task = task.workflow_task_def
    if workflow_task is not None and workflow_task.retry_count is not None:
        return workflow_task.retry_count
    return task.task_def.retry_count


def retry(state: EngineState, failed: Task) -> Task:
    """A new attempt of ``failed``: a worker task is queued after the definition's retry
    delay; a system task is returned for the caller to start."""
    failed.retried = True
    failed.executed = True
    now = state.now_ms()
    workflow = state.workflows.get(failed.workflow_instance_id)
    is_system = failed.task_type in SYSTEM_TASKS
    domain = failed.domain
    if workflow is not None and not is_system:
        domain = resolve_domain(workflow.task_to_domain, failed.task_type, state.has_active_worker)
    attempt_id = str(uuid.uuid4())
    attempt = new_task(
        state,
        failed.task_type,
        failed.task_def,
        workflow_instance_id=failed.workflow_instance_id,
        workflow=workflow,
        workflow_task=failed.workflow_task_def,
        reference_task_name=failed.reference_task_name,
        input_data=_attempt_input(state, failed, attempt_id),
        domain=domain,
        now=now,
        task_id=attempt_id,
    )
    attempt.task_def_name = failed.task_def_name
    attempt.iteration = failed.iteration
    attempt.retry_count = failed.retry_count + 1
    attempt.retried_task_id = failed.task_id
    delay = retry_delay_seconds(failed.task_def, failed.retry_count)
    attempt.callback_after_seconds = delay
    # DeciderService.retry: the new attempt keeps the reason and shows its delay.
    attempt.start_delay_in_seconds = delay
    attempt.reason_for_incompletion = failed.reason_for_incompletion
    log.info("retrying task %s as %s in %ss", failed.task_id, attempt.task_id, delay)
    # backoffJitterMs: up to that many milliseconds more, at random (DeciderService.retry).
    jitter_ms = random.randint(0, failed.task_def.backoff_jitter_ms)
    if not is_system:
        state.enqueue(attempt, now + delay * 1000 + jitter_ms)
    return attempt


def _attempt_input(state: EngineState, failed: Task, attempt_id: str) -> dict[str, Any]:
    """DeciderService.retry: the failed attempt's input with the workflow task's parameters
    evaluated again on top (the workflow as it is now, ``${CPEWF_TASK_ID}`` the new id)."""
    workflow = state.workflows.get(failed.workflow_instance_id)
    if workflow is None or failed.workflow_task_def is None:
        return dict(failed.input_data)
    parameters = failed.workflow_task_def.input_parameters
    return {
        **failed.input_data,
        **task_input(state, workflow, parameters, failed.task_def, attempt_id),
    }


def total_time_used_up(
    state: EngineState, task: Task, now: int, *, with_policy: bool = False
) -> str | None:
    """Conductor's message when ``task`` has used up its definition's totalTimeoutSeconds
    since its first attempt was scheduled, else None: the words of
    DeciderService.checkTotalTimeout (``with_policy``, for a pending task) or of its retry
    guard (for a failed one about to be retried)."""
    total = task.task_def.total_timeout_seconds
    if not total:
        return None
    elapsed = (now - state.first_scheduled_ms(task)) // 1000
    if elapsed < total:
        return None
    if with_policy:
        return (
            f"Task {task.task_def_name}/{task.task_id} exceeded total timeout of {total} "
            f"seconds (elapsed {elapsed} seconds across all attempts including retry delays). "
            f"Timeout policy: {task.task_def.timeout_policy}"
        )
    return (
        f"Task {task.task_id}/{task.task_def_name} exceeded total timeout of {total} seconds "
        f"(elapsed {elapsed} seconds across all attempts). No further retries will be "
        "attempted."
    )
