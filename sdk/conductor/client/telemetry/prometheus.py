"""Prometheus metrics of worker processes, in ``prometheus_client``'s multiprocess mode.

``TaskHandler(metrics_settings=MetricsSettings(...))`` turns them on:

- each worker process records its own metrics (an event listener, ``WorkerMetrics``) into
  files under ``MetricsSettings.directory``;
- the supervising process aggregates those files (``MetricsExporter``) and serves them at
  ``http://<host>:<http_port>/metrics`` when ``http_port`` is set, else rewrites the text file
  ``<directory>/<file_name>`` every ``update_interval`` seconds.

Metric names and labels are conductor-python 2.0.0's (its histogram flavour): counters
``task_poll_total``, ``task_poll_error_total``, ``task_execution_started_total``,
``task_execute_error_total``, ``task_update_error_total``, ``worker_restart_total``; histograms
``task_poll_time_seconds``, ``task_execute_time_seconds``, ``task_update_time_seconds``
(delivering a result, retries included; ``status`` ``SUCCESS`` or ``FAILURE``),
``http_api_client_request_seconds`` (every request to the server; labels ``method``, ``uri``
as a template such as ``/tasks/poll/batch/{taskType}``, and ``status``, the HTTP status or
``error``), ``task_result_size_bytes``; and the gauge ``active_workers`` (tasks executing right
now). Labels: ``taskType``, ``status``, and ``exception`` (the exception's class name, which
keeps the number of series small).

``prometheus_client`` comes with the ``[metrics]`` extra; without it, ``require_prometheus``
fails at start with the command that installs it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import threading
from collections.abc import Iterator
from typing import Any

from conductor.client.configuration.settings.metrics_settings import MetricsSettings
from conductor.client.event.task_runner_events import (
    PollCompleted,
    PollFailure,
    PollStarted,
    TaskExecutionCompleted,
    TaskExecutionFailure,
    TaskExecutionStarted,
    TaskUpdateFailure,
)

logger = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
INSTALL_HINT = "pip install 'conductor-workers[metrics]'"
TIME_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SIZE_BUCKETS = (100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000)


class MetricsUnavailableError(RuntimeError):
    """Metrics were asked for, but ``prometheus_client`` is not installed."""


def require_prometheus() -> None:
    """Fails with the install command when ``prometheus_client`` is missing.

    It is looked for, not imported: ``prometheus_client`` decides on multiprocess mode when it
    is first imported, which must come after ``prepare_directory``.
    """
    if importlib.util.find_spec("prometheus_client") is None:
        raise MetricsUnavailableError(
            "metrics_settings needs the prometheus_client package, which is not installed: "
            f"run {INSTALL_HINT}"
        )


def worker_metrics(metrics_settings: MetricsSettings | None) -> WorkerMetrics | None:
    """The metrics recorder of a worker process when ``metrics_settings`` is given (made here,
    in the worker process), else ``None``."""
    if metrics_settings is None:
        return None
    require_prometheus()
    return WorkerMetrics()


def prepare_directory(settings: MetricsSettings) -> None:
    """Cleans the metrics directory (``MetricsSettings.clean_metrics_directory``) and points
    ``prometheus_client`` at it for the worker processes started from now on.

    Call it before any worker process starts (they inherit the environment variable, which
    ``prometheus_client`` reads when it is first imported).
    """
    settings.clean_metrics_directory()
    os.environ[MULTIPROC_ENV] = settings.metrics_directory


def _use_multiprocess_values() -> None:
    """Makes metrics created from now on write to the multiprocess directory, also when the
    application imported ``prometheus_client`` before the directory was set (it then chose
    in-process values, which the supervising process could not read).
    ``prometheus_client.values`` keeps its value class replaceable for this kind of use."""
    from prometheus_client import values

    if os.environ.get(MULTIPROC_ENV) and values.ValueClass.__name__ == "MutexValue":
        values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]


class WorkerMetrics:
    """The event listener that records a worker process's metrics (built in that process)."""

    def __init__(self) -> None:
        _use_multiprocess_values()
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        # A private registry: the multiprocess files are what gets exported, and a second
        # TaskRunner in one process must not collide with names already registered.
        registry = CollectorRegistry()
        task = ["taskType"]
        failure = ["taskType", "exception"]
        self.polls = Counter(
            "task_poll", "Incremented each time polling is done", task, registry=registry
        )
        self.poll_errors = Counter(
            "task_poll_error", "Incremented when a poll request fails", failure, registry=registry
        )
        self.poll_time = Histogram(
            "task_poll_time_seconds",
            "Latency of task poll requests in seconds",
            ["taskType", "status"],
            buckets=TIME_BUCKETS,
            registry=registry,
        )
        self.started = Counter(
            "task_execution_started",
            "Incremented when a polled task is dispatched to the worker function",
            task,
            registry=registry,
        )
        self.execute_time = Histogram(
            "task_execute_time_seconds",
            "Duration of worker task execution in seconds",
            ["taskType", "status"],
            buckets=TIME_BUCKETS,
            registry=registry,
        )
        self.execute_errors = Counter(
            "task_execute_error", "Execution error", failure, registry=registry
        )
        self.update_errors = Counter(
            "task_update_error",
            "Task status cannot be updated back to server",
            failure,
            registry=registry,
        )
        self.update_time = Histogram(
            "task_update_time_seconds",
            "Time to deliver a task result to the server, in seconds",
            ["taskType", "status"],
            buckets=TIME_BUCKETS,
            registry=registry,
        )
        self.request_time = Histogram(
            "http_api_client_request_seconds",
            "Latency of requests to the Conductor API, in seconds",
            ["method", "uri", "status"],
            buckets=TIME_BUCKETS,
            registry=registry,
        )
        self.result_size = Histogram(
            "task_result_size_bytes",
            "Serialized byte size of task result output",
            task,
            buckets=SIZE_BUCKETS,
            registry=registry,
        )
        self.active = Gauge(
            "active_workers",
            "Current number of worker threads actively executing a task",
            task,
            multiprocess_mode="livesum",
            registry=registry,
        )

    def on_poll_started(self, event: PollStarted) -> None:
        self.polls.labels(event.task_type).inc()

    def on_poll_completed(self, event: PollCompleted) -> None:
        self.poll_time.labels(event.task_type, "SUCCESS").observe(event.duration_ms / 1000.0)

    def on_poll_failure(self, event: PollFailure) -> None:
        self.poll_errors.labels(event.task_type, type(event.cause).__name__).inc()
        self.poll_time.labels(event.task_type, "FAILURE").observe(event.duration_ms / 1000.0)

    def on_task_execution_started(self, event: TaskExecutionStarted) -> None:
        self.started.labels(event.task_type).inc()
        self.active.labels(event.task_type).inc()

    def on_task_execution_completed(self, event: TaskExecutionCompleted) -> None:
        self.active.labels(event.task_type).dec()
        self.execute_time.labels(event.task_type, "SUCCESS").observe(event.duration_ms / 1000.0)
        if event.output_size_bytes is not None:
            self.result_size.labels(event.task_type).observe(event.output_size_bytes)

    def on_task_execution_failure(self, event: TaskExecutionFailure) -> None:
        self.active.labels(event.task_type).dec()
        self.execute_time.labels(event.task_type, "FAILURE").observe(event.duration_ms / 1000.0)
        self.execute_errors.labels(event.task_type, type(event.cause).__name__).inc()

    def on_task_update_failure(self, event: TaskUpdateFailure) -> None:
        self.update_errors.labels(event.task_type, type(event.cause).__name__).inc()

    def record_task_update_time(
        self, task_type: str, time_spent: float, status: str = "SUCCESS"
    ) -> None:
        """A result delivered (``SUCCESS``) or given up (``FAILURE``) after ``time_spent`` s."""
        self.update_time.labels(task_type, status).observe(time_spent)

    def record_api_request_time(
        self, method: str, uri: str, status: str, time_spent: float
    ) -> None:
        """One request to the server (an ``on_request`` observer of the clients)."""
        self.request_time.labels(method, uri, status).observe(time_spent)


class MetricsExporter:
    """Aggregates the worker processes' metrics and serves them (supervising process).

    With ``http_port`` set: an HTTP endpoint (``url`` says where; port 0 picks a free one).
    Otherwise: a thread rewrites ``<directory>/<file_name>`` every ``update_interval`` s.
    """

    def __init__(self, settings: MetricsSettings) -> None:
        from prometheus_client import CollectorRegistry
        from prometheus_client.multiprocess import MultiProcessCollector

        self.settings = settings
        self.registry = CollectorRegistry()
        MultiProcessCollector(self.registry, path=settings.metrics_directory)  # type: ignore[no-untyped-call]
        self.restarts = _RestartCounts()
        self.registry.register(self.restarts)
        self._server: Any = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.url: str | None = None

    @property
    def file_path(self) -> str:
        return os.path.join(self.settings.metrics_directory, self.settings.file_name)

    def start(self) -> None:
        if self.settings.http_port is not None:
            from prometheus_client import start_http_server

            self._server, _ = start_http_server(self.settings.http_port, registry=self.registry)
            port = self._server.server_port
            self.url = f"http://localhost:{port}/metrics"
            logger.info("Serving worker metrics at %s", self.url)
            return
        self._thread = threading.Thread(target=self._write_loop, name="metrics-file", daemon=True)
        self._thread.start()
        logger.info(
            "Writing worker metrics to %s every %gs", self.file_path, self.settings.update_interval
        )

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def count_restart(self, task_type: str) -> None:
        self.restarts.add(task_type)

    def process_ended(self, pid: int) -> None:
        """Drops a dead process's live gauges (its counters stay counted)."""
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid, self.settings.metrics_directory)  # type: ignore[no-untyped-call]

    def write_file(self) -> None:
        from prometheus_client import write_to_textfile

        write_to_textfile(self.file_path, self.registry)

    def _write_loop(self) -> None:
        failing = False
        while True:
            try:
                self.write_file()
                failing = False
            # OSError: the file cannot be written. Others: a worker process's metric file that
            # it is creating right now reads as truncated (struct.error); the next round reads
            # it whole. Either way the loop goes on, and a streak of failures is logged once.
            except Exception as error:
                if not failing:
                    logger.warning(
                        "Cannot write metrics to %s (retrying every %gs): %r",
                        self.file_path,
                        self.settings.update_interval,
                        error,
                    )
                failing = True
            if self._stop.wait(self.settings.update_interval):
                with contextlib.suppress(Exception):  # the last write; failures were logged
                    self.write_file()
                return


class _RestartCounts:
    """``worker_restart_total``: counted by the supervising process itself (a collector of
    its own, so it does not depend on how ``prometheus_client`` was first imported here)."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def known(self, task_types: list[str]) -> None:
        """Shows ``task_types`` from the start, at 0 (dashboards see the series exists)."""
        with self._lock:
            for task_type in task_types:
                self._counts.setdefault(task_type, 0)

    def add(self, task_type: str) -> None:
        with self._lock:
            self._counts[task_type] = self._counts.get(task_type, 0) + 1

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily

        family = CounterMetricFamily(
            "worker_restart", "Worker subprocess restarted", labels=["taskType"]
        )
        with self._lock:
            for task_type, count in sorted(self._counts.items()):
                family.add_metric([task_type], count)
        yield family
