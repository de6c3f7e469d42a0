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
  (``conductor.client.http._backoff``), logged once when the failures start and once when they end;
- ``paused()`` is checked before every poll, and before running a task that came with an update;
- ``stop()`` ends polling; running tasks finish and deliver their results within
  ``drain_timeout`` seconds, and a poll in flight is waited for (one long poll at most). A task
  the server hands over after ``stop()`` (with an update, or from that poll) is given back at
  once: reported ``IN_PROGRESS`` with ``callbackAfterSeconds=0``, so another worker picks it
  up instead of it waiting for the server's response timeout.

Every decision above is the runner core's (``_runner_core.RunnerCore``, shared with the
asyncio runner); this module only runs it on threads.

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

from conductor.client.automator._held_tasks import HeldTasks
from conductor.client.automator._leases import RunningTask
from conductor.client.automator._runner_core import RunnerCore
from conductor.client.automator._task_execution import run_task
from conductor.client.automator._worker_startup import start_worker
from conductor.client.configuration.configuration import Configuration
from conductor.client.configuration.settings.metrics_settings import MetricsSettings
from conductor.client.http.models.task import Task
from conductor.client.http.models.task_result import TaskResult
from conductor.client.http.task_client import TaskClient
from conductor.client.worker.worker_config import (
    DEFAULT_POLL_TIMEOUT_MS,
    WorkerSettings,
    resolve_worker_settings,
)
from conductor.client.worker.worker_interface import WorkerInterface

logger = logging.getLogger(__name__)

# How long the server may hold an idle poll unless the worker's poll_timeout says otherwise
# (it allows up to 5000 ms). One request per second keeps an idle worker nearly free, and
# bounds how long stopping waits for a poll in flight.
LONG_POLL_MS = DEFAULT_POLL_TIMEOUT_MS
DRAIN_TIMEOUT_SECONDS = 20.0


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
        self.drain_timeout = drain_timeout
        self._stop = threading.Event()  # no more polling; chains end
        self._abandon = threading.Event()  # the drain is over: stop retrying deliveries
        self._capacity = threading.Condition()
        self._busy = 0
        self._handoff: queue.SimpleQueue[tuple[Task, int] | None] = queue.SimpleQueue()
        self.core = RunnerCore.build(
            worker,
            self.settings,
            event_listeners=self.event_listeners,
            metrics_settings=metrics_settings,
            held=held,
            long_poll_ms=long_poll_ms,
            logger=logger,
        )
        self.held, self.events, self.metrics = self.core.held, self.core.events, self.core.metrics
        connection = getattr(self.client, "connection", None)
        if self.metrics is not None and connection is not None:
            connection.on_request = self.metrics.record_api_request_time
        self.long_poll_ms = self.core.long_poll_ms
        self.leases = self.core.leases
        self._threads: list[threading.Thread] = []
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
        core = self.core
        if core.paused():
            self._stop.wait(core.pause_check_seconds())
            return 0
        count = self._wait_for_free_threads()
        if count == 0:
            return 0
        timeout_ms = core.poll_timeout_ms(long_poll)
        started = core.poll_started(count)
        try:
            tasks = self.client.batch_poll(
                self.task_name,
                worker_id=self.settings.worker_id,
                domain=self.settings.domain,
                count=count,
                timeout_ms=timeout_ms,
            )
        except Exception as error:  # the loop survives anything a poll does
            self._stop.wait(core.poll_failed(started, error))
            return 0
        answer = core.poll_answered(started, tasks, timeout_ms, long_poll)
        for task, slot in answer.give_back:
            self._give_back(task, "stopping")
            self.held.release(slot)
        for task, slot in answer.run:
            with self._capacity:
                self._busy += 1
            self._handoff.put((task, slot))
        if answer.pause:
            self._stop.wait(answer.pause)
        return len(answer.run)

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
                if burst and received == 0 and not self.core.paused():
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
            return self.core.poll_count(self._busy)

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
        core = self.core
        while task is not None:
            execution = core.execution_started(task)
            result, error = run_task(self.worker, task, self.settings.worker_id)
            watched, body = core.execution_finished(execution, result, error)
            try:
                next_task = self._deliver(task, result, body)
            except Exception:  # deliver handles server errors: this is a bug
                logger.exception(
                    "Worker %s: delivering the result of task %s failed",
                    self.task_name,
                    result.task_id,
                )
                return
            if core.late_result_to_check(watched, result):
                self._check_late_result(result)
            task, why = core.next_in_chain(next_task, slot)
            if why:
                assert next_task is not None
                self._give_back(next_task, why)

    def _deliver(self, task: Task, result: TaskResult, body: bytes | None) -> Task | None:
        """Delivers ``result``; returns the next task the server handed over with it."""
        failures: list[BaseException] = []
        started = self.core.delivery_started()
        next_task = self.client.deliver(
            result, stop=self._abandon, on_failure=failures.append, body=body
        )
        self.core.delivery_ended(task, result, started, failures[0] if failures else None)
        return next_task

    def _check_late_result(self, result: TaskResult) -> None:
        """After a task ran past its response timeout: did the server still take its result?"""
        try:
            on_server = self.client.get_task(result.task_id or "").status
        except Exception as error:  # only a diagnosis: never fail the worker for it
            logger.debug("Could not look up task %s: %s", result.task_id, error)
            return
        self.core.late_result_checked(result, on_server)

    def _give_back(self, task: Task, why: str) -> None:
        """Returns a task this worker will not run to the queue, at once."""
        try:
            self.client.deliver(self.core.give_back(task, why), stop=self._abandon)
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
        self.core.stopping = True
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
        for task in self.core.still_held(self.drain_timeout):
            self._give_back(task, "stopping")

    def _watch_leases(self) -> None:
        """Extends the leases of long tasks, or warns when one overruns (see ``leases``)."""
        wakeup = self._lease_wakeup
        self.leases.on_earlier_due = wakeup.set
        while not self._abandon.is_set():
            extend, wait = self.core.leases_due()
            for entry in extend:
                self._extend_lease(entry)
            wakeup.wait(None if wait == float("inf") else wait)
            wakeup.clear()

    def _extend_lease(self, entry: RunningTask) -> None:
        try:
            self.client.update(self.core.lease_extension(entry))
        except Exception as error:  # tried again at the next check
            self.core.lease_extended(entry, error)
            return
        self.core.lease_extended(entry, None)

    def _close(self) -> None:
        if self._own_client:
            self.client.close()
