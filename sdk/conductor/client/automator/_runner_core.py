"""Every protocol decision of a worker's runner, in one plain object that does no I/O (internal).

``TaskRunner`` (threads) and ``AsyncTaskRunner`` (asyncio) are drivers around a ``RunnerCore``:
they send the requests and run the code, and ask the core what to do at each step:

- how many tasks to ask for (the free room) and how long the server may hold the poll;
- what a poll's answer means: the tasks to run, the tasks to give back (the worker is
  stopping), and how long to pause (an empty answer that came at once: a server without long
  polling); after a failed poll, how long to back off;
- the deliver-then-take-the-next chain: after a delivery, whether the task the server handed
  over with it runs, or goes back (the worker is stopping or paused);
- giving back: the update that returns a task to the queue at once, and the tasks still held
  when the drain time is over;
- the lease schedule (``leases``): which running tasks to extend or warn about, and when to
  look again; whether a result that came late needs a look at the server;
- which events to publish and which metrics to record, and when a clock reading is needed.

The core reads the clock (a monotonic one) but never the network, threads or the event loop.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from conductor.client.automator._give_back import give_back_result
from conductor.client.automator._held_tasks import HeldTasks
from conductor.client.automator._leases import (
    LeaseSchedule,
    RunningTask,
    extension_update,
    report_late_result,
    warn_overrun,
)
from conductor.client.configuration.settings.metrics_settings import MetricsSettings
from conductor.client.event._publisher import (
    EventPublisher,
    execution_event,
    publisher_for,
    update_failure_event,
)
from conductor.client.event.task_runner_events import (
    PollCompleted,
    PollFailure,
    PollStarted,
    TaskExecutionStarted,
)
from conductor.client.http._backoff import Backoff
from conductor.client.http._encoding import encode_result
from conductor.client.http.models.task import Task
from conductor.client.http.models.task_result import TaskResult
from conductor.client.telemetry.prometheus import WorkerMetrics, worker_metrics
from conductor.client.worker.worker_config import WorkerSettings
from conductor.client.worker.worker_interface import WorkerInterface, is_paused

PAUSE_CHECK_SECONDS = (0.05, 1.0)  # how often a paused worker looks again: bounds


@dataclass
class PollAnswer:
    """What to do with a poll's answer: ``run`` and ``give_back`` are (task, held slot) pairs;
    ``pause`` is how long to wait before the next poll."""

    run: list[tuple[Task, int]] = field(default_factory=list)
    give_back: list[tuple[Task, int]] = field(default_factory=list)
    pause: float = 0.0


@dataclass(frozen=True)
class Execution:
    """One execution under way: when it started (0 when nobody needs the time)."""

    task: Task
    started: float


class RunnerCore:
    """The decisions of one worker's runner (see the module doc).

    Arguments:
        worker: the worker (asked whether it is paused).
        settings: its resolved settings.
        capacity: tasks that may run at once.
        events: the publisher of its events (``NO_EVENTS`` when nobody listens).
        metrics: its Prometheus recorder, if metrics are on.
        held: where the tasks it holds are recorded (for the supervisor).
        long_poll_ms: how long the server may hold an idle poll.
        logger: the driver's logger (messages name the driver's module).
    """

    def __init__(
        self,
        worker: WorkerInterface,
        settings: WorkerSettings,
        capacity: int,
        *,
        events: EventPublisher,
        metrics: WorkerMetrics | None,
        held: HeldTasks,
        long_poll_ms: int,
        logger: logging.Logger,
    ) -> None:
        self.worker = worker
        self.settings = settings
        self.capacity = capacity
        self.events = events
        self.metrics = metrics
        self.held = held
        self.long_poll_ms = long_poll_ms
        self.logger = logger
        self.leases = LeaseSchedule(settings.lease_extend_enabled)
        self.stopping = False  # no more polling; a task handed over from now on goes back
        self._poll_backoff = Backoff(f"Worker {settings.task_name}: polling", logger)
        # Timing an execution is needed for its event, or for the debug line.
        self._time_executions = events.active or logger.isEnabledFor(logging.DEBUG)

    @classmethod
    def build(
        cls,
        worker: WorkerInterface,
        settings: WorkerSettings,
        *,
        event_listeners: Sequence[Any] | None,
        metrics_settings: MetricsSettings | None,
        held: HeldTasks | None,
        long_poll_ms: int | None,
        logger: logging.Logger,
    ) -> RunnerCore:
        """The core of a runner made in the process that runs it: the metrics recorder (when
        ``metrics_settings`` is given) listens to its events beside ``event_listeners``."""
        metrics = worker_metrics(metrics_settings)
        listeners = [*(event_listeners or ()), *([metrics] if metrics is not None else [])]
        capacity = settings.thread_count
        return cls(
            worker,
            settings,
            capacity,
            events=publisher_for(listeners),
            metrics=metrics,
            held=held or HeldTasks(capacity, shared=False),
            long_poll_ms=settings.poll_timeout_ms if long_poll_ms is None else long_poll_ms,
            logger=logger,
        )

    @property
    def task_name(self) -> str:
        return self.settings.task_name

    @property
    def worker_id(self) -> str:
        return self.settings.worker_id

    # -- polling -----------------------------------------------------------------------------

    def paused(self) -> bool:
        """Paused by the environment or ``worker.ini`` (which win), else by the worker."""
        if self.settings.paused_by_configuration:
            return self.settings.paused
        return is_paused(self.worker)

    def pause_check_seconds(self) -> float:
        """How long a paused worker waits before it looks again."""
        low, high = PAUSE_CHECK_SECONDS
        return min(max(self.settings.polling_interval_seconds, low), high)

    def poll_count(self, busy: int) -> int:
        """How many tasks to ask for while ``busy`` run: the free room (0: do not poll)."""
        return 0 if self.stopping else max(0, self.capacity - busy)

    def poll_timeout_ms(self, long_poll: bool) -> int:
        return self.long_poll_ms if long_poll else 0

    def poll_started(self, count: int) -> float:
        if self.events.active:
            self.events.publish(PollStarted(self.task_name, self.worker_id, count))
        return time.monotonic()

    def poll_failed(self, started: float, error: Exception) -> float:
        """Seconds to back off after a failed poll (the failure is logged once per streak)."""
        if self.events.active:
            self.events.publish(PollFailure(self.task_name, _ms_since(started), error))
        self._poll_backoff.failed(error)
        return self._poll_backoff.delay(self._poll_backoff.failures - 1)

    def poll_answered(
        self, started: float, tasks: list[Task], timeout_ms: int, long_poll: bool
    ) -> PollAnswer:
        """Claims a held slot for each task received; says which to run, which to give back
        (the worker is stopping), and how long to pause before the next poll."""
        self._poll_backoff.succeeded()
        elapsed = time.monotonic() - started
        if self.events.active:
            self.events.publish(PollCompleted(self.task_name, elapsed * 1000.0, len(tasks)))
        answer = PollAnswer()
        target = answer.give_back if self.stopping else answer.run
        for task in tasks:
            target.append((task, self.held.claim(task.task_id, task.workflow_instance_id)))
        answered_at_once = elapsed < timeout_ms / 2000.0
        if not tasks and long_poll and (answered_at_once or timeout_ms == 0):
            answer.pause = self.settings.polling_interval_seconds
        return answer

    # -- executing ---------------------------------------------------------------------------

    def execution_started(self, task: Task) -> Execution:
        self.leases.started(task.task_id, task.workflow_instance_id, task.response_timeout_seconds)
        if not self._time_executions:
            return Execution(task, 0.0)
        if self.events.active:
            self.events.publish(
                TaskExecutionStarted(
                    self.task_name, task.task_id or "", self.worker_id, task.workflow_instance_id
                )
            )
        return Execution(task, time.monotonic())

    def execution_finished(
        self, execution: Execution, result: TaskResult, error: BaseException | None
    ) -> tuple[RunningTask | None, bytes | None]:
        """Ends the execution's lease watch and tells listeners. Returns the lease entry (for
        ``late_result_to_check``) and the result's JSON when the event needed it encoded
        already (the size of the output)."""
        task = execution.task
        watched = self.leases.finished(task.task_id)
        if not self._time_executions:
            return watched, None
        duration_ms = _ms_since(execution.started)
        self.logger.debug(
            "Worker %s: task %s %s in %.1f ms",
            self.task_name,
            task.task_id,
            result.status,
            duration_ms,
        )
        if not self.events.active:
            return watched, None
        encoded = encode_result(result)
        self.events.publish(
            execution_event(
                self.task_name, self.worker_id, task, error, duration_ms, encoded.output_size
            )
        )
        return watched, encoded.body

    # -- delivering --------------------------------------------------------------------------

    def delivery_started(self) -> float:
        return time.monotonic() if self.metrics is not None else 0.0

    def delivery_ended(
        self,
        task: Task,
        result: TaskResult,
        started: float,
        failure: BaseException | None,
    ) -> None:
        """Tells listeners of a result the server refused (or that was not delivered), and
        records how long the delivery took."""
        if failure is not None and self.events.active:
            self.events.publish(
                update_failure_event(self.task_name, self.worker_id, task, result, failure)
            )
        if self.metrics is not None:
            status = "FAILURE" if failure is not None else "SUCCESS"
            seconds = time.monotonic() - started
            self.metrics.record_task_update_time(self.task_name, seconds, status)

    def late_result_to_check(self, watched: RunningTask | None, result: TaskResult) -> bool:
        """Whether to ask the server if it still took a result: the task ran past its
        response timeout."""
        return watched is not None and watched.overran and bool(result.task_id)

    def late_result_checked(self, result: TaskResult, on_server: str | None) -> None:
        report_late_result(self.task_name, result.task_id or "", str(result.status), on_server)

    def next_in_chain(self, next_task: Task | None, slot: int) -> tuple[Task | None, str]:
        """After a delivery: the task the server handed over with it, to run next in the same
        slot, or ``(None, why)`` when it goes back (``why``: stopping, paused; empty when there
        is nothing to run)."""
        if next_task is None:
            return None, ""
        self.held.replace(slot, next_task.task_id, next_task.workflow_instance_id)
        if self.stopping:
            return None, "stopping"
        if self.paused():
            return None, "paused"
        return next_task, ""

    # -- giving back -------------------------------------------------------------------------

    def give_back(self, task: Task, why: str) -> TaskResult:
        """The update that returns ``task`` to the queue at once, for another worker."""
        self.logger.debug("Worker %s (%s): giving task %s back", self.task_name, why, task.task_id)
        return give_back_result(task.task_id, task.workflow_instance_id, self.worker_id)

    def still_held(self, drain_timeout: float) -> list[Task]:
        """The tasks still running when the drain is over (this process leaves without their
        results): said once, and returned to be given back."""
        wedged = self.held.held()
        if wedged:
            self.logger.warning(
                "Worker %s: %d task(s) still running after %.0f s (%s); giving them back to "
                "the server and leaving without their results",
                self.task_name,
                len(wedged),
                drain_timeout,
                ", ".join(task_id for task_id, _ in wedged),
            )
        return [Task(task_id=t, workflow_instance_id=w) for t, w in wedged]

    # -- leases ------------------------------------------------------------------------------

    def leases_due(self) -> tuple[list[RunningTask], float]:
        """The leases to extend now, and how long to wait before the next look (``inf``:
        until told; overruns are warned about here)."""
        due = self.leases.due()
        now = time.monotonic()
        for entry in due.overrun:
            warn_overrun(self.task_name, entry, now)
        wait = due.next_check - time.monotonic()
        return due.extend, wait if wait == float("inf") else max(0.01, wait)

    def lease_extension(self, entry: RunningTask) -> TaskResult:
        return extension_update(entry, self.worker_id)

    def lease_extended(self, entry: RunningTask, error: BaseException | None) -> None:
        if error is not None:  # tried again at the next look
            self.logger.warning(
                "Worker %s: could not extend the lease of task %s: %s",
                self.task_name,
                entry.task_id,
                error,
            )
            return
        self.leases.extended(entry)
        self.logger.debug("Worker %s: extended the lease of task %s", self.task_name, entry.task_id)


def _ms_since(started: float) -> float:
    return (time.monotonic() - started) * 1000.0
