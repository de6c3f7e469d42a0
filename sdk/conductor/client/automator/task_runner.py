"""The loop inside a worker process: poll, hand over, execute, deliver, repeat.

One ``TaskRunner`` serves one worker with ``thread_count`` execution threads:

- the poll loop waits until a thread is free, then asks the server for as many tasks as threads
  are free (one batch poll, held by the server up to ``long_poll_ms`` while nothing is ready),
  and hands each task to a thread;
- a thread executes its task, delivers the result with ``update-v2`` from that same thread, and
  executes the next task the server returns with it right away: at full load that is about one
  request per task, and the poll loop stays asleep until a thread runs out of work;
- a poll that comes back empty *at once* (a server without long polling) is followed by a pause
  of the worker's polling interval; a poll that fails is retried with the SDK's backoff
  (``conductor.client.http.backoff``), logged once when the failures start and once when they end;
- ``paused()`` is checked before every poll, and before running a task that came with an update;
- ``stop()`` ends polling; running tasks finish and deliver their results within
  ``drain_timeout`` seconds, and a poll in flight is waited for (one long poll at most). A task
  the server hands over after ``stop()`` (with an update, or from that poll) is given back at
  once: reported ``IN_PROGRESS`` with ``callbackAfterSeconds=0``, so another worker picks it
  up instead of it waiting for the server's response timeout.

``run()`` blocks until stopped; ``run(burst=True)`` stops by itself once the queue is empty and
nothing runs (handy for tests and benchmarks); ``run_once()`` is one turn of the poll loop.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import selectors
import socket
import threading
import time
from collections.abc import Sequence
from typing import Any

from conductor.client.automator.give_back import give_back_result
from conductor.client.automator.held_tasks import HeldTasks
from conductor.client.automator.leases import (
    LeaseSchedule,
    RunningTask,
    extension_update,
    report_late_result,
    warn_overrun,
)
from conductor.client.automator.task_execution import run_task
from conductor.client.automator.worker_startup import start_worker
from conductor.client.configuration.configuration import Configuration
from conductor.client.configuration.settings.metrics_settings import MetricsSettings
from conductor.client.event.publisher import (
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
from conductor.client.http.backoff import Backoff
from conductor.client.http.encoding import encode_result
from conductor.client.http.models.task import Task
from conductor.client.http.models.task_result import TaskResult
from conductor.client.http.task_client import TaskClient
from conductor.client.telemetry.prometheus import worker_metrics
from conductor.client.worker.worker_config import (
    DEFAULT_POLL_TIMEOUT_MS,
    WorkerSettings,
    resolve_worker_settings,
)
from conductor.client.worker.worker_interface import WorkerInterface, is_paused

logger = logging.getLogger(__name__)

# How long the server may hold an idle poll unless the worker's poll_timeout says otherwise
# (it allows up to 5000 ms). One request per second keeps an idle worker nearly free, and
# bounds how long stopping waits for a poll in flight.
LONG_POLL_MS = DEFAULT_POLL_TIMEOUT_MS
DRAIN_TIMEOUT_SECONDS = 20.0
PAUSE_CHECK_SECONDS = (0.05, 1.0)  # how often a paused worker looks again: bounds


class TaskRunner:
    """Runs ``worker``'s tasks until stopped.

    Arguments:
        worker: the worker.
        configuration: the server to talk to (default: ``Configuration()``, from the
            environment).
        metrics_settings: record Prometheus metrics of this worker (``MetricsSettings``; made
            in this process, so make the runner in the process that runs it).
        event_listeners: objects whose ``on_...`` methods receive this worker's events.
        settings: the worker's resolved settings (default: resolved here from environment,
            ``worker.ini`` and the worker's own arguments).
        client: the ``TaskClient`` to use (default: one made here for ``configuration``; a
            client serves the process that made it, so make the runner in the process that
            runs it).
        long_poll_ms: how long the server may hold an idle poll (0 = no long poll); default:
            the worker's ``poll_timeout`` setting.
        drain_timeout: seconds that running tasks get to finish after ``stop()``.
    """

    def __init__(
        self,
        worker: WorkerInterface,
        configuration: Configuration | None = None,
        metrics_settings: MetricsSettings | None = None,
        event_listeners: Sequence[Any] | None = None,
        *,
        settings: WorkerSettings | None = None,
        client: TaskClient | None = None,
        long_poll_ms: int | None = None,
        drain_timeout: float = DRAIN_TIMEOUT_SECONDS,
        held: HeldTasks | None = None,
    ) -> None:
        self.worker = worker
        self.configuration = configuration if configuration is not None else Configuration()
        self.metrics_settings = metrics_settings
        self.event_listeners = list(event_listeners or [])
        self.settings = settings or resolve_worker_settings(
            worker.get_task_definition_name(), worker.get_arguments()
        )
        worker.apply_settings(self.settings)
        self._own_client = client is None
        self.client = (
            client
            if client is not None
            else TaskClient(self.configuration, pool_maxsize=self.settings.thread_count + 1)
        )
        self.long_poll_ms = self.settings.poll_timeout_ms if long_poll_ms is None else long_poll_ms
        self.drain_timeout = drain_timeout
        self._stop = threading.Event()  # no more polling; chains end
        self._abandon = threading.Event()  # the drain is over: stop retrying deliveries
        self._capacity = threading.Condition()
        self._busy = 0
        self._handoff: queue.SimpleQueue[tuple[Task, int] | None] = queue.SimpleQueue()
        self.held = held or HeldTasks(self.settings.thread_count, shared=False)
        self.metrics = worker_metrics(metrics_settings)
        if self.metrics is not None:
            connection = getattr(self.client, "connection", None)
            if connection is not None:
                connection.on_request = self.metrics.record_api_request_time
        metrics_listener = [self.metrics] if self.metrics is not None else []
        self.events = publisher_for([*self.event_listeners, *metrics_listener])
        self.leases = LeaseSchedule(self.settings.lease_extend_enabled)
        self._threads: list[threading.Thread] = []
        self._poll_backoff = Backoff(f"Worker {self.settings.task_name}: polling", logger)
        self._stop_requested = False  # set by stop_from_signal, read by run()
        self._watcher: threading.Thread | None = None
        self._lease_wakeup = threading.Event()
        self._wakeup: tuple[socket.socket, socket.socket] | None = None

    # -- public ------------------------------------------------------------------------------

    @property
    def task_name(self) -> str:
        return self.settings.task_name

    @property
    def busy(self) -> int:
        """How many tasks are being executed or delivered right now."""
        return self._busy

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run(self, *, burst: bool = False) -> None:
        """Polls and executes until ``stop()``; then lets running tasks finish (bounded).

        With ``burst=True`` it also stops once a poll comes back empty and no task runs.
        """
        self._open()
        wakeup = self._wakeup = socket.socketpair()
        for end in wakeup:
            end.setblocking(False)
        try:
            server = self.configuration.server_api_url
            logger.info("Started %s; server %s", self.settings.describe(), server)
            start_worker(self.worker, self.settings, self.configuration, self.client)
            poller = threading.Thread(
                target=self._poll_loop,
                args=(burst,),
                name=f"poll-{self.task_name}",
                daemon=True,  # past the drain timeout, a poll in flight does not hold the exit
            )
            poller.start()
            self._wait_for_stop_request(wakeup[0])
            self._begin_stop()
            self._drain(poller)
        finally:
            self._wakeup = None
            for end in wakeup:
                end.close()
            self._close()
        logger.info("Stopped worker %s", self.task_name)

    def run_once(self, *, long_poll: bool = True) -> int:
        """One turn of the poll loop: wait for a free thread, poll for as many tasks as threads
        are free, hand them over. Returns how many tasks were received."""
        self._open()
        if self._is_paused():
            self._stop.wait(_pause_check_seconds(self.settings.polling_interval_seconds))
            return 0
        free = self._wait_for_free_threads()
        if free == 0:
            return 0
        timeout_ms = self.long_poll_ms if long_poll else 0
        events = self.events
        if events is not None:
            events.publish(PollStarted(self.task_name, self.settings.worker_id, free))
        started = time.monotonic()
        try:
            tasks = self.client.batch_poll(
                self.task_name,
                worker_id=self.settings.worker_id,
                domain=self.settings.domain,
                count=free,
                timeout_ms=timeout_ms,
            )
        except Exception as error:  # the loop survives anything a poll does
            if events is not None:
                events.publish(PollFailure(self.task_name, _ms_since(started), error))
            self._poll_failed(error)
            return 0
        self._poll_backoff.succeeded()
        if events is not None:
            events.publish(PollCompleted(self.task_name, _ms_since(started), len(tasks)))
        if self._stop.is_set():
            for task in tasks:
                slot = self.held.claim(task.task_id, task.workflow_instance_id)
                self._give_back(task, "stopping")
                self.held.release(slot)
            return 0
        for task in tasks:
            self._hand_over(task)
        answered_at_once = time.monotonic() - started < timeout_ms / 2000.0
        if not tasks and long_poll and (answered_at_once or timeout_ms == 0):
            self._stop.wait(self.settings.polling_interval_seconds)
        return len(tasks)

    def stop(self) -> None:
        """Stops polling; ``run()`` returns once running tasks are done. Thread-safe."""
        self._stop_requested = True
        self._begin_stop()
        self._wake()

    def stop_from_signal(self) -> None:
        """``stop()`` for signal handlers: takes no lock (the interrupted code may hold one)."""
        self._stop_requested = True
        self._wake()

    def wait_until_idle(self, timeout: float | None = None) -> bool:
        """Waits until no task is running; ``False`` if ``timeout`` seconds passed first."""
        with self._capacity:
            return self._capacity.wait_for(lambda: self._busy == 0, timeout)

    # -- the poll loop -----------------------------------------------------------------------

    def _poll_loop(self, burst: bool) -> None:
        try:
            while not self._stop.is_set():
                received = self.run_once(long_poll=not burst)
                if burst and received == 0 and not self._is_paused():
                    self.wait_until_idle()  # what runs may bring more work; then look again
                    if self.run_once(long_poll=False) == 0 and self.wait_until_idle(0):
                        break
        except Exception:  # a bug: say so, and stop rather than run without polling
            logger.exception("Worker %s: the poll loop failed; stopping", self.task_name)
        finally:
            if burst or not self._stop.is_set():
                self.stop()

    def _wait_for_free_threads(self) -> int:
        with self._capacity:
            while self._busy >= self.settings.thread_count and not self._stop.is_set():
                self._capacity.wait()
            if self._stop.is_set():
                return 0
            return self.settings.thread_count - self._busy

    def _hand_over(self, task: Task) -> None:
        slot = self.held.claim(task.task_id, task.workflow_instance_id)
        with self._capacity:
            self._busy += 1
        self._handoff.put((task, slot))

    def _poll_failed(self, error: Exception) -> None:
        self._poll_backoff.failed(error)
        self._stop.wait(self._poll_backoff.delay(self._poll_backoff.failures - 1))

    def _is_paused(self) -> bool:
        if self.settings.paused_by_configuration:
            return self.settings.paused
        return is_paused(self.worker)

    # -- execution threads -------------------------------------------------------------------

    def _execution_thread(self) -> None:
        while True:
            handed = self._handoff.get()
            if handed is None:
                return
            task, slot = handed
            try:
                self._execute_chain(task, slot)
            finally:
                self.held.release(slot)
                with self._capacity:
                    self._busy -= 1
                    self._capacity.notify_all()

    def _execute_chain(self, task: Task | None, slot: int) -> None:
        """Executes ``task``, delivers its result, and goes on with the next task the server
        returns with the update, until there is none (or the worker stops or pauses)."""
        while task is not None:
            result, body = self._execute(task)
            watched = self.leases.finished(task.task_id)
            try:
                next_task = self._deliver(task, result, body)
            except Exception:  # deliver handles server errors: this is a bug
                logger.exception(
                    "Worker %s: delivering the result of task %s failed",
                    self.task_name,
                    result.task_id,
                )
                return
            if watched is not None and watched.overran:
                self._check_late_result(result)
            task = next_task
            if task is None:
                return
            self.held.replace(slot, task.task_id, task.workflow_instance_id)
            if self._stop.is_set() or self._is_paused():
                self._give_back(task, "stopping" if self._stop.is_set() else "paused")
                return

    def _execute(self, task: Task) -> tuple[TaskResult, bytes | None]:
        """Runs one task, watched against its response timeout; tells event listeners. Returns
        the result, and its JSON when the listeners' event needed it (the size of the output)
        to be encoded already."""
        events = self.events
        self.leases.started(task.task_id, task.workflow_instance_id, task.response_timeout_seconds)
        if events is None and not logger.isEnabledFor(logging.DEBUG):
            return run_task(self.worker, task, self.settings.worker_id)[0], None
        if events is not None:
            events.publish(
                TaskExecutionStarted(
                    self.task_name,
                    task.task_id or "",
                    self.settings.worker_id,
                    task.workflow_instance_id,
                )
            )
        started = time.monotonic()
        result, error = run_task(self.worker, task, self.settings.worker_id)
        duration_ms = _ms_since(started)
        logger.debug(
            "Worker %s: task %s %s in %.1f ms",
            self.task_name,
            task.task_id,
            result.status,
            duration_ms,
        )
        if events is None:
            return result, None
        encoded = encode_result(result)
        events.publish(
            execution_event(
                self.task_name,
                self.settings.worker_id,
                task,
                error,
                duration_ms,
                encoded.output_size,
            )
        )
        return result, encoded.body

    def _deliver(self, task: Task, result: TaskResult, body: bytes | None) -> Task | None:
        """Delivers ``result``; tells listeners and metrics when that fails, and how long it
        took. Returns the next task the server handed over with the update, if any."""
        if self.events is None:
            return self.client.deliver(result, stop=self._abandon, body=body)
        failures: list[BaseException] = []
        started = time.monotonic()
        next_task = self.client.deliver(
            result, stop=self._abandon, on_failure=failures.append, body=body
        )
        if failures:
            self.events.publish(
                update_failure_event(
                    self.task_name, self.settings.worker_id, task, result, failures[0]
                )
            )
        if self.metrics is not None:
            status = "FAILURE" if failures else "SUCCESS"
            self.metrics.record_task_update_time(self.task_name, time.monotonic() - started, status)
        return next_task

    def _check_late_result(self, result: TaskResult) -> None:
        """After a task ran past its response timeout: did the server still take its result?"""
        if not result.task_id:
            return
        try:
            on_server = self.client.get_task(result.task_id).status
        except Exception as error:  # only a diagnosis: never fail the worker for it
            logger.debug("Could not look up task %s: %s", result.task_id, error)
            return
        report_late_result(self.task_name, result.task_id, str(result.status), on_server)

    def _give_back(self, task: Task, why: str) -> None:
        """Returns a task this worker will not run to the queue, at once."""
        logger.debug("Worker %s (%s): giving task %s back", self.task_name, why, task.task_id)
        result = give_back_result(task.task_id, task.workflow_instance_id, self.settings.worker_id)
        try:
            self.client.deliver(result, stop=self._abandon)
        except Exception:  # best effort: the server's timeouts recover it
            logger.exception("Worker %s: could not give task %s back", self.task_name, task)

    # -- start and stop ----------------------------------------------------------------------

    def _open(self) -> None:
        if self._watcher is None:
            self._watcher = threading.Thread(
                target=self._watch_leases, name=f"leases-{self.task_name}", daemon=True
            )
            self._watcher.start()
        while len(self._threads) < self.settings.thread_count:
            thread = threading.Thread(
                target=self._execution_thread,
                name=f"{self.task_name}-{len(self._threads) + 1}",
                daemon=True,  # past the drain timeout a stuck task does not hold the exit
            )
            thread.start()
            self._threads.append(thread)

    def _begin_stop(self) -> None:
        self._stop.set()
        with self._capacity:
            self._capacity.notify_all()

    def _wake(self) -> None:
        wakeup = self._wakeup
        if wakeup is None:
            return
        # OSError: the buffer is full (already woken) or the socket closed (already stopped)
        with contextlib.suppress(OSError):
            wakeup[1].send(b"\0")

    def _wait_for_stop_request(self, readable: socket.socket) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(readable, selectors.EVENT_READ)
            while not (self._stop_requested or self._stop.is_set()):
                selector.select()
                with contextlib.suppress(BlockingIOError):
                    readable.recv(64)

    def _drain(self, poller: threading.Thread) -> None:
        deadline = time.monotonic() + self.drain_timeout
        if not self.wait_until_idle(self.drain_timeout):
            self._give_back_wedged()
        # The server would hand tasks to a poll in flight even after this process is gone, so
        # wait for it (at most one long poll) and give back what it brings.
        poller.join(max(0.0, deadline - time.monotonic()))
        self._abandon.set()
        self._lease_wakeup.set()  # the lease watcher ends
        for _ in self._threads:
            self._handoff.put(None)

    def _give_back_wedged(self) -> None:
        """Gives back the tasks still running when the drain time is over: this process is
        leaving without their results, and another worker can run them at once."""
        wedged = self.held.held()
        logger.warning(
            "Worker %s: %d task(s) still running after %.0f s (%s); giving them back to the "
            "server and leaving without their results",
            self.task_name,
            len(wedged),
            self.drain_timeout,
            ", ".join(task_id for task_id, _ in wedged),
        )
        for task_id, workflow_id in wedged:
            self._give_back(Task(task_id=task_id, workflow_instance_id=workflow_id), "stopping")

    def _watch_leases(self) -> None:
        """Extends the leases of long tasks, or warns when one overruns (see ``leases``)."""
        wakeup = self._lease_wakeup
        self.leases.on_earlier_due = wakeup.set
        while not self._abandon.is_set():
            due = self.leases.due()
            now = time.monotonic()
            for entry in due.overrun:
                warn_overrun(self.task_name, entry, now)
            for entry in due.extend:
                self._extend_lease(entry)
            wait = due.next_check - time.monotonic()
            wakeup.wait(None if wait == float("inf") else max(0.01, wait))
            wakeup.clear()

    def _extend_lease(self, entry: RunningTask) -> None:
        try:
            self.client.update(extension_update(entry, self.settings.worker_id))
        except Exception as error:  # tried again at the next check
            logger.warning(
                "Worker %s: could not extend the lease of task %s: %s",
                self.task_name,
                entry.task_id,
                error,
            )
            return
        self.leases.extended(entry)
        logger.debug("Worker %s: extended the lease of task %s", self.task_name, entry.task_id)

    def _close(self) -> None:
        if self._own_client:
            self.client.close()


def _pause_check_seconds(polling_interval_seconds: float) -> float:
    low, high = PAUSE_CHECK_SECONDS
    return min(max(polling_interval_seconds, low), high)


def _ms_since(started: float) -> float:
    return (time.monotonic() - started) * 1000.0
