"""A tiny real benchmark: real worker processes against a real fake-server process, driven by
the command line. It checks the benchmark's own logic (everything preloaded completes, the
figures agree with each other, the tables and the JSON have every part, nothing is left
running), never how fast anything is."""

from __future__ import annotations

import json
import subprocess
import sys

import psutil
import pytest

from fake_server.options import COMMAND_LINE_BACKEND
from harness.bench import cli

# Enough tasks that even the cheapest client is charged CPU: the kernel accounts it in 10 ms
# ticks, and a few milliseconds can go uncounted.
TINY = "--processes 1 --threads 2 --reference 1x2 --tasks 200 --repeat 1 --latency-samples 3"
TINY += " --latency-gap-ms 10 --idle-seconds 0.3 --settle-seconds 0 --capacity-seconds 1"
TINY += " --only throughput,workflows,ceiling,latency,capacity --work fork-10 --targets"


def descendants() -> dict[int, str]:
    """The processes under this one: pid -> command line (what a leftover is)."""
    found = {}
    for child in psutil.Process().children(recursive=True):
        try:
            found[child.pid] = f"{child.status()}: {' '.join(child.cmdline())}"
        except psutil.Error:  # it ended meanwhile
            continue
    return found


def runs_of(document: dict, kind: str) -> list[dict]:
    return [run for run in document["runs"] if run["kind"] == kind]


def test_a_tiny_run_is_complete_consistent_and_leaves_nothing_running(tmp_path, capsys):
    # One run checked from several sides (each run costs seconds of real processes). The
    # "other" SDK is this project's own under the same interpreter: the comparison's mechanics
    # (alternating runs, paired ratios) without a second venv.
    before = descendants()
    figures = tmp_path / "bench.json"
    argv = [*TINY.split(), "--task-ms", "1", "--compare-python", sys.executable]
    assert cli.main([*argv, "--json", str(figures), "--workdir", str(tmp_path / "logs")]) == 0
    assert {pid: what for pid, what in descendants().items() if pid not in before} == {}
    printed = capsys.readouterr()
    titles = ("Throughput:", "Tasks inside workflows:", "Idle workers:", "Server capacity:")
    for title in (*titles, "Targets (measured at 1x2"):
        assert title in printed.out
    assert "drain other 1x2 (repeat 1/1)" in printed.err  # the progress line
    document = json.loads(figures.read_text())
    assert document["errors"] == []
    check_every_drain_completes_what_was_preloaded_at_the_rate_it_reports(document)
    check_workflow_drains_complete_their_worker_tasks(document)
    check_ratios_and_medians_come_from_the_runs(document)
    check_latency_has_one_sample_per_task_and_idle_cost_is_measured(document)
    check_the_json_has_the_setup(document)
    assert list((tmp_path / "logs").glob("ours-*.log"))  # --workdir keeps the workers' logs


def check_every_drain_completes_what_was_preloaded_at_the_rate_it_reports(document):
    drains = runs_of(document, "drain")
    assert {run["side"] for run in drains} == {"ours", "other", "raw-min"}
    for run in drains:
        assert run["tasks"] == 200
        assert run["tasks_per_second"] == pytest.approx(200 / run["drain_seconds"])
        assert run["last_end_ms"] - run["first_start_ms"] == round(run["drain_seconds"] * 1000)
        assert run["worker_cpu_ms_per_task"] > 0
    ours = next(run for run in drains if run["side"] == "ours")
    assert len(ours["rss_mb"]) == 1  # one worker process
    assert ours["sdk"].startswith("conductor-workers ")


def check_workflow_drains_complete_their_worker_tasks(document):
    drains = runs_of(document, "workflows")
    assert {(run["side"], run["work"]) for run in drains} == {
        ("ours", "fork-10"),
        ("other", "fork-10"),
    }
    for run in drains:
        assert run["tasks"] == 200  # 20 workflows of 10 branches; the JOINs are not counted
        assert run["server_cpu_ms_per_task"] > 0
    (ratios,) = document["ratios"]["workflows"]
    assert ratios["ours_server_cpu_vs_adhoc"] > 0


def check_ratios_and_medians_come_from_the_runs(document):
    tps = {run["side"]: run["tasks_per_second"] for run in runs_of(document, "drain")}
    (ratios,) = document["ratios"]["throughput"]
    assert ratios["ours_vs_other"] == pytest.approx(tps["ours"] / tps["other"])
    assert ratios["ours_vs_ceiling"] == pytest.approx(tps["ours"] / tps["raw-min"])
    medians = {row["side"]: row["tasks_per_second"] for row in document["throughput"]}
    assert medians == pytest.approx(tps)


def check_latency_has_one_sample_per_task_and_idle_cost_is_measured(document):
    quiet = runs_of(document, "quiet")
    assert {run["side"] for run in quiet} == {"ours", "other"}
    for run in quiet:
        assert run["pickup_ms"]["count"] == 3
        assert run["pickup_ms"]["p50"] <= run["end_to_end_ms"]["p50"]
        assert run["idle_cpu_percent_all_processes"] >= run["idle_cpu_percent"] >= 0
    capacity = {run["side"]: run for run in runs_of(document, "capacity")}
    assert capacity["fake"]["requests_per_second"] > 0 and capacity["fake"]["tasks_per_second"] > 0
    assert capacity["flask"]["requests_per_second"] > 0


def check_the_json_has_the_setup(document):
    setup = document["setup"]
    assert setup["machine"]["cpu_count"] >= 1 and setup["machine"]["platform"]
    assert (
        setup["python"] and setup["server"]["backend"] == COMMAND_LINE_BACKEND
    )  # granian on Linux
    assert setup["points"] == [[1, 2]] and setup["reference"] == {"processes": 1, "threads": 2}
    assert setup["task"] == {"sleep_ms": 1.0, "description": "sleeps 1 ms"}
    assert setup["sides"]["other"]["python"] == sys.executable
    assert setup["sides"]["ours"]["sdk"].startswith("conductor-workers ")
    assert {t["status"] for t in document["targets"]} <= {"PASS", "MISS", "NOT MEASURED"}


def test_the_command_soaks_prints_tables_and_writes_json_and_chart(tmp_path):
    pytest.importorskip("matplotlib")
    figures, chart = tmp_path / "bench.json", tmp_path / "bench.png"
    command = [sys.executable, "-m", "harness", "bench", "--only", "throughput"]
    command += ["--processes", "2", "--threads", "1", "--reference", "2x1"]
    command += ["--tasks", "20", "--repeat", "1"]
    command += ["--soak", "0.02", "--soak-sample-seconds", "0.3"]
    command += ["--json", str(figures), "--plot", str(chart)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Soak: steady load" in done.stdout
    assert "soak ours 2x1 (0.02 min)" in done.stderr  # the progress line
    written = json.loads(figures.read_text())
    assert [run["kind"] for run in written["runs"]] == ["drain"]
    (soak,) = written["soak"]
    assert len(soak["samples"]) >= 2 and len(soak["per_process"]) == 2
    assert soak["tasks"] > 0 and soak["tasks"] % 20 == 0
    assert soak["first_rss_mb"] > 0 and soak["last_rss_mb"] > 0
    targets = {target["name"]: target["status"] for target in written["targets"]}
    assert targets["RSS flat during the soak"] in ("PASS", "MISS")
    assert targets["pick-up latency p50, idle workers"] == "NOT MEASURED"  # not asked for
    assert chart.read_bytes()[:4] == b"\x89PNG"


def test_async_and_kill_runs_measure_what_they_report(tmp_path):
    figures = tmp_path / "bench.json"
    argv = ["--only", "async,kill", "--reference", "2x2", "--repeat", "1", "--no-progress"]
    argv += ["--async-concurrency", "20", "--async-task-ms", "20", "--async-seconds", "1"]
    argv += ["--kill-task-ms", "300", "--kill-wait", "10"]
    assert cli.main([*argv, "--json", str(figures)]) == 0
    document = json.loads(figures.read_text())
    assert document["errors"] == []
    for run in runs_of(document, "async"):
        assert (run["processes"], run["threads"]) == (1, 20)
        assert run["completed"] > 0
        assert run["tasks_per_second"] == pytest.approx(run["completed"] / run["seconds"])
    ((ratio,), runs) = document["ratios"]["async"], runs_of(document, "async")
    assert ratio["ours_vs_other"] is None and [run["side"] for run in runs] == ["ours"]
    for run in runs_of(document, "kill"):
        assert run["back_seconds"] < 10
        # A request of the killed process that the server answers after the kill hands a task
        # to nobody (the response timeout recovers it); the tasks it held come back at once.
        assert run["held_tasks"] >= 1 and run["given_back"] >= 1
    targets = {t["name"]: t["status"] for t in document["targets"]}
    assert targets["kill -9: worker process back"] in ("PASS", "MISS")
