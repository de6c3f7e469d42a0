"""conductor-python 2.0.0's entry points for making a metrics collector yourself.

``TaskHandler(metrics_settings=...)`` does all of this for its worker processes; these are for
an application that records worker metrics in a process of its own making:

- ``create_metrics_collector_for_parent(settings)`` in the process that owns the metrics
  directory (before any worker process starts): cleans the directory, then makes a collector;
- ``create_metrics_collector(settings)`` anywhere else (a worker process): never deletes files.

The collector is an event listener (``TaskRunner(worker, event_listeners=[collector])``) with
2.0.0's ``record_task_update_time`` and ``record_api_request_time`` too. Needs the
``[metrics]`` extra.
"""

from __future__ import annotations

import os

from conductor.client.configuration.settings.metrics_settings import MetricsSettings
from conductor.client.telemetry.prometheus import MULTIPROC_ENV, WorkerMetrics, require_prometheus

__all__ = ["create_metrics_collector", "create_metrics_collector_for_parent"]


def create_metrics_collector(settings: MetricsSettings) -> WorkerMetrics:
    """A collector writing to ``settings``' directory (created if missing; nothing deleted)."""
    require_prometheus()
    os.makedirs(settings.metrics_directory, exist_ok=True)
    os.environ.setdefault(MULTIPROC_ENV, settings.metrics_directory)
    return WorkerMetrics()


def create_metrics_collector_for_parent(settings: MetricsSettings) -> WorkerMetrics:
    """``settings.clean_metrics_directory()``, then ``create_metrics_collector(settings)``."""
    settings.clean_metrics_directory()
    return create_metrics_collector(settings)
