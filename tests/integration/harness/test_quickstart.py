"""The README's first worker, step by step as it shows it: the fake server, the worker file run
as a program, the curl commands that register and start the workflow, and the plugin's test
run with the command it gives."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from harness.server import ServerHandle
from harness.waiting import wait_until
from tests.paths import REPO

README = REPO / "README.md"
QUICKSTART = REPO / "examples" / "quickstart"


def blocks(page: Path, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", page.read_text(), flags=re.S | re.M)


def test_the_readme_shows_the_quickstart_files() -> None:
    shown = blocks(README, "python") + blocks(README, "json")
    for name in ("greet_worker.py", "hello.json", "test_greet_worker.py"):
        assert (QUICKSTART / name).read_text() in shown, name


@pytest.fixture
def server() -> Iterator[ServerHandle]:
    with ServerHandle(mode="subprocess") as handle:  # what `make serve` runs, on a free port
        yield handle


def test_the_curl_commands_run_the_workflow_on_the_worker(server: ServerHandle) -> None:
    address = server.url.removeprefix("http://").removesuffix("/api")
    [commands] = [block for block in blocks(README, "shell") if "/api/workflow/hello" in block]
    commands = re.sub(r"(localhost|127\.0\.0\.1):8080", address, commands)
    env = {**os.environ, "CONDUCTOR_SERVER_URL": server.url}
    worker = subprocess.Popen([sys.executable, str(QUICKSTART / "greet_worker.py")], env=env)
    try:
        run = subprocess.run(
            ["bash", "-euc", commands], cwd=REPO, capture_output=True, text=True, timeout=60
        )
        assert run.returncode == 0, run.stderr
        [workflow_id] = re.findall(rf"http://{re.escape(address)}/workflows/(\S+)", run.stdout)

        def completed() -> dict | None:
            workflow = requests.get(f"{server.url}/workflow/{workflow_id}", timeout=5).json()
            return workflow if workflow["status"] == "COMPLETED" else None

        workflow = wait_until(completed, timeout=30, message="the workflow to complete")
        assert workflow["output"] == {"greeting": "Hello, Ada!"}
        console = requests.get(f"http://{address}/workflows/{workflow_id}", timeout=5)
        assert console.status_code == 200 and "greet" in console.text
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)


def test_the_plugin_command_passes_the_quickstart_tests(run_pytest) -> None:
    run = run_pytest(REPO, "examples/quickstart")  # .venv/bin/python -m pytest examples/quickstart
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 passed" in run.stdout


def test_the_testing_pages_conftest_gives_every_test_its_options(tmp_path: Path, run_pytest):
    """docs/testing.md's conductor_server_options override, in a conftest.py as it shows it."""
    [conftest] = [
        block
        for block in blocks(REPO / "docs" / "testing.md", "python")
        if "def conductor_server_options" in block
    ]
    (tmp_path / "conftest.py").write_text(conftest)
    (tmp_path / "test_clock.py").write_text(
        "def test_the_session_server_skips_time(conductor_server):\n"
        "    assert conductor_server.admin.clock()['timeSkipping']['enabled']\n"
    )
    run = run_pytest(tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout
