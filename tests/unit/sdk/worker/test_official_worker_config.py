"""conductor-python 2.0.0's resolve_worker_config, get_worker_config_summary and
get_worker_config_oneline, answered by this SDK's precedence rules."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conductor.client.worker.worker_config import (
    WorkerConfigError,
    get_worker_config_oneline,
    get_worker_config_summary,
    resolve_worker_config,
)


@pytest.fixture(autouse=True)
def no_worker_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No worker variables from the developer's environment, and a working directory of our
    own (where worker.ini is looked for)."""
    for name in list(os.environ):
        if name.lower().startswith(("conductor_worker", "conductor.worker")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_values_from_code_are_reported_under_the_official_names() -> None:
    config = resolve_worker_config(
        "orders",
        poll_interval=2000,
        domain="eu",
        worker_id="w-1",
        thread_count=3,
        register_task_def=True,
        poll_timeout=250,
        lease_extend_enabled=True,
        paused=False,
    )
    assert config == {
        "poll_interval": 2000,
        "domain": "eu",
        "worker_id": "w-1",
        "thread_count": 3,
        "register_task_def": True,
        "poll_timeout": 250,
        "lease_extend_enabled": True,
        "paused": False,
        "overwrite_task_def": True,
        "strict_schema": False,
        "register_schema": False,
    }


def test_what_nothing_sets_is_none_except_the_three_official_defaults() -> None:
    config = resolve_worker_config("orders")
    assert {key for key, value in config.items() if value is not None} == {
        "overwrite_task_def",
        "strict_schema",
        "register_schema",
    }
    assert config["overwrite_task_def"] is True
    assert config["strict_schema"] is False and config["register_schema"] is False


def test_the_environment_overrides_code_task_variable_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("conductor.worker.all.poll_interval", "500")
    monkeypatch.setenv("conductor.worker.all.domain", "staging")
    monkeypatch.setenv("CONDUCTOR_WORKER_orders_DOMAIN", "production")
    monkeypatch.setenv("conductor.worker.all.lease_extend_enabled", "yes")
    config = resolve_worker_config("orders", poll_interval=1000, domain="dev", thread_count=5)
    assert config["poll_interval"] == 500
    assert config["domain"] == "production"
    assert config["thread_count"] == 5
    assert config["lease_extend_enabled"] is True
    assert resolve_worker_config("billing", domain="dev")["domain"] == "staging"


def test_worker_ini_takes_its_place_between_environment_and_code(tmp_path: Path) -> None:
    (tmp_path / "worker.ini").write_text("[orders]\nthread_count = 7\n", encoding="utf-8")
    assert resolve_worker_config("orders", thread_count=2)["thread_count"] == 7
    assert resolve_worker_config("billing", thread_count=2)["thread_count"] == 2


def test_a_bad_value_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("conductor.worker.orders.thread_count", "many")
    with pytest.raises(WorkerConfigError, match=r"conductor\.worker\.orders\.thread_count"):
        resolve_worker_config("orders", thread_count=2)


def test_the_summary_says_where_each_value_came_from(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("conductor.worker.all.poll_interval", "500")
    monkeypatch.setenv("conductor.worker.orders.domain", "production")
    (tmp_path / "worker.ini").write_text("[orders]\npoll_timeout = 300\n", encoding="utf-8")
    config = resolve_worker_config("orders", poll_interval=1000, domain="dev", thread_count=5)
    lines = get_worker_config_summary("orders", config).splitlines()
    assert lines[0] == "Worker 'orders' configuration:"
    assert "  poll_interval: 500.0 (from conductor.worker.all.poll_interval)" in lines
    assert "  domain: production (from conductor.worker.orders.domain)" in lines
    assert "  thread_count: 5 (from code)" in lines
    [timeout_line] = [line for line in lines if "poll_timeout" in line]
    assert timeout_line.startswith("  poll_timeout: 300 (from worker.ini [orders]")
    assert not any(line.startswith("  worker_id") for line in lines)  # None: not shown


def test_the_one_line_form(monkeypatch: pytest.MonkeyPatch) -> None:
    config = resolve_worker_config(
        "orders", poll_interval=250, domain="eu", thread_count=4, lease_extend_enabled=False
    )
    assert get_worker_config_oneline("orders", config) == (
        f"Conductor Worker[name=orders, pid={os.getpid()}, status=active, "
        "poll_interval=250ms, domain=eu, thread_count=4, lease_extend=false]"
    )
    paused = resolve_worker_config("orders", paused=True)
    assert "status=paused" in get_worker_config_oneline("orders", paused)
