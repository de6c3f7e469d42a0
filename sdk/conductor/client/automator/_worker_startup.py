"""What a worker does once when it starts, before its first poll.

- says how a function worker's function is called (``greet(name) <- input["name"]``), so
  nobody has to guess what its parameters receive;
- registers the task definition when ``register_task_def`` is on (see ``task_registration``).
"""

from __future__ import annotations

import logging
from typing import Any

from conductor.client.automator._task_registration import register_task_definition
from conductor.client.configuration.configuration import Configuration
from conductor.client.worker.worker_config import WorkerSettings
from conductor.client.worker.worker_interface import WorkerInterface

logger = logging.getLogger(__name__)


def start_worker(
    worker: WorkerInterface,
    settings: WorkerSettings,
    configuration: Configuration | None,
    client: Any = None,
) -> None:
    """Runs the start steps for ``worker`` (see the module doc). Never raises for a server
    that refuses a registration: the worker polls all the same."""
    describe = getattr(worker, "describe_call", None)
    if callable(describe):
        logger.info("Worker %s calls %s", settings.task_name, describe())
    if settings.register_task_def:
        register_task_definition(worker, settings, configuration or Configuration(), client)
