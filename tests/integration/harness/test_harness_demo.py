"""``python -m harness demo`` (what ``make demo`` runs): it finishes, shows its results and
exits 0, against the embedded server or the server named by CONDUCTOR_SERVER_URL."""

from __future__ import annotations

import os
import subprocess
import sys

from harness.scenario import task_facts
from harness.server import ServerHandle


def run_demo(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", "demo", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, **(env or {})},
    )


def test_the_demo_completes_every_workflow_and_prints_the_results() -> None:
    run = run_demo("--workflows", "6")

    assert run.returncode == 0, run.stdout + run.stderr
    assert "Started the embedded fake Conductor server" in run.stdout
    assert "  completed     6" in run.stdout
    # the retried charge, the domain-routed reservation and both shipping instances show up
    assert "retried tasks   6" in run.stdout
    assert "demo_reserve_inventory  inventory   warehouse  COMPLETED" in run.stdout
    assert "shipping-1" in run.stdout and "shipping-2" in run.stdout


def test_the_demo_runs_against_the_server_in_conductor_server_url() -> None:
    with ServerHandle() as server:
        run = run_demo("--workflows", "3", env={"CONDUCTOR_SERVER_URL": server.url})

        assert run.returncode == 0, run.stdout + run.stderr
        assert f"Using the Conductor server at {server.url}" in run.stdout
        facts = task_facts(server.admin)
        assert facts.tasks_per_domain["warehouse"] == 3
        assert facts.retried_tasks == 3
        assert facts.tasks_per_worker["payments"] == 6  # each charge fails once, then passes


def test_bad_arguments_name_the_value_and_what_is_allowed() -> None:
    run = run_demo("--workflows", "0")

    assert run.returncode == 2
    assert "argument --workflows: 0 is not at least 1" in run.stderr
