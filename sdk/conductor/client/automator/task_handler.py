"""``TaskHandler``: runs each worker in a process of its own.

Usage, as in the guide::

    with TaskHandler(workers, configuration, scan_for_annotated_workers=True) as task_handler:
        task_handler.start_processes()

``start_processes()`` starts the worker processes and returns at once. Leaving the ``with``
block normally then waits: the workers run until the program receives SIGINT (Ctrl-C) or
SIGTERM, or until ``stop_processes()`` is called; then they are stopped gracefully (running
tasks finish and report) and the block is left. Calling ``stop_processes()`` inside the block
ends it at once, and an exception leaving the block stops the workers too. Programs that carry
on after starting the workers call ``start_processes()`` and later ``stop_processes()``
without the ``with`` block; ``join_processes()`` waits like the block's exit does.

A worker process that dies is restarted, and the tasks it held are given back to the server at
once (see ``supervisor``). ``metrics_settings`` turns on Prometheus metrics (the ``[metrics]``
extra); ``event_listeners`` receive each worker process's events (``conductor.client.event``).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from types import FrameType, TracebackType
from typing import Any

from conductor.client.automator import _worker_discovery as worker_discovery
from conductor.client.automator._give_back import GiveBack
from conductor.client.automator._held_tasks import HeldTasks
from conductor.client.automator._supervisor import RestartPolicy, Supervisor, WorkerSlot
from conductor.client.automator._worker_discovery import WorkerDiscoveryError
from conductor.client.automator._worker_kind import is_async_worker
from conductor.client.automator._worker_process import configure_logging, run_worker_process
from conductor.client.automator.task_runner import DRAIN_TIMEOUT_SECONDS
from conductor.client.automator.worker_isolation import (
    ISOLATION_THREAD,
    ThreadContext,
    isolation_mode,
)
from conductor.client.configuration.configuration import Configuration
from conductor.client.configuration.settings.metrics_settings import MetricsSettings
from conductor.client.http.async_task_client import require_aiohttp
from conductor.client.telemetry import prometheus
from conductor.client.worker._unknown_settings import warn_unknown_settings
from conductor.client.worker.worker_config import (
    WorkerConfigError,
    WorkerSettings,
    resolve_worker_settings,
)
from conductor.client.worker.worker_interface import WorkerInterface
from conductor.client.worker.worker_task import (
    get_registered_worker_names,
    get_registered_workers,
)

__all__ = [
    "TaskHandler",
    "WorkerDiscoveryError",
    "WorkerProcessError",
    "WorkerStartError",
    "get_registered_worker_names",
    "get_registered_workers",
]

logger = logging.getLogger(__name__)

# How long stop_processes() waits for a worker to finish its tasks before killing it: the
# worker's own drain timeout, plus a margin for delivering the last results.
STOP_MARGIN_SECONDS = 5.0
STOP_TIMEOUT_SECONDS = DRAIN_TIMEOUT_SECONDS + STOP_MARGIN_SECONDS
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class WorkerStartError(RuntimeError):
    """A worker cannot be started (for example, it cannot be sent to its process)."""


class WorkerProcessError(RuntimeError):
    """Worker processes ended without being stopped (killed, or crashed in native code)."""


class TaskHandler:
    """Starts one OS process per worker, and stops them.

    Arguments:
        workers: worker instances; several instances of one worker mean several processes,
            and a worker for several task types runs once per task type.
        configuration: the server and credentials (default: ``Configuration()``, from the
            environment).
        metrics_settings: Prometheus metrics of the worker processes (``MetricsSettings``;
            needs the ``[metrics]`` extra): served on ``http_port`` or written to a file.
        scan_for_annotated_workers: also run the ``@WorkerTask`` functions of the application:
            every file under the main script's folder that uses the decorator is imported (see
            ``worker_discovery``). A folder path scans that folder instead. Not given, and
            without ``workers``, the functions decorated so far (in modules already imported)
            are run, as conductor-python does.
        import_modules: modules to import for their ``@WorkerTask`` functions (also runs them).
        event_listeners: objects with ``on_poll_started`` ... ``on_task_update_failure``
            methods (``conductor.client.event.listeners``); each worker process gets a copy.
        monitor_processes: watch the worker processes (default on). Off: a process that dies
            is not restarted (the tasks it held are still given back).
        restart_on_failure: restart a worker process that dies (default on).
        monitor_interval_seconds: the longest the supervisor waits between two looks (deaths
            are seen at once anyway).
        restart_backoff_seconds, restart_backoff_max_seconds: the wait before restarting a
            process that keeps dying at start, doubling from the first up to the second. A
            process that dies after running a while is restarted at once.
        restart_max_attempts: give a worker up after this many restarts (0: never).

    Raises ``WorkerDiscoveryError`` when a module that declares workers cannot be imported.
    """

    def __init__(
        self,
        workers: Iterable[WorkerInterface] | WorkerInterface | None = None,
        configuration: Configuration | None = None,
        metrics_settings: MetricsSettings | None = None,
        scan_for_annotated_workers: bool | str | os.PathLike[str] | None = None,
        import_modules: Sequence[str] | None = None,
        event_listeners: Sequence[Any] | None = None,
        monitor_processes: bool = True,
        restart_on_failure: bool = True,
        monitor_interval_seconds: float = 5.0,
        restart_backoff_seconds: float = 1.0,
        restart_backoff_max_seconds: float = 60.0,
        restart_max_attempts: int = 0,
    ) -> None:
        self.configuration = configuration if configuration is not None else Configuration()
        self.metrics_settings = metrics_settings
        self.event_listeners = list(event_listeners or [])
        self.monitor_processes = bool(monitor_processes)
        self.restart_on_failure = bool(restart_on_failure)
        self.monitor_interval_seconds = _positive(
            "monitor_interval_seconds", monitor_interval_seconds
        )
        self.restart_backoff_seconds = _seconds("restart_backoff_seconds", restart_backoff_seconds)
        self.restart_backoff_max_seconds = _seconds(
            "restart_backoff_max_seconds", restart_backoff_max_seconds
        )
        self.restart_max_attempts = _attempts(restart_max_attempts)
        self.workers = _checked_workers(workers)
        if isinstance(import_modules, str):
            import_modules = [import_modules]
        if import_modules:
            worker_discovery.import_worker_modules(import_modules)
        if scan_for_annotated_workers:
            root = None if scan_for_annotated_workers is True else scan_for_annotated_workers
            worker_discovery.scan_for_annotated_workers(root)
        decorated_too = (
            scan_for_annotated_workers
            or import_modules
            or (workers is None and scan_for_annotated_workers is None)
        )
        if decorated_too:
            self.workers.extend(_checked_workers(get_registered_workers()))
        self.slots: list[WorkerSlot] = []
        self.stop_timeout = STOP_TIMEOUT_SECONDS
        self._stopped = False
        self._supervisor: Supervisor | None = None
        self._metrics: prometheus.MetricsExporter | None = None
        self._give_back = GiveBack(self.configuration)
        self._context: BaseContext | ThreadContext | None = None

    @property
    def processes(self) -> list[BaseProcess]:
        """The worker processes running now (a restarted worker's new process replaces the
        one that died)."""
        return [slot.process for slot in self.slots if slot.process is not None]

    @property
    def task_runner_processes(self) -> list[BaseProcess]:
        """``processes`` under the name of conductor-python 1.x and 2.0.0."""
        return self.processes

    def get_worker_process_status(self) -> list[dict[str, Any]]:
        """Each worker's process now, for health checks (conductor-python 2.0.0's method):
        ``worker`` (task name), ``pid``, ``alive``, ``exitcode``, ``restart_count``, and
        ``exit_codes``, those of its earlier processes that died."""
        return [
            {
                "worker": slot.name,
                "pid": slot.process.pid if slot.process is not None else None,
                "alive": slot.alive,
                "exitcode": slot.process.exitcode if slot.process is not None else None,
                "restart_count": slot.restarts,
                "exit_codes": list(slot.exit_codes),
            }
            for slot in self.slots
        ]

    def is_healthy(self) -> bool:
        """Whether every worker process is running (``False`` before the start)."""
        return bool(self.slots) and all(slot.alive for slot in self.slots)

    @property
    def metrics_url(self) -> str | None:
        """Where the metrics are served (``MetricsSettings(http_port=...)``), once started."""
        return self._metrics.url if self._metrics is not None else None

    # -- the process model (override to choose another) --------------------------------------

    def process_context(self) -> BaseContext | ThreadContext:
        """The multiprocessing context: the start method the program set, else the default;
        with ``CONDUCTOR_WORKER_ISOLATION=thread``, threads of this process instead
        (``worker_isolation``)."""
        if isolation_mode() == ISOLATION_THREAD:
            return ThreadContext()
        return multiprocessing.get_context()

    # -- public ------------------------------------------------------------------------------

    def start_processes(self) -> None:
        """Starts one process per worker and returns at once.

        Checks everything first, so that nothing starts when one worker cannot: the settings
        of every worker (``WorkerConfigError`` names a bad value's source) and, under the
        ``spawn``/``forkserver`` start methods, that every worker can be sent to its process
        (``WorkerStartError`` names the worker and the fix).

        Unless the application has configured logging (the root logger has a handler), the
        SDK's ``conductor.client`` logger gets a handler on stderr, here and in each worker
        process, at INFO (DEBUG with ``configuration.debug``).
        """
        if self.slots:
            logger.warning("Worker processes already started; start_processes() ignored")
            return
        configure_logging(self.configuration)
        context = self._context = self.process_context()
        method = context.get_start_method()
        try:
            plans = [(worker, _resolved_settings(worker)) for worker in self.workers]
        except WorkerConfigError as error:
            # A mistake in the configuration, not in the SDK: the traceback shows the caller's
            # line and the message, not the frames that read the value.
            raise error.with_traceback(None) from None
        self._check_can_start(plans, method)
        warn_unknown_settings(settings.task_name for _, settings in plans)
        self._stopped = False
        self._start_metrics()
        self.slots = [
            WorkerSlot(worker, settings, HeldTasks(settings.thread_count))
            for worker, settings in plans
        ]
        if self._metrics is not None:
            self._metrics.restarts.known([slot.name for slot in self.slots])
        for slot in self.slots:
            self._start_slot(slot)
        if not self.slots:
            logger.warning("No workers to run: pass workers or use scan_for_annotated_workers")
        logger.info(
            "Started %d worker process(es) (%s start method): %s",
            len(self.slots),
            method,
            ", ".join(f"{p.name} (pid {p.pid})" for p in self.processes),
        )
        self._supervisor = self._new_supervisor()
        self._supervisor.start()

    def _check_can_start(
        self, plans: list[tuple[WorkerInterface, WorkerSettings]], method: str
    ) -> None:
        """Fails before anything starts when a worker could not run: a missing extra, or a
        worker that cannot be sent to its process."""
        if any(is_async_worker(worker) for worker, _ in plans):
            require_aiohttp(self.configuration)
        if self.metrics_settings is not None:
            prometheus.require_prometheus()
        if method not in ("fork", ISOLATION_THREAD):
            for worker, settings in plans:
                _check_sendable(worker, self._process_arguments(settings), method)

    def _new_supervisor(self) -> Supervisor:
        metrics = self._metrics
        return Supervisor(
            self.slots,
            self._start_slot,
            self._give_back.submit,
            RestartPolicy(
                monitor_processes=self.monitor_processes,
                restart_on_failure=self.restart_on_failure,
                monitor_interval_seconds=self.monitor_interval_seconds,
                restart_backoff_seconds=self.restart_backoff_seconds,
                restart_backoff_max_seconds=self.restart_backoff_max_seconds,
                restart_max_attempts=self.restart_max_attempts,
            ),
            on_exit=metrics.process_ended if metrics is not None else None,
            on_restart=metrics.count_restart if metrics is not None else None,
        )

    def _start_slot(self, slot: WorkerSlot) -> None:
        assert self._context is not None
        context: Any = self._context  # a multiprocessing context, or a ThreadContext
        process: BaseProcess = context.Process(
            target=run_worker_process,
            args=(slot.worker, self.configuration, slot.settings, slot.held)
            + self._process_arguments(slot.settings)[2:],
            name=f"worker-{slot.name}",
            daemon=True,  # never outlive the program; they stop gracefully on SIGTERM
        )
        process.start()
        slot.process = process
        slot.started_at = time.monotonic()

    def _process_arguments(self, settings: WorkerSettings) -> tuple[Any, ...]:
        """What a worker process receives besides its worker and held-task slots. Its drain
        timeout leaves ``STOP_MARGIN_SECONDS`` of ``stop_timeout`` for the last deliveries."""
        drain_timeout = max(0.5, self.stop_timeout - STOP_MARGIN_SECONDS)
        return (
            self.configuration,
            settings,
            self.metrics_settings,
            self.event_listeners,
            drain_timeout,
        )

    def _start_metrics(self) -> None:
        if self.metrics_settings is None:
            return
        prometheus.prepare_directory(self.metrics_settings)
        self._metrics = prometheus.MetricsExporter(self.metrics_settings)
        self._metrics.start()

    def stop_processes(self) -> None:
        """Stops every worker process and waits for them to end.

        Each process is sent SIGTERM: it stops polling, lets running tasks finish and report
        (within the runner's drain timeout), and exits. A process still running after
        ``stop_timeout`` seconds is killed. Set ``stop_timeout`` before ``start_processes()``:
        the worker processes get ``stop_timeout`` less ``STOP_MARGIN_SECONDS`` to drain, after
        which they give back the tasks still running.
        """
        self._stopped = True
        if self._supervisor is not None:
            self._supervisor.stop()
        alive = [p for p in self.processes if p.is_alive()]
        for process in alive:
            with contextlib.suppress(OSError):  # it may have ended meanwhile
                process.terminate()
        deadline = time.monotonic() + self.stop_timeout
        for process in alive:
            process.join(max(0.0, deadline - time.monotonic()))
        for process in alive:
            if process.is_alive():
                logger.warning(
                    "Worker process %s (pid %s) did not stop within %.0f s: killing it",
                    process.name,
                    process.pid,
                    self.stop_timeout,
                )
                process.kill()
                process.join(5)
        if self._supervisor is not None:
            for slot in self.slots:  # what processes killed after the timeout still held
                self._supervisor.collect(slot, stopping=True)
        self._give_back.finish()
        if self._metrics is not None:
            self._metrics.stop()
            self._metrics = None
        if alive:
            logger.info("Stopped %d worker process(es)", len(alive))

    def join_processes(self) -> None:
        """Waits until every worker process has ended.

        In the main thread of the main process, SIGINT (Ctrl-C) and SIGTERM stop the workers
        gracefully and end the wait (a second signal kills them at once); the previous signal
        handlers are restored afterwards. After Ctrl-C it then raises ``KeyboardInterrupt``,
        as Python does (and conductor-python 2.0.0), so that the program's own
        ``except KeyboardInterrupt`` runs; after SIGTERM it returns. Elsewhere it simply waits.

        Worker processes that die are restarted meanwhile; the wait also ends when none runs
        and none will be restarted (restarts off, or given up after ``restart_max_attempts``):
        then it raises ``WorkerProcessError`` naming the processes that crashed.
        """
        if self._wait_for_workers() == signal.SIGINT:
            raise KeyboardInterrupt

    def _wait_for_workers(self) -> int | None:
        """``join_processes`` without the ``KeyboardInterrupt``: the signal that stopped the
        workers, if one did."""
        if not self.slots or self._supervisor is None:
            return None
        received = None
        if _may_handle_signals():
            received = self._wait_for_workers_or_signal()
        else:
            self._supervisor.done.wait()
        if not self._stopped:
            crashed = [p for p in self.processes if p.exitcode not in (None, 0)]
            if crashed:
                raise WorkerProcessError(
                    "worker processes ended unexpectedly: "
                    + ", ".join(f"{p.name} (pid {p.pid}, exit code {p.exitcode})" for p in crashed)
                )
        return received

    def _wait_for_workers_or_signal(self) -> int | None:
        assert self._supervisor is not None
        with _SignalWait() as wait:
            while not (self._supervisor.done.is_set() or wait.received):
                wait.until_ready([self._supervisor.done_waitable])
            if not wait.received:
                return None
            signum = wait.received[0]
            logger.info("%s", self._stopping_message(signum))
            wait.on_second_signal = self._kill_all
            self.stop_processes()
            if len(wait.received) > 1:
                logger.warning(
                    "Received %s again: killed the worker processes at once; the tasks they "
                    "were running went back to the server (another worker runs them from "
                    "the start)",
                    signal.Signals(wait.received[1]).name,
                )
            return signum

    def _stopping_message(self, signum: int) -> str:
        """What the first stop signal does, and what a second one would."""
        name = signal.Signals(signum).name
        alive = len([p for p in self.processes if p.is_alive()])
        running = sum(len(slot.held.held()) for slot in self.slots)
        head = f"Received {name}: stopping {alive} worker process(es)"
        if not running:
            return head
        again = "Ctrl-C again" if signum == signal.SIGINT else f"{name} again"
        return (
            f"{head}; waiting for {running} running task(s), up to {self.stop_timeout:.0f} s; "
            f"{again} to give them back now"
        )

    def __enter__(self) -> TaskHandler:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None and not self._stopped:
                self._wait_for_workers()  # Ctrl-C here ends the block quietly
        finally:
            self.stop_processes()

    # -- helpers -----------------------------------------------------------------------------

    def _kill_all(self) -> None:
        for process in self.processes:
            with contextlib.suppress(OSError, ValueError):
                process.kill()


class _SignalWait:
    """Waits for process sentinels or SIGINT/SIGTERM, with handlers installed only meanwhile.

    The handler only records the signal and writes a byte to a socket (no locks: it runs
    between two bytecodes of whatever the main thread was doing).
    """

    def __init__(self) -> None:
        self.received: list[int] = []
        self.on_second_signal: Any = None
        self._reader, self._writer = socket.socketpair()
        self._writer.setblocking(False)
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _SignalWait:
        for signum in _STOP_SIGNALS:
            self._previous[signum] = signal.signal(signum, self._on_signal)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._reader.close()
        self._writer.close()

    def until_ready(self, waitables: list[Any]) -> None:
        multiprocessing.connection.wait([*waitables, self._reader])

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.received.append(signum)
        if len(self.received) > 1 and self.on_second_signal is not None:
            self.on_second_signal()
        with contextlib.suppress(OSError):
            self._writer.send(b"\0")


def _may_handle_signals() -> bool:
    return (
        threading.current_thread() is threading.main_thread()
        and multiprocessing.parent_process() is None
    )


def _checked_workers(workers: Iterable[Any] | WorkerInterface | None) -> list[Any]:
    """One worker per process to start: a worker for several task types becomes one copy
    per task type."""
    if workers is None:
        return []
    given: Iterable[Any] = [workers] if isinstance(workers, WorkerInterface) else workers
    checked = []
    for index, worker in enumerate(given):
        if worker is Ellipsis:  # the guide writes "and more of the same" as a literal `...`
            continue
        if not isinstance(worker, WorkerInterface):
            raise TypeError(
                f"TaskHandler: workers[{index}] is a {type(worker).__name__}, not a worker: "
                "pass Worker(...) or an instance of a WorkerInterface subclass"
            )
        checked.extend(worker.one_per_task())
    return checked


def _resolved_settings(worker: WorkerInterface) -> WorkerSettings:
    return resolve_worker_settings(worker.get_task_definition_name(), worker.get_arguments())


def _check_sendable(worker: WorkerInterface, arguments: tuple[Any, ...], method: str) -> None:
    """Fails now, naming the worker and the fix, if the worker cannot reach its process."""
    name = worker.get_task_definition_name()
    try:
        pickle.dumps((worker, *arguments))
    except Exception as error:
        raise WorkerStartError(
            f"worker {name!r} ({worker!r}) cannot be sent to its process under the {method!r} "
            f"start method: {type(error).__name__}: {error}. Define the worker's function or "
            "class at the top level of a module (not a lambda, nor inside a function or a "
            "class), and create resources that cannot be copied (connections, locks, open "
            "files, clients) when they are first used rather than in __init__ (event listeners "
            "too); or use the 'fork' start method"
        ) from error
    for code in _code_of(worker):
        module = getattr(code, "__module__", None)
        if module == "__main__" and not getattr(sys.modules["__main__"], "__file__", None):
            raise WorkerStartError(
                f"worker {name!r} uses {code.__qualname__} defined in an interactive session "
                f"or `python -c`, which a {method!r} worker process cannot import: define it "
                "in a module file"
            )


def _code_of(worker: WorkerInterface) -> list[Any]:
    code = [type(worker)]
    function = getattr(worker, "execute_function", None)
    if function is not None:
        code.append(function)
    return code


def _positive(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1e9:
        raise ValueError(f"TaskHandler: {name}={value!r} must be a positive number of seconds")
    return float(value)


def _seconds(name: str, value: float) -> float:
    """A wait in seconds, 0 allowed (no wait)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1e9:
        raise ValueError(f"TaskHandler: {name}={value!r} must be a number of seconds, 0 or more")
    return float(value)


def _attempts(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(
            f"TaskHandler: restart_max_attempts={value!r} must be a whole number, 0 (no limit) "
            "or more"
        )
    return value
