"""Forgetting what ended long ago, so that a long run keeps the server's memory flat.

With a retention set (``Engine(retention_seconds=...)``, ``--retention``), a workflow that
ended more than that long ago is removed with its tasks, as ``DELETE /workflow/{id}/remove``
without archiving would; so is an ended task of no workflow (``/fake/tasks``). A sub-workflow
stays while its parent runs (the parent may still retry it). Without a retention, nothing is
ever removed (the default: tests read what ended). Checked at most once a second of the
engine's clock, from the same place timeouts fire, so a test moves a manual clock forward to
see it happen. The counts of what was removed are in the stats (``retention``). A workflow
archived by ``DELETE /workflow/{id}/remove`` goes too once it ended that long ago.

Nothing of what it removed stays behind: the deadlines of the tasks and workflows that are
gone, and the entries they left in the queues' heaps (removal from a queue is lazy) go in the
same pass; so do the hand-out times older than their definition's rate-limit window, the
workers that last polled longer ago than the retention, and what the engine recorded longer
ago than that, which would otherwise grow with every workflow run: the status listener's
notifications (``/fake/status-notifications``), the events EVENT tasks published
(``/fake/events``), and log lines sent for task ids it does not know.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Any

from fake_server.engine import workflow_ops
from fake_server.engine.models import TERMINAL_TASK_STATUSES, Workflow
from fake_server.engine.state import EngineState

CHECK_EVERY_MS = 1000


@dataclass
class Retention:
    """The retention (``None``: keep everything) and what it removed so far."""

    retention_ms: int | None = None
    removed_workflows: int = 0
    removed_tasks: int = 0
    removed_status_notifications: int = 0
    removed_events: int = 0
    removed_stray_logs: int = 0
    removed_workers: int = 0
    next_check_ms: int = 0

    def to_json(self) -> dict[str, Any]:
        seconds = None if self.retention_ms is None else self.retention_ms / 1000.0
        return {
            "seconds": seconds,
            "removedWorkflows": self.removed_workflows,
            "removedTasks": self.removed_tasks,
            "removedStatusNotifications": self.removed_status_notifications,
            "removedEvents": self.removed_events,
            "removedStrayLogs": self.removed_stray_logs,
            "removedWorkers": self.removed_workers,
        }


def prune(state: EngineState, retention: Retention) -> None:
    """Removes what ended more than the retention ago (at most once a second)."""
    if retention.retention_ms is None:
        return
    now = state.now_ms()
    if now < retention.next_check_ms:
        return
    retention.next_check_ms = now + min(CHECK_EVERY_MS, max(retention.retention_ms, 1))
    cutoff = now - retention.retention_ms
    removed = retention.removed_workflows + retention.removed_tasks
    for workflow in [w for w in state.workflows.values() if _expired(w, cutoff)]:
        parent = state.workflows.get(workflow.parent_workflow_id or "")
        if parent is not None and not parent.is_terminal:
            continue
        retention.removed_tasks += len(workflow.task_ids)
        workflow_ops.remove(state, workflow.workflow_id, archive=False)
        retention.removed_workflows += 1
    for task in [t for t in state.tasks.values() if t.workflow_instance_id not in state.workflows]:
        if task.status in TERMINAL_TASK_STATUSES and 0 < task.end_time <= cutoff:
            state.forget_task(task)
            retention.removed_tasks += 1
    _drop_archived(state, retention, cutoff)
    if retention.removed_workflows + retention.removed_tasks > removed:
        _drop_deadlines_of_the_removed(state)
    state.queues.drop_left_behind()
    _drop_old_handouts(state, now)
    _drop_old_workers(state, retention, cutoff)
    _drop_old_records(state, retention, cutoff)


def _drop_archived(state: EngineState, retention: Retention, cutoff: int) -> None:
    """Archived workflows (already out of the engine's tasks) that ended before ``cutoff``."""
    for workflow_id in [i for i, (w, _) in state.archived.items() if _expired(w, cutoff)]:
        _, tasks = state.archived.pop(workflow_id)
        retention.removed_workflows += 1
        retention.removed_tasks += len(tasks)


def _drop_old_workers(state: EngineState, retention: Retention, cutoff: int) -> None:
    """Worker ids (and their processes) that last polled at or before ``cutoff``: a worker
    whose id is new at each start would otherwise stay for ever."""
    for worker_id in [i for i, w in state.workers.items() if w.last_poll_time <= cutoff]:
        del state.workers[worker_id]
        retention.removed_workers += 1
    for key in [k for k, p in state.processes.items() if p.last_poll_time <= cutoff]:
        del state.processes[key]


def _drop_old_records(state: EngineState, retention: Retention, cutoff: int) -> None:
    """What was recorded at or before ``cutoff``: both lists are in the order it happened."""
    retention.removed_status_notifications += _drop_until(
        state.status_notifications, "time", cutoff
    )
    retention.removed_events += _drop_until(state.events, "publishedTime", cutoff)
    for task_id in [i for i, logs in state.stray_logs.items() if logs[-1]["createdTime"] <= cutoff]:
        retention.removed_stray_logs += len(state.stray_logs.pop(task_id))


def _drop_until(records: list[dict[str, Any]], time_key: str, cutoff: int) -> int:
    """Removes the leading ``records`` whose ``time_key`` is at or before ``cutoff``."""
    count = next((i for i, r in enumerate(records) if r[time_key] > cutoff), len(records))
    del records[:count]
    return count


def _drop_deadlines_of_the_removed(state: EngineState) -> None:
    """The deadlines of tasks and workflows that are gone (a response timeout is an hour
    away): the heap is rebuilt without them, at the cost of one pass over it."""
    kept = [
        d for d in state.deadlines if d[3] in (state.workflows if d[2] != "task" else state.tasks)
    ]
    if len(kept) < len(state.deadlines):
        state.deadlines[:] = kept
        heapq.heapify(state.deadlines)


def _drop_old_handouts(state: EngineState, now: int) -> None:
    """Hand-out times matter only within their definition's rate-limit window."""
    for name, handouts in state.handouts.items():
        task_def = state.task_def(name)
        window_ms = task_def.rate_limit_frequency_in_seconds * 1000
        keep_from = now - window_ms if task_def.rate_limit_per_frequency else now
        while handouts and handouts[0] <= keep_from:
            handouts.popleft()


def _expired(workflow: Workflow, cutoff: int) -> bool:
    return bool(workflow.is_terminal and 0 < workflow.end_time <= cutoff)
