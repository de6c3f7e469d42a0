"""The examples/ programs, run as they are against the fake server."""

from __future__ import annotations

import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from tests.integration.sdk.waiting import EXAMPLES, wait_until

CONFIG_TASKS = [f"python_annotated_task_{n}" for n in range(1, 5)]


def stop(script) -> None:
    script.process.send_signal(signal.SIGTERM)
    assert script.wait() == 0
    assert "Traceback" not in script.stderr(), script.stderr()[-3000:]


def started_line(script, task_name: str) -> str:
    """The line a worker logs when it starts: its settings and where each came from."""
    lines = wait_until(
        lambda: [
            line for line in script.stderr().splitlines() if f"Started worker {task_name}:" in line
        ],
        message=f"the start line of {task_name}",
    )
    return lines[0]


def run_example(run_script, server, folder: str, *args: str, env: dict | None = None):
    main = EXAMPLES / folder / "main.py"
    return run_script(main, *args, env={"CONDUCTOR_SERVER_URL": server.url, **(env or {})})


def test_task_domain_worker_polls_only_its_domain(server, run_script):
    script = run_example(run_script, server, "task_domain")
    server.wait_polled({"python_annotated_task": {"cool"}})
    assert server.polled_domains("python_annotated_task") == {"cool"}
    [task] = server.wait_done(server.enqueue("python_annotated_task", domain="cool"))
    assert task["outputData"] == {"message": "python is so cool :)"}
    stop(script)


def assert_domains(server, expected: dict[str, str]) -> None:
    server.wait_polled({task: {domain} for task, domain in expected.items()})
    assert {task: server.polled_domains(task) for task in expected} == {
        task: {domain} for task, domain in expected.items()
    }


def test_without_config_the_decorator_arguments_apply(server, run_script):
    script = run_example(run_script, server, "worker_config/without_config")
    assert_domains(server, dict(zip(CONFIG_TASKS, ["cool", "hot", "nice", "nice"], strict=True)))
    assert "polling_interval=500ms (argument)" in started_line(script, CONFIG_TASKS[0])
    stop(script)


def test_worker_ini_sets_domains_and_intervals(server, run_script):
    script = run_example(run_script, server, "worker_config/with_config")
    assert_domains(server, dict(zip(CONFIG_TASKS, ["cool", "hot", "nice", "nice"], strict=True)))
    first = started_line(script, CONFIG_TASKS[0])
    assert "domain=cool (worker.ini [python_annotated_task_1]" in first
    assert "polling_interval=500ms (worker.ini [python_annotated_task_1]" in first
    assert "polling_interval=2000ms (worker.ini [DEFAULT]" in started_line(script, CONFIG_TASKS[3])
    done = server.wait_done(server.enqueue(CONFIG_TASKS[1], domain="hot"))
    assert done[0]["outputData"] == {"message": "python is so hot :)"}
    stop(script)


def test_environment_variables_override_worker_ini(server, run_script):
    env = {
        "conductor_worker_domain": "everywhere",  # beats worker.ini, sections and [DEFAULT]
        "CONDUCTOR_WORKER_PYTHON_ANNOTATED_TASK_2_DOMAIN": "warm",  # beats the global one
    }
    script = run_example(run_script, server, "worker_config/with_config", env=env)
    expected = ["everywhere", "warm", "everywhere", "everywhere"]
    assert_domains(server, dict(zip(CONFIG_TASKS, expected, strict=True)))
    assert "domain=warm (env CONDUCTOR_WORKER_PYTHON_ANNOTATED_TASK_2_DOMAIN)" in started_line(
        script, CONFIG_TASKS[1]
    )
    stop(script)


def test_the_guide_environment_example(server, run_script):
    lines = (EXAMPLES / "worker_config" / "environment" / "worker.env").read_text().splitlines()
    env = dict(line.split("=", 1) for line in lines if line.strip())
    script = run_example(run_script, server, "worker_config/environment", env=env)
    assert_domains(server, dict(zip(CONFIG_TASKS, ["cool", "hot", "nice", "nice"], strict=True)))
    assert (
        "polling_interval=300ms (env conductor_worker_python_annotated_task_2_polling_interval)"
        in (started_line(script, CONFIG_TASKS[1]))
    )
    stop(script)


@pytest.mark.parametrize("style", ["class", "function"])
def test_more_instances_mean_more_processes(server, run_script, style):
    script = run_example(run_script, server, "performance", style)
    workers = wait_until(lambda: len(script.worker_pids()) == 3 and script.worker_pids())
    done = server.wait_done(server.enqueue("python_task_example", 9))
    assert {t["status"] for t in done} == {"COMPLETED"}
    expected = {"worker_style": style}
    if style == "class":
        expected.update(secret_number=1234, is_it_true=False)
    assert done[0]["outputData"] == expected
    assert len(workers) == 3
    stop(script)


@pytest.mark.skipif(not shutil.which("g++") or not shutil.which("make"), reason="needs g++, make")
def test_the_cpp_worker_calls_native_code(server, run_script, tmp_path: Path):
    app = tmp_path / "cpp"
    shutil.copytree(EXAMPLES / "cpp", app, ignore=shutil.ignore_patterns("*.so", "*.o", "__py*"))
    build = subprocess.run(["make", "-C", str(app)], capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, build.stderr
    script = run_script(app / "main.py", env={"CONDUCTOR_SERVER_URL": server.url})
    [task] = server.wait_done(server.enqueue("cpp_sum"))
    assert task["status"] == "COMPLETED"
    assert task["outputData"] == {"sum": 3}
    stop(script)
