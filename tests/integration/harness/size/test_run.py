"""``python -m harness size`` at a tiny scale: the user's worker in real worker processes
against a real fake-server process, the embedded one or one started separately and given as
``--server-url``. It checks the command's logic (the report, the JSON, the chart, the errors,
what it leaves on the server), never how fast anything is."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import psutil
import pytest

from harness.server import ServerHandle
from harness.size import cli
from harness.size.queue import PREFIX
from harness.waiting import wait_until

WORKER = """
import time

from conductor.client.worker.worker_task import worker_task


@worker_task(task_definition_name="quote")
def quote(sku: str) -> dict:
    time.sleep(0.002)
    if sku.startswith("BAD"):
        raise ValueError(f"no price for {sku}")
    return {"sku": sku, "price": 1.5}
"""
TINY = ["--rate", "20", "--seconds", "1", "--max-runs", "2", "--no-progress"]


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A user's folder: a worker module and sample inputs, one in four of which fails."""
    (tmp_path / "pricing_workers.py").write_text(textwrap.dedent(WORKER))
    inputs = [{"sku": "A-1"}, {"sku": "A-2"}, {"sku": "A-3"}, {"sku": "BAD-4"}]
    (tmp_path / "inputs.json").write_text(json.dumps(inputs))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def descendants() -> set[int]:
    return {child.pid for child in psutil.Process().children(recursive=True)}


def left_behind(server: ServerHandle) -> dict[str, list[str]]:
    state = server.admin.state()
    return {
        "task definitions": [d["name"] for d in state["taskDefs"] if d["name"].startswith(PREFIX)],
        "workflow definitions": [
            d["name"] for d in state["workflowDefs"] if d["name"].startswith(PREFIX)
        ],
        "workflows": [w["workflowId"] for w in state["workflows"]],
        "tasks": [t["taskId"] for t in state["tasks"]],
    }


def test_sizing_reports_every_configuration_errors_included_and_writes_json_and_chart(
    project, capsys
):
    before = descendants()
    argv = ["pricing_workers:quote", "--inputs", "inputs.json", *TINY]
    argv += ["--json", "size.json", "--plot", "size.png"]
    assert cli.main(argv) == 0
    assert sorted(descendants() - before) == []
    printed = capsys.readouterr().out
    assert "Sizing pricing_workers:quote (task quote, run as harness_size__quote)" in printed
    assert "ValueError:" in printed and "first: no price for BAD-4" in printed
    assert "Recommendation:" in printed or "out of this machine's reach" in printed
    document = json.loads((project / "size.json").read_text())
    assert document["target_rate"] == 20
    for run in document["runs"]:
        assert {"processes", "threads", "rate", "p50_ms", "p99_ms", "bound"} <= set(run)
        assert run["bound"] in ("threads", "cpu", "server", "network")
        # a quarter of the inputs fail, and each failure is counted once (no retries)
        (errors,) = run["errors"]
        assert errors["type"] == "ValueError"
        assert errors["count"] == pytest.approx(run["done"] / 4, abs=1)
        assert run["server_cpu_ms_per_task"] > 0 and max(run["rss_mb"]) > 5
    recommendation = document["recommendation"]
    assert {"processes", "threads", "rate", "meets_target", "machines", "bound"} <= set(
        recommendation
    )
    assert (project / "size.png").read_bytes().startswith(b"\x89PNG")
    assert "data:image/png;base64," in (project / "size.html").read_text()


def test_against_a_separately_started_server_it_leaves_nothing_behind(project, capsys):
    with ServerHandle(mode="subprocess") as server:
        mine = {"name": "quote", "responseTimeoutSeconds": 10, "ownerEmail": "a@b.c"}
        server.admin.register_task_defs([mine])  # the user's own definition stays
        argv = ["pricing_workers", "--inputs", "inputs.json", *TINY, "--max-runs", "1"]
        assert cli.main([*argv, "--server-url", server.url]) == 0
        assert f"Server: {server.url} (its CPU measured)" in capsys.readouterr().out
        assert left_behind(server) == {
            "task definitions": [],
            "workflow definitions": [],
            "workflows": [],
            "tasks": [],
        }
        assert [d["name"] for d in server.admin.state()["taskDefs"]] == ["quote"]


def test_it_refuses_a_queue_that_already_holds_tasks_and_touches_nothing(project, capsys):
    with ServerHandle(mode="subprocess") as server:
        (waiting,) = server.admin.enqueue(PREFIX + "quote", 1)
        argv = ["pricing_workers:quote", "--inputs", "inputs.json", *TINY]
        assert cli.main([*argv, "--server-url", server.url]) == 3
        said = capsys.readouterr().err
        assert "already holds 1 task(s)" in said and "harness_size__quote" in said
        assert server.admin.get_task(waiting)["status"] == "SCHEDULED"


def test_ctrl_c_removes_what_it_created(project):
    with ServerHandle(mode="subprocess") as server:
        command = [sys.executable, "-m", "harness", "size", "pricing_workers:quote"]
        command += ["--inputs", "inputs.json", "--rate", "20", "--seconds", "30"]
        env = {**os.environ, "PYTHONPATH": str(project)}
        with subprocess.Popen(
            [*command, "--server-url", server.url],
            stderr=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        ) as sizing:
            # Interrupted while it feeds tasks: its workflows exist on the server.
            wait_until(lambda: server.admin.state()["workflows"], timeout=60)
            sizing.send_signal(signal.SIGINT)
            _, err = sizing.communicate(timeout=60)
        assert sizing.returncode == 130, err
        assert "interrupted" in err
        assert left_behind(server) == {
            "task definitions": [],
            "workflow definitions": [],
            "workflows": [],
            "tasks": [],
        }
