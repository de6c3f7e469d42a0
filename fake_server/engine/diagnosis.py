"""Why tasks are not moving, in words: what ``GET /fake/diagnose``, the console and the
harness's timeouts say about a stuck run.

The engine already knows everything needed: which queues were polled, by whom and when, when
a waiting task comes due and why (a retry delay, a callback, a start delay), and the
definitions' limits. :func:`diagnose` reads that state (never changes it) and returns one
finding per task that waits for something other than the next poll of a working worker.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from fake_server.engine.domains import ACTIVE_WORKER_WINDOW_MS, queue_name
from fake_server.engine.models import Task
from fake_server.engine.state import EngineState
from fake_server.engine.tasks import SYSTEM_TASKS

# A task handed out this long ago without an update, or a queue last polled this long ago,
# is worth a line; a worker that long-polls polls at least every few seconds.
QUIET_MS = ACTIVE_WORKER_WINDOW_MS
# How alike a polled name must be to be offered as a misspelling (difflib's ratio): 'addd' for
# 'add' (0.86) is; 'send_email' for 'send_sms' (0.67), another task altogether, is not.
CLOSE_NAME_CUTOFF = 0.7

CAUSES = {
    "not_polled": "no worker polls the task's type",
    "domain_not_polled": "no worker polls the task's domain",
    "worker_gone": "the queue's or the task's worker stopped polling",
    "retry_delay": "a retry waiting for its delay",
    "callback": "a task waiting for the callback its worker asked for",
    "start_delay": "a task waiting for its start delay",
    "rate_limit": "the task definition's rate limit is used up",
    "concurrency_limit": "the task definition's concurrency limit is reached",
    "long_running": "a task in progress without an update for a while",
    "wait": "a WAIT task waiting for its time",
    "external_update": "a WAIT or HUMAN task waiting for an update from outside",
}
# System tasks that wait for something other than other tasks (those are diagnosed in turn).
_WAITING_SYSTEM_TASKS = ("WAIT", "HUMAN")


@dataclass(frozen=True)
class Finding:
    """One task that is not moving, and why."""

    cause: str  # a key of CAUSES
    message: str
    task: Task
    workflow_name: str | None
    # When the task moves by itself (a delay or a limit ends), in epoch ms.
    due_time: int | None = None
    did_you_mean: str | None = None

    def to_json(self) -> dict[str, Any]:
        body = {
            "cause": self.cause,
            "message": self.message,
            "taskId": self.task.task_id,
            "taskType": self.task.task_type,
            "referenceTaskName": self.task.reference_task_name,
            "status": self.task.status,
            "domain": self.task.domain,
            "workflowId": self.task.workflow_instance_id,
            "workflowName": self.workflow_name,
            "correlationId": self.task.correlation_id,
            "dueTime": self.due_time,
            "didYouMean": self.did_you_mean,
        }
        return {key: value for key, value in body.items() if value is not None}


def diagnose(state: EngineState) -> dict[str, Any]:
    """``{"now", "findings": [...], "polledQueues": {queue: last poll ms}}``: every task that
    is not moving (workflows' tasks and ad-hoc ones), workflow by workflow, in order."""
    now = state.now_ms()
    findings = [
        finding
        for task in _waiting_tasks(state)
        if (finding := _diagnose_task(state, task, now)) is not None
    ]
    return {
        "now": now,
        "findings": [finding.to_json() for finding in findings],
        "polledQueues": {
            queue_name(task_type, domain): data["lastPollTime"]
            for (task_type, domain), data in state.poll_data.items()
        },
    }


def _waiting_tasks(state: EngineState) -> Iterable[Task]:
    tasks = [task for task in state.tasks.values() if not task.is_terminal]
    return sorted(tasks, key=lambda t: (t.workflow_instance_id, t.seq, t.scheduled_time))


def _diagnose_task(state: EngineState, task: Task, now: int) -> Finding | None:
    workflow = state.workflows.get(task.workflow_instance_id)
    name = workflow.definition.name if workflow is not None else None
    if task.status == "IN_PROGRESS":
        return _in_progress(state, task, name, now)
    if task.status != "SCHEDULED" or not task.queued:
        return None
    if task.ready_ms > now:
        return _not_due_yet(state, task, name, now)
    return _ready_but_not_taken(state, task, name, now)


# -- scheduled tasks that are not due yet ---------------------------------------------------------
def _not_due_yet(state: EngineState, task: Task, name: str | None, now: int) -> Finding:
    due = task.ready_ms
    when = f"pollable at {_clock(due)} (in {_seconds(due - now)})"
    if task.postponed_by:
        cause = "concurrency_limit" if task.postponed_by == "concurrentExecLimit" else "rate_limit"
        limit = _limit(state, task, now)
        detail = limit[1] if limit is not None else f"its {task.postponed_by} was reached"
        message = f"{detail}; a poll put it back in its queue, as Conductor does: {when}"
    elif task.poll_count:
        cause = "callback"
        message = (
            f"its worker {task.worker_id or '(no id)'} answered IN_PROGRESS with "
            f"callbackAfterSeconds={task.callback_after_seconds}: {when}"
        )
    elif task.retried_task_id:
        cause = "retry_delay"
        message = (
            f"retry {task.retry_count} of failed task {task.retried_task_id} waits for its "
            f"retry delay ({task.task_def.retry_logic}, {task.callback_after_seconds} s): {when}"
        )
    else:
        cause = "start_delay"
        message = f"startDelay of {task.start_delay_in_seconds} s: {when}"
    problem = _polling_problem(state, task, now)
    if problem is not None:
        message += f"; then: {problem[1]}"
    return Finding(cause, message + _manual_clock_hint(state), task, name, due_time=due)


# -- ready tasks that no worker takes -------------------------------------------------------------
def _ready_but_not_taken(
    state: EngineState, task: Task, name: str | None, now: int
) -> Finding | None:
    problem = _polling_problem(state, task, now)
    if problem is not None:
        cause, message, suggestion = problem
        return Finding(cause, message, task, name, did_you_mean=suggestion)
    limit = _limit(state, task, now)
    if limit is not None:
        cause, message, due = limit
        return Finding(cause, message, task, name, due_time=due)
    return None  # ready in a polled queue: it moves with the next poll


def _polling_problem(
    state: EngineState, task: Task, now: int
) -> tuple[str, str, str | None] | None:
    """Why no worker will take the task from its queue, if none will."""
    polled = state.poll_data.get((task.task_type, task.domain))
    if polled is not None:
        quiet = now - polled["lastPollTime"]
        if quiet < QUIET_MS:
            return None
        worker = polled.get("workerId") or "(no id)"
        return (
            "worker_gone",
            f"queue '{queue_name(task.task_type, task.domain)}' was last polled "
            f"{_seconds(quiet)} ago, by {worker}: is that worker still running?",
            None,
        )
    domains = sorted(
        (domain or "(no domain)")
        for task_type, domain in state.poll_data
        if task_type == task.task_type
    )
    if task.domain and domains:
        routed = _routing(state, task)
        return (
            "domain_not_polled",
            f"it is in domain '{task.domain}'{routed}, but workers poll '{task.task_type}' only "
            f"in: {', '.join(domains)}",
            None,
        )
    return _never_polled(state, task)


def _never_polled(state: EngineState, task: Task) -> tuple[str, str, str | None]:
    where = f" in domain '{task.domain}'" if task.domain else ""
    polled_types = sorted({task_type for task_type, _ in state.poll_data})
    if not polled_types:
        return (
            "not_polled",
            f"no worker has polled this server yet, so nothing takes '{task.task_type}'{where}:"
            " are the workers running, and pointed at this server (CONDUCTOR_SERVER_URL)?",
            None,
        )
    close = difflib.get_close_matches(task.task_type, polled_types, n=1, cutoff=CLOSE_NAME_CUTOFF)
    if close:
        pollers = _pollers(state, close[0])
        return (
            "not_polled",
            f"no worker polls '{task.task_type}'{where}; the closest name polled is "
            f"'{close[0]}' (by {pollers}): did you mean '{task.task_type}'?",
            close[0],
        )
    return (
        "not_polled",
        f"no worker polls '{task.task_type}'{where}; polled task types: "
        f"{', '.join(polled_types[:10])}{' ...' if len(polled_types) > 10 else ''}",
        None,
    )


def _pollers(state: EngineState, task_type: str) -> str:
    workers = sorted(
        worker_id or "(no id)"
        for worker_id, stats in state.workers.items()
        if any(queue.rpartition(":")[2] == task_type for queue in stats.polls_by_queue)
    )
    return ", ".join(workers[:5]) + (" ..." if len(workers) > 5 else "")


def _routing(state: EngineState, task: Task) -> str:
    workflow = state.workflows.get(task.workflow_instance_id)
    if workflow is None or not workflow.task_to_domain:
        return ""
    mapping = workflow.task_to_domain.get(task.task_type) or workflow.task_to_domain.get("*")
    key = task.task_type if task.task_type in workflow.task_to_domain else "*"
    return f" (the workflow's taskToDomain maps '{key}' to '{mapping}')" if mapping else ""


def _limit(state: EngineState, task: Task, now: int) -> tuple[str, str, int | None] | None:
    """The definition's limit that holds a ready, polled task back, if one does."""
    task_def = task.task_def
    if task_def.concurrent_exec_limit:
        running = state.in_progress[task.task_def_name]
        if running >= task_def.concurrent_exec_limit:
            return (
                "concurrency_limit",
                f"concurrentExecLimit {task_def.concurrent_exec_limit} reached: {running} "
                f"'{task.task_def_name}' tasks in progress; it moves when one of them ends",
                None,
            )
    if task_def.rate_limit_per_frequency:
        window_ms = task_def.rate_limit_frequency_in_seconds * 1000
        recent = [t for t in state.handouts[task.task_def_name] if t > now - window_ms]
        if len(recent) >= task_def.rate_limit_per_frequency:
            due = min(recent) + window_ms
            return (
                "rate_limit",
                f"rateLimitPerFrequency {task_def.rate_limit_per_frequency} per "
                f"{task_def.rate_limit_frequency_in_seconds} s used up ({len(recent)} handed out "
                f"in the window): next hand-out at {_clock(due)} (in {_seconds(due - now)})",
                due,
            )
    return None


# -- tasks in progress ----------------------------------------------------------------------------
def _in_progress(state: EngineState, task: Task, name: str | None, now: int) -> Finding | None:
    if task.task_type in SYSTEM_TASKS:
        return _waiting_system_task(state, task, name, now)
    quiet = now - task.update_time
    if quiet < QUIET_MS:
        return None
    timeout_at = (
        task.update_time
        + (task.task_def.response_timeout_seconds + task.callback_after_seconds) * 1000
    )
    deadline = (
        f"responseTimeoutSeconds {task.task_def.response_timeout_seconds}: it times out at "
        f"{_clock(timeout_at)} (in {_seconds(timeout_at - now)})"
    )
    worker = state.workers.get(task.worker_id or "")
    if (
        task.worker_id is not None
        and worker is not None
        and now - worker.last_poll_time >= QUIET_MS
    ):
        return Finding(
            "worker_gone",
            f"handed to {task.worker_id} {_seconds(now - (task.start_time or task.update_time))}"
            f" ago, which has not polled for {_seconds(now - worker.last_poll_time)}: if it "
            f"died, {deadline}",
            task,
            name,
            due_time=timeout_at,
        )
    return Finding(
        "long_running",
        f"in progress on {task.worker_id or '(no worker id)'}, no update for {_seconds(quiet)}; "
        f"{deadline}",
        task,
        name,
        due_time=timeout_at,
    )


def _waiting_system_task(
    state: EngineState, task: Task, name: str | None, now: int
) -> Finding | None:
    if task.task_type not in _WAITING_SYSTEM_TASKS:
        return None  # a fork, a loop, a sub-workflow: the tasks it waits for speak for it
    if task.wait_until_ms:
        due = task.wait_until_ms
        message = f"waits until {_clock(due)} (in {_seconds(due - now)})"
        return Finding("wait", message + _manual_clock_hint(state), task, name, due_time=due)
    return Finding(
        "external_update",
        f"a {task.task_type} task ends only by an update from outside: POST /api/tasks with "
        f"taskId {task.task_id}, workflowInstanceId {task.workflow_instance_id} and a status",
        task,
        name,
    )


def _manual_clock_hint(state: EngineState) -> str:
    if not state.clock.is_manual:
        return ""
    return "; the server's clock is manual: move it with POST /fake/clock/advance"


def _seconds(ms: float) -> str:
    seconds = max(ms, 0) / 1000
    return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"


def _clock(ms: int) -> str:
    moment = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    return moment.strftime("%H:%M:%S UTC")
