"""Everything an engine holds, and the bookkeeping every change of a task goes through.

The rules live in the modules named after them (:mod:`.scheduling`, :mod:`.decider`,
:mod:`.polling`, :mod:`.results`, :mod:`.retries`, :mod:`.timeouts`); they all change tasks
through the methods here, which keep the derived figures (per-queue counts, tasks in progress
per definition, queue membership, deadlines) in step. Nothing here locks: the
:class:`~fake_server.engine.facade.Engine` holds its lock around every call.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import threading
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from fake_server.engine.clock import Clock
from fake_server.engine.definitions import TaskDef, WorkflowDef, default_task_def
from fake_server.engine.domains import ACTIVE_WORKER_WINDOW_MS, queue_name
from fake_server.engine.errors import NotFoundError
from fake_server.engine.models import TERMINAL_TASK_STATUSES, Task, Workflow
from fake_server.engine.queues import TaskQueues
from fake_server.engine.stats import PickupLatencies, WorkerStats

# The admin API's per-queue counters, by task status.
STATS_BUCKETS = {
    "SCHEDULED": "scheduled",
    "IN_PROGRESS": "inProgress",
    "COMPLETED": "completed",
    "FAILED": "failed",
    "FAILED_WITH_TERMINAL_ERROR": "failed",
    "COMPLETED_WITH_ERRORS": "failed",
    "TIMED_OUT": "timedOut",
    "CANCELED": "canceled",
}
STATS_BUCKET_NAMES = ("scheduled", "inProgress", "completed", "failed", "timedOut", "canceled")

# A deadline: (due ms, sequence, kind "task", "workflow" or "decide", id). See :mod:`.timeouts`.
Deadline = tuple[int, int, str, str]


@dataclass(eq=False)
class EngineState:
    clock: Clock
    # Notified whenever a task is queued: wakes the long polls waiting for one.
    changed: threading.Condition
    task_defs: dict[str, TaskDef] = field(default_factory=dict)
    workflow_defs: dict[str, dict[int, WorkflowDef]] = field(default_factory=dict)
    workflows: dict[str, Workflow] = field(default_factory=dict)
    tasks: dict[str, Task] = field(default_factory=dict)
    queues: TaskQueues = field(default_factory=TaskQueues)
    # (task type, domain) -> {"workerId", "lastPollTime"}, as Conductor's poll data.
    poll_data: dict[tuple[str, str | None], dict[str, Any]] = field(default_factory=dict)
    workers: defaultdict[str, WorkerStats] = field(default_factory=lambda: defaultdict(WorkerStats))
    # (worker id, where its polls come from) -> its counters: the worker processes, told apart
    # when they share a worker id (the default, the host name, is the same for all of a host's).
    processes: defaultdict[tuple[str, str], WorkerStats] = field(
        default_factory=lambda: defaultdict(WorkerStats)
    )
    latencies: PickupLatencies = field(default_factory=PickupLatencies)
    # Tasks IN_PROGRESS per task definition name (concurrentExecLimit).
    in_progress: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    # Hand-out times per task definition name (rateLimitPerFrequency).
    handouts: defaultdict[str, deque[int]] = field(default_factory=lambda: defaultdict(deque))
    # Task counts per queue and stats bucket, kept as statuses change: stats stay cheap.
    queue_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    deadlines: list[Deadline] = field(default_factory=list)
    # Log lines sent for task ids the engine does not know (Conductor keeps them too).
    stray_logs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # How long a task over its definition's concurrency or rate limit is put back in its queue
    # (Conductor's taskExecutionPostponeDuration).
    limit_postpone_ms: int = 60_000
    # Tasks whose call to the outside (HTTP) waits for the engine's lock to be released.
    outside_calls: list[str] = field(default_factory=list)
    # Calls taken from that list and being made now, outside the lock (the facade counts them).
    outside_calls_in_flight: int = 0
    # Events published by EVENT tasks (no real sink): what the admin API shows.
    events: list[dict[str, Any]] = field(default_factory=list)
    # What the workflow status listener was told (see :mod:`.status_listener`).
    status_notifications: list[dict[str, Any]] = field(default_factory=list)
    # Workflows removed with archiving, and their tasks: Conductor's index still answers them.
    archived: dict[str, tuple[Workflow, list[Task]]] = field(default_factory=dict)
    # Definitions as workflows start on them, by the id of the definition they were made from
    # (see :mod:`.started_definitions`, which owns the entries).
    started_definitions: dict[int, Any] = field(default_factory=dict)
    _sequence: itertools.count[int] = field(default_factory=itertools.count, init=False)

    def now_ms(self) -> int:
        return self.clock.now_ms()

    # ------------------------------------------------------------------ lookups
    def task(self, task_id: str) -> Task:
        task = self.tasks.get(task_id)
        if task is None:
            raise NotFoundError(f"No such task found by id: {task_id}")
        return task

    def workflow(self, workflow_id: str) -> Workflow:
        workflow = self.workflows.get(workflow_id)
        if workflow is None:
            raise NotFoundError(f"No such workflow found by id: {workflow_id}")
        return workflow

    def task_def(self, task_type: str) -> TaskDef:
        """The registered definition of ``task_type``, else Conductor's defaults."""
        return self.task_defs.get(task_type) or default_task_def(task_type)

    def workflow_def(self, name: str, version: int | None) -> WorkflowDef:
        """The definition ``name`` at ``version`` (the latest when None); 404 otherwise."""
        versions = self.workflow_defs.get(name)
        if versions and version is None:
            return versions[max(versions)]
        if versions and version in versions:
            return versions[version]
        # MetadataMapperService.lookupForWorkflowDefinition's words ("null": the latest)
        shown = "null" if version is None else version
        raise NotFoundError(f"No such workflow defined. name={name}, version={shown}")

    def has_active_worker(self, task_type: str, domain: str) -> bool:
        """Whether a worker polled ``task_type`` in ``domain`` within the last 10 seconds."""
        data = self.poll_data.get((task_type, domain))
        return data is not None and self.now_ms() - data["lastPollTime"] < ACTIVE_WORKER_WINDOW_MS

    def in_test_run(self, task: Task) -> bool:
        """Whether ``task`` belongs to a workflow test run (moved by mocked results only)."""
        workflow = self.workflows.get(task.workflow_instance_id)
        return workflow is not None and workflow.test_run

    # ------------------------------------------------------------------ definitions
    def store_task_def(self, task_def: TaskDef) -> None:
        now = self.now_ms()
        previous = self.task_defs.get(task_def.name)
        created = previous.extra.get("createTime", now) if previous else now
        extra = {**task_def.extra, "createTime": created, "updateTime": now}
        self.task_defs[task_def.name] = dataclasses.replace(task_def, extra=extra)

    def store_workflow_def(self, workflow_def: WorkflowDef) -> None:
        self.workflow_defs.setdefault(workflow_def.name, {})[workflow_def.version] = workflow_def

    # ------------------------------------------------------------------ task bookkeeping
    def add_task(self, task: Task) -> None:
        """Record a new task (and count it in its queue's figures)."""
        self.tasks[task.task_id] = task
        counts = self._counts(task)
        if counts is not None:
            _count(counts, task.status, +1)

    def first_scheduled_ms(self, task: Task) -> int:
        """When the first attempt of ``task`` was scheduled (totalTimeoutSeconds counts from
        there, across retries and their delays)."""
        while task.retried_task_id is not None and task.retried_task_id in self.tasks:
            task = self.tasks[task.retried_task_id]
        return task.scheduled_time

    def forget_task(self, task: Task) -> None:
        """Remove a task from the engine (a restart or rerun drops it, a workflow is removed);
        the caller takes it out of its workflow's list."""
        self.dequeue(task)
        if task.status == "IN_PROGRESS":
            self.in_progress[task.task_def_name] -= 1
        counts = self._counts(task)
        if counts is not None:
            _count(counts, task.status, -1)
        del self.tasks[task.task_id]

    def set_status(self, task: Task, status: str) -> None:
        """The one place a task's status changes: keeps the IN_PROGRESS count per definition
        and the per-queue counts right."""
        if task.status == "IN_PROGRESS":
            self.in_progress[task.task_def_name] -= 1
        if status == "IN_PROGRESS":
            self.in_progress[task.task_def_name] += 1
        counts = self._counts(task)  # once for both buckets: this runs twice per task
        if counts is not None:
            _count(counts, task.status, -1)
            _count(counts, status, +1)
        if task.status in TERMINAL_TASK_STATUSES and status not in TERMINAL_TASK_STATUSES:
            workflow = self.workflows.get(task.workflow_instance_id)
            if workflow is not None:
                workflow.tasks.reopened(task)  # the decider looks at it again
        task.status = status

    def _counts(self, task: Task) -> dict[str, int] | None:
        """The counters of ``task``'s queue; None for a task of a test run, which is in no
        queue (see :meth:`enqueue`)."""
        if self.in_test_run(task):
            return None
        queue = queue_name(task.task_type, task.domain)
        counts = self.queue_counts.get(queue)
        if counts is None:
            counts = self.queue_counts[queue] = dict.fromkeys(STATS_BUCKET_NAMES, 0)
        return counts

    def enqueue(self, task: Task, ready_ms: int) -> None:
        """Put a SCHEDULED task in its queue, pollable from ``ready_ms`` on. A task of a workflow
        test run stays out of the queues: only its mocked results move it (and, out of every
        queue, it never holds up time skipping)."""
        task.ready_ms = ready_ms
        task.postponed_by = None
        if not self.in_test_run(task):
            task.queued = True
            queue = queue_name(task.task_type, task.domain)
            self.queues.push(queue, task.task_id, ready_ms, task.workflow_priority)
        if task.task_def.poll_timeout_seconds:
            self.watch(poll_timeout_due_ms(task), "task", task.task_id)
        if task.task_def.total_timeout_seconds:
            total_ms = task.task_def.total_timeout_seconds * 1000
            self.watch(self.first_scheduled_ms(task) + total_ms, "task", task.task_id)
        self.changed.notify_all()

    def dequeue(self, task: Task) -> None:
        if task.queued:
            self.queues.remove(queue_name(task.task_type, task.domain), task.task_id)
            task.queued = False

    def requeue(self, task: Task, ready_ms: int) -> None:
        """Back to SCHEDULED, pollable again from ``ready_ms`` on (a callback, a lease given
        back)."""
        self.dequeue(task)
        self.set_status(task, "SCHEDULED")
        self.enqueue(task, ready_ms)

    def end_task(self, task: Task, status: str, reason: str | None = None) -> None:
        """Give a task its final status (what follows for its workflow is the caller's)."""
        self.dequeue(task)
        self.set_status(task, status)
        if reason is not None:
            task.reason_for_incompletion = reason
        task.end_time = self.now_ms()
        task.update_time = task.end_time

    def watch(self, due_ms: int, kind: str, object_id: str) -> None:
        """Look at task or workflow ``object_id`` again at ``due_ms`` (see :mod:`.timeouts`)."""
        heapq.heappush(self.deadlines, (due_ms, next(self._sequence), kind, object_id))


def _count(counts: dict[str, int], status: str, delta: int) -> None:
    bucket = STATS_BUCKETS.get(status)
    if bucket:
        counts[bucket] += delta


def poll_timeout_due_ms(task: Task) -> int:
    """When a SCHEDULED ``task`` times out waiting for a poll: ``pollTimeoutSeconds`` after it
    was scheduled (and its start delay), with its ``callbackAfterSeconds`` as slack; re-queueing
    does not restart it (Conductor's DeciderService.checkTaskPollTimeout)."""
    start = task.scheduled_time + task.start_delay_in_seconds * 1000
    return start + (task.task_def.poll_timeout_seconds + task.callback_after_seconds) * 1000
