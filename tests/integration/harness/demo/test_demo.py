"""``python -m harness demo`` (what ``make demo`` runs): it finishes, shows its results and
exits 0, against the embedded server or the server named by CONDUCTOR_SERVER_URL."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

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


def test_the_demo_says_what_it_showed_where_the_code_is_and_what_to_run_next() -> None:
    run = run_demo("--workflows", "4")

    assert run.returncode == 0, run.stdout + run.stderr
    showed = run.stdout.split("What the demo showed", 1)[1]
    assert "annotation  demo_reserve_inventory" in showed
    assert "harness/demo/workers.py:" in showed  # each style points at its code
    assert "domain 'warehouse'; 4 of 4 completed there" in " ".join(showed.split())
    assert "4 attempts failed, 4 of 4 retries completed" in " ".join(showed.split())
    assert "demo_ship_order ran in 2 processes" in " ".join(showed.split())
    assert "Where the code is" in showed and "harness/demo/definitions.py" in showed
    assert "What to run next" in showed and "make serve" in showed


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://127.0.0.1:1/api", "Connection refused"),
        ("http://host.invalid/api", "host.invalid/api (CONDUCTOR_SERVER_URL)"),
    ],
)
def test_an_unreachable_server_is_one_line_without_a_traceback(url: str, says: str) -> None:
    run = run_demo(env={"CONDUCTOR_SERVER_URL": url})

    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    [line] = run.stderr.strip().splitlines()
    assert line.startswith(f"demo: cannot reach the Conductor server at {url}")
    assert says in line and "unset it" in line


def test_a_url_without_api_says_so() -> None:
    with ServerHandle() as server:
        run = run_demo(env={"CONDUCTOR_SERVER_URL": server.root_url})

    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "answered 404. Is '/api' missing at its end?" in run.stderr


def test_a_url_without_a_scheme_says_what_is_allowed() -> None:
    run = run_demo(env={"CONDUCTOR_SERVER_URL": "localhost:8080/api"})

    assert run.returncode == 1
    assert run.stderr == (
        "demo: Configuration: server URL 'localhost:8080/api' (from env CONDUCTOR_SERVER_URL) "
        "must start with http:// or https://, e.g. http://localhost:8080/api\n"
    )


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
