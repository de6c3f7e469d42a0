"""Where tasks are handed out to workers: polls, poll data, and the definitions' limits
(``concurrentExecLimit``, ``rateLimitPerFrequency``).

As Conductor's ExecutionService.poll: a poll takes the ready tasks it may hand out; one whose
definition (the workflow task's inline ``taskDefinition``, else the registered one, as it was
when the task was scheduled) is at its concurrency limit, or over its rate in the current
window, stays SCHEDULED and goes back to its queue for ``limit_postpone_ms`` (60 s): it is not
handed out the moment a slot frees.

The long poll's waiting is the facade's (it holds the lock); :func:`wait_bound` tells it how
long it may sleep before it must look again by itself.
"""

from __future__ import annotations

import logging
from typing import Any

from fake_server.engine.domains import queue_name
from fake_server.engine.expressions import substitute_secrets
from fake_server.engine.models import Task
from fake_server.engine.state import EngineState
from fake_server.engine.timeouts import task_timeout_due_ms, watch_response_timeout

log = logging.getLogger(__name__)

MAX_LONG_POLL_MS = 5000
# Worker processes remembered (see record_poll); the half that polled longest ago is forgotten.
MAX_PROCESSES = 1000
# A batch poll asking for more gets this many: bounds the work one request can cause.
MAX_BATCH_POLL_COUNT = 1000


def record_poll(
    state: EngineState,
    task_type: str,
    domain: str | None,
    worker_id: str | None,
    source: str | None = None,
) -> None:
    """Remember who polled what, when (poll data, worker stats, active-worker domains);
    ``source``: where the poll came from (see :attr:`EngineState.processes`), when known."""
    now = state.now_ms()
    queue = queue_name(task_type, domain)
    state.poll_data[(task_type, domain)] = {"workerId": worker_id, "lastPollTime": now}
    state.workers[worker_id or ""].record_poll(queue, now)
    if source:
        key = (worker_id or "", source)
        if key not in state.processes and len(state.processes) >= MAX_PROCESSES:
            _forget_oldest_processes(state)
        state.processes[key].record_poll(queue, now)


def _forget_oldest_processes(state: EngineState) -> None:
    """Keeps the half of the processes that polled last: without a process id (another SDK),
    each new connection of a worker counts as a process, which must not grow without end."""
    newest = sorted(state.processes.items(), key=lambda item: item[1].last_poll_time)
    state.processes.clear()
    state.processes.update(newest[len(newest) // 2 :])


def take(
    state: EngineState,
    task_type: str,
    domain: str | None,
    worker_id: str | None,
    count: int,
    source: str | None = None,
) -> list[Task]:
    """Up to ``count`` ready tasks of ``task_type`` in ``domain``, now IN_PROGRESS for
    ``worker_id``; a task over its definition's limits is postponed instead."""
    now = state.now_ms()
    queue = queue_name(task_type, domain)
    handed_out = []
    for task_id in state.queues.pop_ready(queue, now, count):
        task = state.tasks[task_id]
        task.queued = False
        limit = limit_reached(state, task, now)
        if limit is not None:
            log.info("task %s: %s reached, postponed", task.task_id, limit)
            state.enqueue(task, now + state.limit_postpone_ms)
            task.postponed_by = limit
            continue
        _hand_out(state, task, queue, worker_id, now)
        handed_out.append(task)
    if source and handed_out:
        state.processes[(worker_id or "", source)].tasks_handed_out += len(handed_out)
    return handed_out


def for_worker(task: Task) -> dict[str, Any]:
    """The task as a worker receives it: ``${workflow.secrets.X}`` in its input filled in
    (ExecutionService.poll); the stored task keeps the reference."""
    body = task.to_json()
    body["inputData"] = substitute_secrets(task.input_data)
    return body


def limit_reached(state: EngineState, task: Task, now: int) -> str | None:
    """The limit of ``task``'s definition that handing it out now would pass, if any:
    ``concurrentExecLimit`` (tasks IN_PROGRESS) or ``rateLimitPerFrequency`` (hand-outs in the
    last window), both counted per task definition name."""
    task_def = task.task_def
    limit = task_def.concurrent_exec_limit
    if limit and state.in_progress[task.task_def_name] >= limit:
        return "concurrentExecLimit"
    per_window = task_def.rate_limit_per_frequency
    if per_window and task_def.rate_limit_frequency_in_seconds > 0:
        handouts = state.handouts[task.task_def_name]
        window_start = now - task_def.rate_limit_frequency_in_seconds * 1000
        while handouts and handouts[0] <= window_start:
            handouts.popleft()
        if len(handouts) >= per_window:
            return "rateLimitPerFrequency"
    return None


def _hand_out(state: EngineState, task: Task, queue: str, worker_id: str | None, now: int) -> None:
    task.queued = False
    state.set_status(task, "IN_PROGRESS")
    state.latencies.record(queue, now - task.ready_ms)
    task.worker_id = worker_id
    task.poll_count += 1
    task.update_time = now
    task.callback_after_seconds = 0
    if not task.start_time:
        task.start_time = now
        task.first_start_time = now
        if task.task_def.timeout_seconds:
            state.watch(task_timeout_due_ms(task), "task", task.task_id)
    watch_response_timeout(state, task)
    state.handouts[task.task_def_name].append(now)
    state.workers[worker_id or ""].tasks_handed_out += 1


def wait_bound(state: EngineState, task_type: str, domain: str | None, remaining: float) -> float:
    """Seconds a long poll with ``remaining`` seconds left may sleep before it must look
    again by itself (when the earliest waiting task comes due)."""
    now = state.now_ms()
    wake_ms = state.queues.next_ready_ms(queue_name(task_type, domain))
    if wake_ms is None:
        return remaining
    return min(remaining, max(wake_ms - now, 1) / 1000)
