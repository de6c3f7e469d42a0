"""Watching running tasks against their response timeouts: lease extension and overruns.

The server times a task out when no update arrives within its ``responseTimeoutSeconds`` (the
polled task carries it), and hands it out again while the first execution may still be
running; that execution's late result is then ignored. So, for each running task:

- with ``lease_extend_enabled``: an ``extendLease`` update is due every 80% of the response
  timeout (conductor-python 2.0.0's rhythm), which restarts the server's clock;
- without it: one warning when the task runs past its response timeout, and, once its result
  is delivered, a check (``late_result_check``) whether the server had already timed it out.

``LeaseSchedule`` only computes what is due when (no threads, no HTTP); each runner sends the
updates with its own client: a thread beside the threaded runner, a coroutine beside the
async one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from conductor.client.http.models.task_result import TaskResult
from conductor.client.http.models.task_result_status import TaskResultStatus

logger = logging.getLogger(__name__)

EXTEND_FRACTION = 0.8  # extend after this share of the response timeout
# A watcher looks at least this often while tasks start; once none has started for as long,
# and none runs, it sleeps until one starts. Not at once when none runs: a worker under load
# runs short tasks back to back, and waking its watcher for each one cost a thread switch.
MAX_CHECK_SECONDS = 1.0
RETRY_SECONDS = 0.25  # an extension that got no answer yet is tried again after this


@dataclass
class RunningTask:
    """A task being executed, as far as its response timeout is concerned."""

    task_id: str
    workflow_id: str
    response_timeout: float  # seconds; 0 means none known
    started: float  # monotonic
    due_at: float  # monotonic: when the next extension (or the overrun warning) falls due
    warned: bool = False
    extensions: int = 0

    @property
    def overran(self) -> bool:
        """Whether it ran past its response timeout without the lease being extended."""
        return self.warned


@dataclass
class Due:
    """What a watcher must do now, and when to look again."""

    extend: list[RunningTask] = field(default_factory=list)
    overrun: list[RunningTask] = field(default_factory=list)
    next_check: float = 0.0  # monotonic; infinite while no task runs


class LeaseSchedule:
    """The running tasks of one worker process and their deadlines. Thread-safe."""

    def __init__(self, extend_leases: bool, clock: Callable[[], float] = time.monotonic) -> None:
        self.extend_leases = extend_leases
        self.clock = clock
        # Called when a new task falls due before the watcher's next planned look.
        self.on_earlier_due: Callable[[], None] | None = None
        self._running: dict[str, RunningTask] = {}
        self._lock = threading.Lock()
        self._next_look = float("inf")
        self._last_start = float("-inf")

    def __len__(self) -> int:
        return len(self._running)

    def started(self, task_id: str | None, workflow_id: str | None, timeout: float | None) -> None:
        """Starts watching a task (one with no id or no response timeout is not watched)."""
        if not task_id or not timeout or timeout <= 0:
            return
        now = self._last_start = self.clock()
        fraction = EXTEND_FRACTION if self.extend_leases else 1.0
        entry = RunningTask(
            task_id, workflow_id or "", float(timeout), now, now + timeout * fraction
        )
        with self._lock:
            self._running[task_id] = entry
        if entry.due_at < self._next_look and self.on_earlier_due is not None:
            self.on_earlier_due()

    def finished(self, task_id: str | None) -> RunningTask | None:
        """Stops watching a task; returns its entry (``None`` if it was not watched)."""
        if not task_id:
            return None
        with self._lock:
            return self._running.pop(task_id, None)

    def extended(self, entry: RunningTask) -> None:
        """An extension was acknowledged by the server: the clock restarts from now."""
        entry.due_at = self.clock() + entry.response_timeout * EXTEND_FRACTION
        entry.extensions += 1

    def due(self) -> Due:
        """The extensions and overrun warnings due now, and when the next one falls due."""
        now = self.clock()
        with self._lock:
            entries = list(self._running.values())
        # Nothing runs nor started lately: nothing to look at until a task starts (which
        # wakes the watcher).
        lately = now - self._last_start < MAX_CHECK_SECONDS
        due = Due(next_check=now + MAX_CHECK_SECONDS if entries or lately else float("inf"))
        for entry in entries:
            if entry.due_at <= now:
                if self.extend_leases:
                    due.extend.append(entry)
                    entry.due_at = now + RETRY_SECONDS  # until the server acknowledges it
                else:
                    due.overrun.append(entry)
                    entry.warned = True
                    entry.due_at = float("inf")
            due.next_check = min(due.next_check, entry.due_at)
        self._next_look = due.next_check
        return due


def extension_update(entry: RunningTask, worker_id: str) -> TaskResult:
    """The ``extendLease`` update of a running task (sent with ``POST /tasks``)."""
    return TaskResult(
        task_id=entry.task_id,
        workflow_instance_id=entry.workflow_id,
        worker_id=worker_id,
        status=TaskResultStatus.IN_PROGRESS,
        extend_lease=True,
    )


def warn_overrun(task_name: str, entry: RunningTask, now: float) -> None:
    logger.warning(
        "Worker %s: task %s has run %.0f s, past its response timeout of %.0f s: the server "
        "times it out and hands it out again while this execution goes on, and will ignore "
        "its result. Long tasks need lease_extend_enabled=True (or a larger "
        "responseTimeoutSeconds in the task definition)",
        task_name,
        entry.task_id,
        now - entry.started,
        entry.response_timeout,
    )


def report_late_result(task_name: str, task_id: str, reported: str, on_server: str | None) -> None:
    """Logs a result that arrived after the task's response timeout and found the task
    already ended by the server (``on_server`` is its status there)."""
    if on_server is None or on_server == reported:
        return
    logger.warning(
        "Worker %s: the %s result of task %s arrived after its response timeout; the server "
        "had already ended the task (%s) and ignored the result (a retry, if any, runs as a "
        "new task)",
        task_name,
        reported,
        task_id,
        on_server,
    )
