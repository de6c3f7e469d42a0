"""What runs inside each worker process that ``TaskHandler`` starts.

The process builds everything that cannot cross a process boundary itself (the HTTP session,
threads, locks), sets up logging if the application has not, stops gracefully on SIGTERM or
SIGINT (running tasks finish and report, then the process exits 0, without a
``KeyboardInterrupt`` traceback), and also stops when its parent process disappears.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import signal
import threading
from typing import TYPE_CHECKING, Any

from conductor.client.automator._held_tasks import HeldTasks
from conductor.client.automator._worker_kind import is_async_worker
from conductor.client.automator.task_runner import DRAIN_TIMEOUT_SECONDS, TaskRunner
from conductor.client.automator.worker_isolation import WorkerThread
from conductor.client.configuration.configuration import SDK_LOGGER_NAME, Configuration
from conductor.client.configuration.settings.metrics_settings import MetricsSettings
from conductor.client.worker.worker_config import WorkerSettings
from conductor.client.worker.worker_interface import WorkerInterface

if TYPE_CHECKING:
    from conductor.client.automator.async_task_runner import AsyncTaskRunner

logger = logging.getLogger(__name__)

LOG_FORMAT = "%(asctime)s %(levelname)s [%(processName)s %(process)d] %(name)s: %(message)s"
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
EXIT_STOPPED_BY_ITSELF = 3  # a worker process that ended without being told to stop


def run_worker_process(
    worker: WorkerInterface,
    configuration: Configuration,
    settings: WorkerSettings | None,
    held: HeldTasks | None = None,
    metrics_settings: MetricsSettings | None = None,
    event_listeners: list[Any] | None = None,
    drain_timeout: float = DRAIN_TIMEOUT_SECONDS,
) -> None:
    """The target of a worker process: runs ``worker`` until SIGTERM/SIGINT, then returns
    (exit code 0); a runner that stops by itself ends the process with exit code 3.

    ``held`` is where it records the tasks it holds, for its supervisor to give back if it
    dies; ``metrics_settings`` and ``event_listeners`` are those of the ``TaskHandler``.
    """
    as_thread = WorkerThread.current()
    if as_thread is None:
        # Until the runner can stop gracefully, Ctrl-C in the terminal must not kill us noisily.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    configure_logging(configuration)
    runner_class: type[TaskRunner] | type[AsyncTaskRunner] = TaskRunner
    if is_async_worker(worker):  # imported here: a plain worker's process never loads it
        from conductor.client.automator.async_task_runner import AsyncTaskRunner

        runner_class = AsyncTaskRunner
    runner = runner_class(
        worker,
        configuration,
        metrics_settings,
        event_listeners,
        settings=settings,
        held=held,
        drain_timeout=drain_timeout,
    )
    signalled: list[int] = []
    if as_thread is not None:  # CONDUCTOR_WORKER_ISOLATION=thread: the handler stops us
        as_thread.on_stop(runner.stop_from_signal)
    else:

        def stop(signum: int, frame: object) -> None:
            signalled.append(signum)
            runner.stop_from_signal()

        for signum in STOP_SIGNALS:
            signal.signal(signum, stop)
    _stop_when_parent_ends(runner)
    if isinstance(runner, TaskRunner):
        runner.run()
    else:
        import asyncio  # here: a plain worker's process never loads it

        asyncio.run(runner.run())
    if as_thread is None and not signalled:
        # Exit code 0 tells the supervisor "stopped as asked" (Ctrl-C in the terminal reaches
        # every process of the group): this one stopped by itself, so it is restarted.
        raise SystemExit(EXIT_STOPPED_BY_ITSELF)


def configure_logging(configuration: Configuration) -> None:
    """Gives the SDK's logger a stderr handler, unless the application configured logging.

    Level INFO, or DEBUG with ``configuration.debug``. Nothing is changed when the root logger
    has handlers (the application's own setup, inherited through fork).
    """
    if logging.getLogger().handlers:
        return
    sdk_logger = logging.getLogger(SDK_LOGGER_NAME)
    sdk_logger.setLevel(configuration.log_level)
    if not any(getattr(h, "_conductor_default", False) for h in sdk_logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        handler._conductor_default = True  # type: ignore[attr-defined]
        sdk_logger.addHandler(handler)


def _stop_when_parent_ends(runner: TaskRunner | AsyncTaskRunner) -> None:
    """A worker whose parent was killed (so never told it to stop) stops by itself."""
    parent = multiprocessing.parent_process()
    if parent is None or parent.sentinel is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        if not runner.stopping:
            logger.warning("Worker %s: parent process ended; stopping", runner.task_name)
            runner.stop()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
