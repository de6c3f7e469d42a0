"""The loop of an ``async def`` worker: one event loop per worker process.

Up to ``thread_count`` tasks await at once (conductor-python 2.0.0's meaning of the setting
for async workers); no thread per task. As in the threaded ``TaskRunner``:

- the poll loop asks for as many tasks as there is free room (one batch poll, long-polled while
  nothing is ready) and starts each task as an asyncio task;
- each asyncio task executes its task, delivers the result with ``update-v2`` and goes on with
  the next task the server returns with it, until there is none;
- ``stop()`` ends polling; running tasks finish and deliver within ``drain_timeout`` seconds;
  a task received while stopping, or still running after the drain, is given back at once
  (``IN_PROGRESS`` with ``callbackAfterSeconds=0``).

The decisions are the runner core's (``_runner_core.RunnerCore``, shared with the threaded
runner); this module only runs it on an event loop. ``run()`` is a coroutine (2.0.0's API):
``asyncio.run(runner.run())``, or ``asyncio.ensure_future(runner.run())`` inside an
application's loop, then ``await runner.stop()``.

Through a proxy it needs ``aiohttp`` (the ``[async]`` extra); without it, such a worker fails
at start with the install command.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Generator
from typing import Any

from conductor.client.automator._held_tasks import HeldTasks
from conductor.client.automator._leases import RunningTask
from conductor.client.automator._runner_core import RunnerCore
from conductor.client.automator._task_execution import run_task_async
from conductor.client.automator._worker_startup import start_worker
from conductor.client.configuration.configuration import Configuration
from conductor.client.configuration.settings.metrics_settings import MetricsSettings
from conductor.client.http.async_task_client import AsyncTaskClient, require_aiohttp
from conductor.client.http.errors import ConductorApiError
from conductor.client.http.models.task import Task
from conductor.client.http.models.task_result import TaskResult
from conductor.client.worker.worker_config import (
    DEFAULT_POLL_TIMEOUT_MS,
    WorkerSettings,
    resolve_worker_settings,
)
from conductor.client.worker.worker_interface import WorkerInterface

logger = logging.getLogger(__name__)

LONG_POLL_MS = DEFAULT_POLL_TIMEOUT_MS
DRAIN_TIMEOUT_SECONDS = 20.0


class AsyncTaskRunner:
    """Runs an async worker's tasks on one event loop until stopped (see the module doc).

    Arguments are those of ``TaskRunner``.
    """

    def __init__(
        self,
        worker: WorkerInterface,
        configuration: Configuration | None = None,
        metrics_settings: MetricsSettings | None = None,
        event_listeners: list[Any] | None = None,
        *,
        settings: WorkerSettings | None = None,
        long_poll_ms: int | None = None,
        drain_timeout: float = DRAIN_TIMEOUT_SECONDS,
        held: HeldTasks | None = None,
    ) -> None:
        self.worker = worker
        self.configuration = configuration or Configuration()
        require_aiohttp(self.configuration)
        self.settings = settings or resolve_worker_settings(
            worker.get_task_definition_name(), worker.get_arguments()
        )
        worker.apply_settings(self.settings)
        self.core = RunnerCore.build(
            worker,
            self.settings,
            event_listeners=event_listeners,
            metrics_settings=metrics_settings,
            held=held,
            long_poll_ms=long_poll_ms,
            logger=logger,
        )
        self.capacity = self.core.capacity
        self.long_poll_ms = self.core.long_poll_ms
        self.drain_timeout = drain_timeout
        self.held, self.events, self.metrics = self.core.held, self.core.events, self.core.metrics
        self.leases = self.core.leases
        self.client: AsyncTaskClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._abandon: asyncio.Event | None = None
        self._room: asyncio.Event | None = None
        self._running: dict[asyncio.Task[None], int] = {}
        self._stop_requested = False
        self._in_run = False

    @property
    def task_name(self) -> str:
        return self.settings.task_name

    @property
    def busy(self) -> int:
        return len(self._running)

    @property
    def stopping(self) -> bool:
        return self._stop_requested

    # -- public ------------------------------------------------------------------------------

    async def run(self, *, burst: bool = False) -> None:
        """Polls and executes on the running event loop until ``stop()`` (or, with ``burst``,
        until the queue is empty and nothing runs); then lets running tasks finish (bounded).

        A coroutine, as in conductor-python 2.0.0: ``asyncio.run(runner.run())`` from
        synchronous code, or ``job = asyncio.ensure_future(runner.run())`` inside an
        application's own loop, later ``await runner.stop()`` and ``await job``.
        """
        self._open()
        assert self._stop is not None and self.client is not None
        self._in_run = True
        logger.info(
            "Started %s (async, up to %d tasks at once); server %s",
            self.settings.describe(),
            self.capacity,
            self.configuration.server_api_url,
        )
        try:
            await asyncio.to_thread(start_worker, self.worker, self.settings, self.configuration)
            poller = asyncio.create_task(self._poll_loop(burst))
            watcher = asyncio.create_task(self._watch_leases())
            await self._stop.wait()
            self.core.stopping = True  # also when the poll loop ended by itself (burst)
            await self._drain(poller)
            watcher.cancel()
        finally:
            self._in_run = False
            await self._close()
        logger.info("Stopped worker %s", self.task_name)

    async def run_once(self) -> int:
        """One turn of the poll loop (conductor-python 2.0.0's ``run_once``): asks for as many
        tasks as there is free room and starts them; returns how many it received. The tasks
        run on after it returns; ``await runner.stop()`` (or leaving ``async with runner``)
        waits for them and closes the connections."""
        self._open()
        if self.core.paused():
            return 0
        count = self.core.poll_count(len(self._running))
        return await self._poll(count, long_poll=True) if count else 0

    def stop(self) -> _Stopping:
        """Stops polling; running tasks finish (bounded by ``drain_timeout``). Thread-safe and
        safe in a signal handler. Takes effect at once; ``await runner.stop()`` (2.0.0's form)
        also works, and when ``run()`` is not running it waits for the tasks that ``run_once``
        started and closes the connections."""
        self._stop_requested = True
        self.core.stopping = True
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(stop.set)
        return _Stopping(self)

    def stop_from_signal(self) -> None:
        self.stop()

    async def __aenter__(self) -> AsyncTaskRunner:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- opening and closing -----------------------------------------------------------------

    def _open(self) -> None:
        """Makes what lives on the running loop: events and the client (once per loop)."""
        loop = asyncio.get_running_loop()
        if self._loop is loop and self.client is not None:
            return
        self._loop = loop
        self._stop = asyncio.Event()
        self._abandon = asyncio.Event()
        self._room = asyncio.Event()
        if self._stop_requested:
            self._stop.set()
        self.client = AsyncTaskClient(self.configuration, pool_maxsize=self.capacity + 1)
        if self.metrics is not None:
            self.client.on_request = self.metrics.record_api_request_time

    async def _close(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            await client.close()

    async def _finish_outside_run(self) -> None:
        """After ``stop()`` when ``run()`` is not running: what ``run_once`` started finishes
        (bounded by ``drain_timeout``), then the connections close."""
        if self._in_run or self.client is None:
            return
        running = list(self._running)
        if running:
            _, pending = await asyncio.wait(running, timeout=self.drain_timeout)
            if pending:
                await self._abandon_running(pending)
        await self._close()

    # -- the poll loop -----------------------------------------------------------------------

    async def _poll_loop(self, burst: bool) -> None:
        assert self._stop is not None and self._room is not None
        core = self.core
        try:
            while not self._stop.is_set():
                if core.paused():
                    await self._sleep(core.pause_check_seconds())
                    continue
                count = core.poll_count(len(self._running))
                if count <= 0:
                    self._room.clear()
                    await self._first(self._room.wait())
                    continue
                received = await self._poll(count, long_poll=not burst)
                if burst and received == 0 and not self._running:
                    break
        except Exception:  # a bug: say so, and stop rather than run without polling
            logger.exception("Worker %s: the poll loop failed; stopping", self.task_name)
        finally:
            self._stop.set()

    async def _poll(self, count: int, *, long_poll: bool) -> int:
        assert self.client is not None
        core = self.core
        timeout_ms = core.poll_timeout_ms(long_poll)
        started = core.poll_started(count)
        try:
            tasks = await self.client.batch_poll(
                self.task_name,
                worker_id=self.settings.worker_id,
                domain=self.settings.domain,
                count=count,
                timeout_ms=timeout_ms,
            )
        except Exception as error:  # the loop survives anything a poll does
            await self._sleep(core.poll_failed(started, error))
            return 0
        answer = core.poll_answered(started, tasks, timeout_ms, long_poll)
        for task, slot in answer.give_back:
            await self._give_back(task, "stopping")
            self.held.release(slot)
        for task, slot in answer.run:
            chain = asyncio.create_task(self._chain(task, slot))
            self._running[chain] = slot
            chain.add_done_callback(self._chain_done)
        if answer.pause:
            await self._sleep(answer.pause)
        return len(answer.run)

    # -- executing ---------------------------------------------------------------------------

    async def _chain(self, task: Task | None, slot: int) -> None:
        assert self.client is not None
        core = self.core
        while task is not None:
            execution = core.execution_started(task)
            result, error = await run_task_async(self.worker, task, self.settings.worker_id)
            watched, body = core.execution_finished(execution, result, error)
            started = core.delivery_started()
            try:
                next_task = await self.client.deliver(result, stop=self._abandon, body=body)
            except ConductorApiError as failure:
                core.delivery_ended(task, result, started, failure)
                return
            core.delivery_ended(task, result, started, None)
            if core.late_result_to_check(watched, result):
                await self._check_late_result(result)
            task, why = core.next_in_chain(next_task, slot)
            if why:
                assert next_task is not None
                await self._give_back(next_task, why)

    def _chain_done(self, chain: asyncio.Task[None]) -> None:
        slot = self._running.pop(chain, -1)
        self.held.release(slot)
        if not chain.cancelled() and chain.exception() is not None:
            logger.error(
                "Worker %s: a task chain failed", self.task_name, exc_info=chain.exception()
            )
        if self._room is not None:
            self._room.set()

    async def _give_back(self, task: Task, why: str) -> None:
        assert self.client is not None
        try:
            await self.client.deliver(self.core.give_back(task, why), stop=self._abandon)
        except ConductorApiError as error:  # best effort: the server's timeouts recover it
            logger.warning(
                "Worker %s: could not give task %s back: %s", self.task_name, task.task_id, error
            )

    # -- response timeouts -------------------------------------------------------------------

    async def _watch_leases(self) -> None:
        """Extends the leases of long tasks, or warns when one overruns (see ``leases``)."""
        wakeup = asyncio.Event()
        self.leases.on_earlier_due = wakeup.set  # called from this loop's own tasks
        while True:
            extend, wait = self.core.leases_due()
            for entry in extend:
                await self._extend_lease(entry)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(wakeup.wait(), None if wait == float("inf") else wait)
            wakeup.clear()

    async def _extend_lease(self, entry: RunningTask) -> None:
        assert self.client is not None
        try:
            await self.client.update(self.core.lease_extension(entry))
        except ConductorApiError as error:  # tried again at the next check
            self.core.lease_extended(entry, error)
            return
        self.core.lease_extended(entry, None)

    async def _check_late_result(self, result: TaskResult) -> None:
        assert self.client is not None
        try:
            on_server = (await self.client.get_task(result.task_id or "")).status
        except ConductorApiError as error:  # only a diagnosis
            logger.debug("Could not look up task %s: %s", result.task_id, error)
            return
        self.core.late_result_checked(result, on_server)

    # -- stopping ----------------------------------------------------------------------------

    async def _drain(self, poller: asyncio.Task[None]) -> None:
        assert self._abandon is not None
        deadline = time.monotonic() + self.drain_timeout
        running = list(self._running)
        if running:
            _, pending = await asyncio.wait(running, timeout=self.drain_timeout)
            if pending:
                await self._abandon_running(pending)
        # A poll in flight may still bring tasks: wait for it (one long poll at most), and
        # give back what it brings.
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(poller, max(0.1, deadline - time.monotonic()))
        self._abandon.set()

    async def _abandon_running(self, pending: set[asyncio.Task[None]]) -> None:
        tasks = self.core.still_held(self.drain_timeout)
        for chain in pending:
            chain.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for task in tasks:
            await self._give_back(task, "stopping")

    # -- helpers -----------------------------------------------------------------------------

    async def _sleep(self, seconds: float) -> None:
        await self._first(asyncio.sleep(seconds))

    async def _first(self, awaitable: Any) -> None:
        """Awaits ``awaitable``, or less if the runner is asked to stop meanwhile."""
        assert self._stop is not None
        waiter = asyncio.ensure_future(awaitable)
        stopper = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for future in (waiter, stopper):
                future.cancel()


class _Stopping:
    """What ``AsyncTaskRunner.stop()`` returns: the stop has happened; awaiting it (2.0.0's
    ``await runner.stop()``) also finishes what ``run_once`` left running."""

    def __init__(self, runner: AsyncTaskRunner) -> None:
        self._runner = runner

    def __await__(self) -> Generator[Any, None, None]:
        return self._runner._finish_outside_run().__await__()
