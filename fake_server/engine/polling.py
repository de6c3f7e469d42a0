"""Where tasks are handed out to workers: polls, poll data, and the definitions' limits
(``concurrentExecLimit``, ``rateLimitPerFrequency``).

The long poll's waiting is the facade's (it holds the lock); :func:`wait_bound` tells it how
long it may sleep before it must look again by itself.
"""

from __future__ import annotations

from fake_server.engine.domains import queue_name
from fake_server.engine.models import Task
from fake_server.engine.state import EngineState
from fake_server.engine.timeouts import watch_response_timeout

MAX_LONG_POLL_MS = 5000
# A batch poll asking for more gets this many: bounds the work one request can cause.
MAX_BATCH_POLL_COUNT = 1000
# A long poll held back only by a rate limit looks again this often.
RATE_LIMIT_RECHECK_MS = 50


def record_poll(
    state: EngineState, task_type: str, domain: str | None, worker_id: str | None
) -> None:
    """Remember who polled what, when (poll data, worker stats, active-worker domains)."""
    now = state.now_ms()
    state.poll_data[(task_type, domain)] = {"workerId": worker_id, "lastPollTime": now}
    state.workers[worker_id or ""].record_poll(queue_name(task_type, domain), now)


def take(
    state: EngineState, task_type: str, domain: str | None, worker_id: str | None, count: int
) -> list[Task]:
    """Up to ``count`` ready tasks of ``task_type`` in ``domain``, now IN_PROGRESS for
    ``worker_id``; fewer when the definition's limits say so."""
    now = state.now_ms()
    queue = queue_name(task_type, domain)
    allowed = allowance(state, task_type, count, now)
    tasks = [state.tasks[task_id] for task_id in state.queues.pop_ready(queue, now, allowed)]
    for task in tasks:
        _hand_out(state, task, queue, worker_id, now)
    return tasks


def allowance(state: EngineState, task_type: str, wanted: int, now: int) -> int:
    """How many tasks of this type may be handed out now under its definition's limits."""
    task_def = state.task_defs.get(task_type)
    if task_def is None:
        return wanted
    if task_def.concurrent_exec_limit:
        wanted = min(wanted, task_def.concurrent_exec_limit - state.in_progress[task_type])
    if task_def.rate_limit_per_frequency:
        handouts = state.handouts[task_type]
        window_start = now - task_def.rate_limit_frequency_in_seconds * 1000
        while handouts and handouts[0] <= window_start:
            handouts.popleft()
        wanted = min(wanted, task_def.rate_limit_per_frequency - len(handouts))
    return max(0, wanted)


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
            state.watch(now + task.task_def.timeout_seconds * 1000, "task", task.task_id)
    watch_response_timeout(state, task)
    state.handouts[task.task_def_name].append(now)
    state.workers[worker_id or ""].tasks_handed_out += 1


def wait_bound(state: EngineState, task_type: str, domain: str | None, remaining: float) -> float:
    """Seconds a long poll with ``remaining`` seconds left may sleep before it must look
    again by itself (when the earliest waiting task comes due, or a rate limit may allow)."""
    now = state.now_ms()
    wake_ms = state.queues.next_ready_ms(queue_name(task_type, domain))
    if wake_ms is not None and allowance(state, task_type, 1, now) == 0:
        wake_ms = max(wake_ms, now + RATE_LIMIT_RECHECK_MS)
    if wake_ms is None:
        return remaining
    return min(remaining, max(wake_ms - now, 1) / 1000)
