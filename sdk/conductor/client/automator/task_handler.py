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

from conductor.client.automator import worker_discovery
from conductor.client.automator.accepted_arguments import warn_runtime_arguments
from conductor.client.automator.task_runner import DRAIN_TIMEOUT_SECONDS
from conductor.client.automator.worker_discovery import WorkerDiscoveryError
from conductor.client.automator.worker_process import configure_logging, run_worker_process
from conductor.client.configuration.configuration import Configuration
from conductor.client.configuration.settings.metrics_settings import MetricsSettings
from conductor.client.worker.worker_config import WorkerSettings, resolve_worker_settings
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
STOP_TIMEOUT_SECONDS = DRAIN_TIMEOUT_SECONDS + 5.0
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
        metrics_settings: accepted (``self.metrics_settings``); no metrics are collected yet.
        scan_for_annotated_workers: also run the ``@WorkerTask`` functions of the application:
            every file under the main script's folder that uses the decorator is imported (see
            ``worker_discovery``). A folder path scans that folder instead. Not given, and
            without ``workers``, the functions decorated so far (in modules already imported)
            are run, as conductor-python does.
        import_modules: modules to import for their ``@WorkerTask`` functions (also runs them).
        event_listeners, monitor_processes, restart_on_failure, monitor_interval_seconds,
        restart_backoff_seconds, restart_backoff_max_seconds, restart_max_attempts:
            conductor-python's arguments, accepted and kept under their names; not acted upon
            yet, which is logged as a warning when one asks for something.

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
        monitor_processes: bool | None = None,
        restart_on_failure: bool | None = None,
        monitor_interval_seconds: float | None = None,
        restart_backoff_seconds: float | None = None,
        restart_backoff_max_seconds: float | None = None,
        restart_max_attempts: int | None = None,
    ) -> None:
        self.configuration = configuration if configuration is not None else Configuration()
        self.metrics_settings = metrics_settings
        self.event_listeners = list(event_listeners or [])
        self.monitor_processes = True if monitor_processes is None else monitor_processes
        self.restart_on_failure = True if restart_on_failure is None else restart_on_failure
        self.monitor_interval_seconds = _or(monitor_interval_seconds, 5.0)
        self.restart_backoff_seconds = _or(restart_backoff_seconds, 1.0)
        self.restart_backoff_max_seconds = _or(restart_backoff_max_seconds, 60.0)
        self.restart_max_attempts = _or(restart_max_attempts, 0)
        warn_runtime_arguments(
            "TaskHandler",
            metrics_settings=metrics_settings,
            event_listeners=self.event_listeners,
            monitor_processes=monitor_processes,
            restart_on_failure=restart_on_failure,
            monitor_interval_seconds=monitor_interval_seconds,
            restart_backoff_seconds=restart_backoff_seconds,
            restart_backoff_max_seconds=restart_backoff_max_seconds,
            restart_max_attempts=restart_max_attempts,
        )
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
        self.processes: list[BaseProcess] = []
        self.stop_timeout = STOP_TIMEOUT_SECONDS
        self._stopped = False

    # -- the process model (override to choose another) --------------------------------------

    def process_context(self) -> BaseContext:
        """The multiprocessing context: the start method the program set, else the default."""
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
        if self.processes:
            logger.warning("Worker processes already started; start_processes() ignored")
            return
        configure_logging(self.configuration)
        context = self.process_context()
        method = context.get_start_method()
        plans = [(worker, _resolved_settings(worker)) for worker in self.workers]
        if method != "fork":
            for worker, settings in plans:
                _check_sendable(worker, self.configuration, settings, method)
        self._stopped = False
        for worker, settings in plans:
            process = context.Process(  # type: ignore[attr-defined]
                target=run_worker_process,
                args=(worker, self.configuration, settings),
                name=f"worker-{worker.get_task_definition_name()}",
                daemon=True,  # never outlive the program; they stop gracefully on SIGTERM
            )
            process.start()
            self.processes.append(process)
        if not self.processes:
            logger.warning("No workers to run: pass workers or use scan_for_annotated_workers")
        logger.info(
            "Started %d worker process(es) (%s start method): %s",
            len(self.processes),
            method,
            ", ".join(f"{p.name} (pid {p.pid})" for p in self.processes),
        )

    def stop_processes(self) -> None:
        """Stops every worker process and waits for them to end.

        Each process is sent SIGTERM: it stops polling, lets running tasks finish and report
        (within the runner's drain timeout), and exits. A process still running after
        ``stop_timeout`` seconds is killed.
        """
        self._stopped = True
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
        if alive:
            logger.info("Stopped %d worker process(es)", len(alive))

    def join_processes(self) -> None:
        """Waits until every worker process has ended.

        In the main thread of the main process, SIGINT (Ctrl-C) and SIGTERM stop the workers
        gracefully and end the wait (a second signal kills them at once); the previous signal
        handlers are restored afterwards. Elsewhere it simply waits.

        Raises ``WorkerProcessError`` when the workers ended by themselves and one of them
        crashed (a worker process only ends by itself when something killed it).
        """
        if not self.processes:
            return
        if _may_handle_signals():
            self._wait_for_workers_or_signal()
        else:
            for process in self.processes:
                process.join()
        if not self._stopped:
            crashed = [p for p in self.processes if p.exitcode not in (None, 0)]
            if crashed:
                raise WorkerProcessError(
                    "worker processes ended unexpectedly: "
                    + ", ".join(f"{p.name} (pid {p.pid}, exit code {p.exitcode})" for p in crashed)
                )

    def _wait_for_workers_or_signal(self) -> None:
        with _SignalWait() as wait:
            while True:
                alive = [p for p in self.processes if p.is_alive()]
                if not alive or wait.received:
                    break
                wait.until_ready([p.sentinel for p in alive])
                self._report_unexpected_exits()
            if wait.received:
                logger.info(
                    "Received %s: stopping %d worker process(es)",
                    signal.Signals(wait.received[0]).name,
                    len([p for p in self.processes if p.is_alive()]),
                )
                wait.on_second_signal = self._kill_all
                self.stop_processes()

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
                self.join_processes()
        finally:
            self.stop_processes()

    # -- helpers -----------------------------------------------------------------------------

    def _kill_all(self) -> None:
        for process in self.processes:
            with contextlib.suppress(OSError, ValueError):
                process.kill()

    def _report_unexpected_exits(self) -> None:
        for process in self.processes:
            code = process.exitcode
            if code not in (None, 0) and not getattr(process, "_conductor_reported", False):
                process._conductor_reported = True  # type: ignore[attr-defined]
                logger.error(
                    "Worker process %s (pid %s) ended unexpectedly with exit code %s",
                    process.name,
                    process.pid,
                    code,
                )


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

    def until_ready(self, sentinels: list[int]) -> None:
        multiprocessing.connection.wait([*sentinels, self._reader])

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


def _checked_workers(workers: Iterable[WorkerInterface] | WorkerInterface | None) -> list[Any]:
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


def _or(value: Any, default: Any) -> Any:
    return default if value is None else value


def _resolved_settings(worker: WorkerInterface) -> WorkerSettings:
    return resolve_worker_settings(worker.get_task_definition_name(), worker.get_arguments())


def _check_sendable(
    worker: WorkerInterface, configuration: Configuration, settings: WorkerSettings, method: str
) -> None:
    """Fails now, naming the worker and the fix, if the worker cannot reach its process."""
    name = worker.get_task_definition_name()
    try:
        pickle.dumps((worker, configuration, settings))
    except Exception as error:
        raise WorkerStartError(
            f"worker {name!r} ({worker!r}) cannot be sent to its process under the {method!r} "
            f"start method: {type(error).__name__}: {error}. Define the worker's function or "
            "class at the top level of a module (not a lambda, nor inside a function or a "
            "class), and create resources that cannot be copied (connections, locks, open "
            "files, clients) when they are first used rather than in __init__; or use the "
            "'fork' start method"
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
