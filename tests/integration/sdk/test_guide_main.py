"""The guide's main.py, run as a program: it serves until Ctrl-C or SIGTERM, then stops."""

from __future__ import annotations

import shutil
import signal
from pathlib import Path

import pytest

from tests.integration.sdk.waiting import EXAMPLES, gone, wait_until

GUIDE_URL_LINE = "SERVER_API_URL = 'http://localhost:8080/api'"


@pytest.fixture
def guide_app(tmp_path: Path, server) -> Path:
    """examples/run_workers copied, the server URL line pointed at the test server: the only
    change made to the guide's code."""
    app = tmp_path / "app"
    shutil.copytree(EXAMPLES / "run_workers", app, ignore=shutil.ignore_patterns("__pycache__"))
    main = app / "main.py"
    text = main.read_text()
    assert text.count(GUIDE_URL_LINE) == 1
    main.write_text(text.replace(GUIDE_URL_LINE, f"SERVER_API_URL = '{server.url}'"))
    return app


def run_guide_tasks(server) -> None:
    server.wait_polled(
        {
            "python_task_example": {None},
            "python_execute_function_task": {"test"},
            "python_annotated_task": {None},
        }
    )
    class_task = server.enqueue("python_task_example")
    function_task = server.enqueue("python_execute_function_task", domain="test")
    annotated_task = server.enqueue("python_annotated_task")
    done = server.wait_done(class_task + function_task + annotated_task)
    assert [t["status"] for t in done] == ["COMPLETED"] * 3
    assert done[0]["outputData"] == {
        "worker_style": "class",
        "secret_number": 1234,
        "is_it_true": False,
    }
    assert done[1]["outputData"] == {"worker_style": "function"}
    assert done[1]["workerId"] == "your_custom_id"
    assert done[2]["outputData"] == {"message": "python is so cool :)"}
    assert done[2]["workerId"] == "decorated"


@pytest.mark.parametrize(
    ("how", "signum"),
    [("ctrl-c", signal.SIGINT), ("sigterm", signal.SIGTERM)],
)
def test_main_serves_until_a_signal_then_stops_its_workers(
    guide_app, server, run_script, how, signum
):
    script = run_script(guide_app / "main.py")
    run_guide_tasks(server)
    workers = wait_until(lambda: len(script.worker_pids()) == 3 and script.worker_pids())
    assert script.process.poll() is None  # still serving after the tasks are done
    if how == "ctrl-c":
        script.signal_group(signum)  # the terminal signals the whole process group
    else:
        script.process.send_signal(signum)  # a service manager signals the main process
    assert script.wait() == 0
    assert wait_until(lambda: gone(workers), timeout=5)
    stderr = script.stderr()
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr[-3000:]
    assert f"Received {signal.Signals(signum).name}" in stderr
    assert stderr.count("Stopped worker") == 3
    # debug=True in the guide's configuration: the workers log at DEBUG
    assert "DEBUG" in stderr
