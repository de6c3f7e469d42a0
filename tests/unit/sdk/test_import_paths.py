"""Every import path that conductor-python 2.0.0 or the guide documents works; the SDK's
internal modules carry a leading underscore, so nobody builds on them by mistake."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import conductor.client

DOCUMENTED = {
    "conductor.client.automator.task_handler": ["TaskHandler"],
    "conductor.client.automator.task_runner": ["TaskRunner"],
    "conductor.client.automator.async_task_runner": ["AsyncTaskRunner"],
    "conductor.client.automator.worker_isolation": ["isolation_mode", "WORKER_ISOLATION_ENV"],
    "conductor.client.configuration.configuration": ["Configuration"],
    "conductor.client.configuration.settings.authentication_settings": ["AuthenticationSettings"],
    "conductor.client.configuration.settings.metrics_settings": ["MetricsSettings"],
    "conductor.client.context.task_context": ["get_task_context", "TaskInProgress"],
    "conductor.client.event.listeners": ["TaskRunnerEventsListener"],
    "conductor.client.event.task_runner_events": ["TaskExecutionCompleted", "PollStarted"],
    "conductor.client.http.models": ["Task", "TaskResult", "TaskDef", "WorkflowTask"],
    "conductor.client.http.models.task_result_status": ["TaskResultStatus"],
    "conductor.client.http.models.workflow_task": ["WorkflowTask"],
    "conductor.client.telemetry.metrics_factory": [
        "create_metrics_collector",
        "create_metrics_collector_for_parent",
    ],
    "conductor.client.worker.worker": ["Worker"],
    "conductor.client.worker.worker_interface": ["WorkerInterface"],
    "conductor.client.worker.worker_task": ["WorkerTask", "worker_task"],
    "conductor.client.worker.worker_config": ["resolve_worker_config"],
    "conductor.client.worker.exception": ["NonRetryableException"],
}


@pytest.mark.parametrize("module, names", sorted(DOCUMENTED.items()))
def test_documented_import_paths_work(module: str, names: list[str]) -> None:
    imported = importlib.import_module(module)
    assert all(hasattr(imported, name) for name in names)


def test_modules_without_an_underscore_are_the_documented_api_or_its_clients() -> None:
    public = {
        info.name
        for info in pkgutil.walk_packages(conductor.client.__path__, "conductor.client.")
        if not any(part.startswith("_") for part in info.name.split("."))
    }
    # Also public: the packages, the HTTP clients and their errors, the metrics exporter.
    others = {
        "conductor.client.http.task_client",
        "conductor.client.http.metadata_client",
        "conductor.client.http.async_task_client",
        "conductor.client.http.errors",
        "conductor.client.http.connection_settings",
        "conductor.client.telemetry.prometheus",
        "conductor.client.worker.worker_config",
    }
    packages = {
        name
        for name in public
        if str(importlib.import_module(name).__file__).endswith("__init__.py")
    }
    leftover = public - set(DOCUMENTED) - others - packages
    models = {name for name in leftover if name.startswith("conductor.client.http.models.")}
    assert leftover - models == set()
