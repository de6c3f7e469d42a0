"""Worker programs run under each multiprocessing start method the program may choose."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.integration.sdk.waiting import gone, wait_until
from tests.paths import REPO

HERE = Path(__file__).resolve().parent
APP = HERE / "apps" / "start_method" / "main.py"  # alone in its folder: the scan finds only it


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_workers_run_under_the_start_method_the_program_set(server, run_script, method):
    script = run_script(
        APP, method, env={"CONDUCTOR_SERVER_URL": server.url, "PYTHONPATH": str(REPO)}
    )
    function_task = server.enqueue("it_method_function")
    class_task = server.enqueue("it_method_class")
    decorated_task = server.enqueue("it_method_decorated")
    function, klass, decorated = server.wait_done(
        function_task + class_task + decorated_task, timeout=30
    )
    assert [function["status"], klass["status"], decorated["status"]] == ["COMPLETED"] * 3
    assert klass["outputData"] == {"style": "class"}
    for task in (function, decorated):
        command = task["outputData"]["cmdline"]
        if method == "fork":  # a copy of the program itself
            assert str(APP) in command and task["outputData"]["ppid"] == script.pid
        elif method == "spawn":  # a fresh interpreter started by the program
            assert "multiprocessing.spawn" in command
            assert task["outputData"]["ppid"] == script.pid
        else:  # forked by the fork server, not by the program
            assert "forkserver" in command or task["outputData"]["ppid"] != script.pid
    workers = wait_until(lambda: len(script.worker_pids()) == 3 and script.worker_pids())
    script.process.send_signal(signal.SIGTERM)
    assert script.wait() == 0
    assert wait_until(lambda: gone(workers), timeout=5)
    assert "Traceback" not in script.stderr(), script.stderr()[-3000:]
    assert f"({method} start method)" in script.stderr()
