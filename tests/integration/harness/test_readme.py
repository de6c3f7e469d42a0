"""The docs' code is true: the worker block of docs/workers.md runs against the fake server, the
test file docs/testing.md shows is the one CI runs, the commands answer."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from conductor.client.worker.worker_task import isolated_worker_registry
from harness.workers import run_workers
from tests.paths import REPO

PAGES = [REPO / "README.md", REPO / "docs" / "workers.md", REPO / "docs" / "testing.md"]


def python_blocks() -> list[str]:
    text = "".join(page.read_text() for page in PAGES)
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def test_the_readme_shows_the_test_file_that_ci_runs() -> None:
    test_file = (REPO / "examples" / "testing" / "test_greeting_workers.py").read_text()
    assert test_file in python_blocks()


def test_the_readme_workers_run_against_the_fake_server(tmp_path: Path, conductor_server) -> None:
    # The decorator registers process-wide: keep this test's registration to itself.
    with isolated_worker_registry():
        run_readme_workers(tmp_path, conductor_server)


def run_readme_workers(tmp_path: Path, conductor_server) -> None:
    [workers_block] = [block for block in python_blocks() if "class SimplePythonWorker" in block]
    (tmp_path / "readme_workers.py").write_text(workers_block)
    sys.path.insert(0, str(tmp_path))
    try:
        import readme_workers

        admin = conductor_server.admin
        class_task = admin.enqueue("python_task_example")[0]
        function_task = admin.enqueue("python_execute_function_task", domain="test")[0]
        annotated_task = admin.enqueue("python_annotated_task", domain="cool")[0]
        with run_workers(
            readme_workers.workers, conductor_server.url, import_modules=["readme_workers"]
        ) as running:
            running.drain(timeout=30)
        assert admin.get_task(class_task)["outputData"] == {"worker_style": "class"}
        assert admin.get_task(function_task)["outputData"] == {"worker_style": "function"}
        assert admin.get_task(annotated_task)["outputData"] == {"message": "python is so cool :)"}
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("readme_workers", None)


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "fake_server", "--help"],
        [str(Path(sys.executable).with_name("conductor-fake-server")), "--help"],
        [sys.executable, "-m", "harness", "--help"],
        [sys.executable, "-m", "harness", "demo", "--help"],
        [sys.executable, "-m", "harness", "bench", "--help"],
    ],
    ids=["fake_server", "conductor-fake-server", "harness", "harness-demo", "harness-bench"],
)
def test_every_command_answers_help(command: list[str]) -> None:
    run = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "usage:" in run.stdout


def test_the_readme_definitions_folder_loads_and_runs(tmp_path: Path) -> None:
    """``python -m fake_server --port 0 --definitions examples/definitions``, as the README
    shows it: the server starts with the greetings workflow registered."""
    command = [sys.executable, "-m", "fake_server", "--port", "0"]
    command += ["--definitions", str(REPO / "examples" / "definitions")]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert server.stdout is not None
        output = ""
        for line in server.stdout:
            output += line
            if "listening on" in line:
                break
        url = re.search(r"(http://\S+/api)", output)
        assert url, output
        workflow = requests.get(url.group(1) + "/metadata/workflow/greetings", timeout=5).json()
        assert [task["name"] for task in workflow["tasks"]] == ["check_name", "greet"]
        task_def = requests.get(url.group(1) + "/metadata/taskdefs/greet", timeout=5).json()
        assert task_def["retryCount"] == 2
    finally:
        server.terminate()
        server.wait(timeout=10)
        if server.stdout is not None:
            server.stdout.close()


def test_the_readme_project_with_worker_task_functions_passes_its_tests(
    tmp_path: Path, run_pytest
) -> None:
    """The two files docs/testing.md shows, laid out as their first lines name them, outside this
    repository, run with the command it gives."""
    project = tmp_path / "project"
    for block in python_blocks():
        first_line = block.splitlines()[0]
        if first_line.startswith("# ") and first_line.endswith(".py"):
            path = project / first_line.removeprefix("# ")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(block)
    assert sorted(p.name for p in project.rglob("*.py")) == ["test_my_workers.py", "workers.py"]
    run = run_pytest(project, "tests", timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 passed" in run.stdout
