"""MetricsSettings: 2.0.0's arguments, checked where they are given."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conductor.client.configuration.settings.metrics_settings import MetricsSettings


def test_defaults_as_the_official_sdk() -> None:
    settings = MetricsSettings()
    assert settings.directory == str(Path.home() / "tmp")
    assert (settings.file_name, settings.update_interval, settings.http_port) == (
        "metrics.log",
        0.1,
        None,
    )


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"update_interval": 0}, "update_interval=0"),
        ({"http_port": 70000}, "http_port=70000"),
        ({"http_port": "9000"}, "http_port='9000'"),
        ({"file_name": "a/b.log"}, "file_name='a/b.log'"),
    ],
)
def test_bad_values_name_the_argument(arguments: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[")):
        MetricsSettings(**arguments)  # type: ignore[arg-type]


def metric_file(directory, pid: int) -> str:
    path = os.path.join(directory, f"counter_{pid}.db")
    with open(path, "wb"):
        pass
    return path


def test_clean_metrics_directory_drops_dead_processes_files(tmp_path) -> None:
    # 2.0.0's MetricsSettings.clean_metrics_directory(): the parent prepares the folder
    directory = tmp_path / "metrics"
    settings = MetricsSettings(directory=str(directory))
    settings.clean_metrics_directory()
    assert directory.is_dir()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    gone = metric_file(directory, int(dead.stdout))
    mine = metric_file(directory, os.getpid())
    settings.clean_metrics_directory()
    assert not os.path.exists(gone) and os.path.exists(mine)


def test_clean_directory_wipes_once_per_process(tmp_path) -> None:
    settings = MetricsSettings(directory=str(tmp_path), clean_directory=True)
    first = metric_file(tmp_path, os.getpid())
    settings.clean_metrics_directory()
    assert not os.path.exists(first)
    # Files written after the first clean belong to live workers: a second call keeps them.
    second = metric_file(tmp_path, os.getpid())
    settings.clean_metrics_directory()
    assert os.path.exists(second)


def test_metrics_factory_makes_a_collector_for_the_parent(tmp_path) -> None:
    # Its own interpreter: prometheus_client picks multiprocess mode once per process.
    script = f"""
import os
from conductor.client.configuration.settings.metrics_settings import MetricsSettings
from conductor.client.telemetry.metrics_factory import create_metrics_collector_for_parent
settings = MetricsSettings(directory={str(tmp_path)!r}, clean_directory=True)
collector = create_metrics_collector_for_parent(settings)
collector.record_task_update_time("greet", 0.02, status="SUCCESS")
collector.record_api_request_time("GET", "/tasks/poll/batch/{{taskType}}", "200", 0.01)
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
registry = CollectorRegistry()
MultiProcessCollector(registry, path={str(tmp_path)!r})
print(generate_latest(registry).decode())
"""
    metric_file(tmp_path, 1)  # left over: cleaned away first
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"},
    )
    assert done.returncode == 0, done.stderr
    assert 'task_update_time_seconds_count{status="SUCCESS",taskType="greet"} 1.0' in done.stdout
    assert (
        'http_api_client_request_seconds_count{method="GET",status="200",'
        'uri="/tasks/poll/batch/{taskType}"} 1.0'
    ) in done.stdout
    assert not (tmp_path / "counter_1.db").exists()
