"""The benchmark's command line: defaults, --quick, bad values named, --report of a saved run
(the runs saved in docs/benchmarks/), the chart (no benchmark runs here)."""

from __future__ import annotations

import json
import os
import sys

import pytest

from fake_server.options import COMMAND_LINE_BACKEND
from harness.bench import cli, runs, summary
from harness.cli import build_parser as harness_parser
from tests.paths import REPO

SAVED_RUNS = REPO / "docs" / "benchmarks"


def settings(*argv: str):
    return cli.settings(cli.build_parser().parse_args(list(argv)))


def saved_run() -> dict:
    setup = {
        "date": "2026-01-01T00:00:00+00:00",
        "machine": {"cpu_count": 2, "platform": "Linux-test"},
        "python": "3.11.7",
        "server": {"backend": "waitress"},
        "reference": {"processes": 2, "threads": 4},
        "sides": {"ours": {"sdk": "conductor-workers 0.1.0"}},
        "tasks_per_drain": 100,
        "repeat": 1,
        "task": {"description": "trivial (returns at once)"},
    }
    records = [
        {
            "kind": "drain",
            "side": side,
            "processes": p,
            "threads": 4,
            "repeat": 0,
            "tasks_per_second": tps,
        }
        for side, p, tps in [("ours", 1, 300.0), ("ours", 2, 500.0), ("raw-min", 2, 600.0)]
    ]
    return summary.build_document(setup, records)


def test_defaults_sweep_1_2_4_processes_with_10_threads_and_reference_4x10():
    chosen = settings()
    assert runs.points(chosen) == [(1, 10), (2, 10), (4, 10)]
    assert (chosen.reference, chosen.tasks, chosen.repeat) == ((4, 10), 6000, 3)
    assert runs.task_input(chosen) == {}
    parts = ("throughput", "workflows", "ceiling", "latency", "capacity", "async", "kill")
    assert chosen.only == parts
    assert chosen.work == ["workflow-1", "workflow-5", "fork-10"]
    assert chosen.server_wsgi == COMMAND_LINE_BACKEND  # granian on Linux: the least CPU per request


def test_quick_is_tiny_but_explicit_values_still_win():
    quick = settings("--quick")
    assert quick.repeat == 1 and quick.tasks < 1000 and quick.idle_seconds == 1.0
    assert settings("--quick", "--tasks", "50", "--repeat", "2").tasks == 50


def test_only_the_points_asked_for_are_drained_the_reference_too_with_targets():
    asked = ("--processes", "1,8,1", "--threads", "2,10", "--reference", "3x2")
    assert runs.points(settings(*asked)) == [(1, 2), (8, 2), (1, 10), (8, 10)]
    with_targets = settings(*asked, "--targets")
    assert runs.points(with_targets) == [(1, 2), (3, 2), (8, 2), (1, 10), (8, 10)]


def test_only_picks_parts_and_the_progress_steps_follow():
    chosen = settings("--only", "latency,throughput", "--repeat", "2", "--processes", "1,2")
    assert chosen.only == ("latency", "throughput")
    assert runs.count_steps(chosen) == 2 * (2 + 1)  # 2 points, 1 quiet
    # throughput 1 point, workflows 3 shapes, ceiling 1, latency 1, capacity 2, async 2
    # concurrencies, kill 1
    steps = 3 * (1 + 3 + 1 + 1 + 2 + 2 + 1) + 1
    assert runs.count_steps(settings("--processes", "4", "--soak", "1")) == steps


def test_task_body_and_other_python_become_absolute():
    chosen = settings("--task-ms", "5", "--cpu-ms", "1.5", "--compare-python", "venv/bin/python")
    assert runs.task_input(chosen) == {"sleep_ms": 5.0, "cpu_ms": 1.5}
    assert runs.describe_task(runs.task_input(chosen)) == "sleeps 5 ms, busy 1.5 ms CPU"
    assert chosen.compare_python == os.path.abspath("venv/bin/python")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--processes", "1,two"], "--processes: 'two' in '1,two' is not a whole number"),
        (["--threads", "0"], "--threads: 0 in '0' is not at least 1"),
        (["--reference", "4by10"], "--reference: '4by10' is not PROCESSESxTHREADS"),
        (["--tasks", "0"], "--tasks: 0 is not at least 1"),
        (["--idle-seconds", "0"], "--idle-seconds: 0 is not positive"),
        (["--only", "throughput,speed"], "--only: speed: choose among throughput, workflows"),
        (["--server-wsgi", "gunicorn"], "--server-wsgi: invalid choice: 'gunicorn'"),
    ],
)
def test_bad_values_are_named(argv, message, capsys):
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(argv)
    assert message in capsys.readouterr().err


def test_bench_is_a_subcommand_of_the_harness_beside_demo():
    args = harness_parser().parse_args(["bench", "--quick", "--json", "out.json"])
    assert (args.command, args.quick, args.json) == ("bench", True, "out.json")
    assert harness_parser().parse_args(["demo"]).command == "demo"


def test_an_other_python_without_an_sdk_is_refused_with_the_fix(capsys):
    assert cli.main(["--compare-python", sys.executable + "-missing"]) == 2
    assert "--compare-python" in capsys.readouterr().err


def test_a_saved_run_is_reported_again_and_charted_without_running_anything(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    saved, again, chart = tmp_path / "saved.json", tmp_path / "again.json", tmp_path / "c.png"
    saved.write_text(json.dumps(saved_run()))
    assert cli.main(["--report", str(saved), "--json", str(again), "--plot", str(chart)]) == 0
    assert "Throughput: draining a pre-loaded queue" in capsys.readouterr().out
    assert json.loads(again.read_text())["throughput"] == saved_run()["throughput"]
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("saved", sorted(SAVED_RUNS.glob("*.json")), ids=lambda p: p.name)
def test_the_runs_saved_in_the_docs_are_reported_again(saved, capsys):
    assert cli.main(["--report", str(saved), "--targets"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Benchmark 20") and "Targets (measured at 4x10" in out


def test_the_targets_table_is_printed_only_when_asked_and_each_table_explains_its_terms(
    tmp_path, capsys
):
    saved = tmp_path / "saved.json"
    saved.write_text(json.dumps(saved_run()))
    assert cli.main(["--report", str(saved)]) == 0
    out = capsys.readouterr().out
    assert "Targets" not in out and "NOT MEASURED" not in out
    table = out.split("Throughput: draining a pre-loaded queue")[1]
    assert "\ntasks/s: from the first hand-out to the last completion" in table
    assert "vs ceiling: tasks/s / the plain loop's" in table


def test_the_help_explains_the_terms(capsys):
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    for term in ('"plain loop" is a minimal client', '"vs ceiling" is', '"server CPU ms/task"'):
        assert term in text
    assert "--targets" in text


def test_a_report_of_a_file_that_is_not_a_saved_run_is_refused(tmp_path, capsys):
    bogus = tmp_path / "bogus.json"
    bogus.write_text("{}")
    assert cli.main(["--report", str(bogus)]) == 2
    assert f"--report {bogus}: not a saved benchmark" in capsys.readouterr().err


def test_plot_without_matplotlib_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import fails as if not installed
    saved = tmp_path / "saved.json"
    saved.write_text(json.dumps(saved_run()))
    assert cli.main(["--report", str(saved), "--plot", str(tmp_path / "c.png")]) == 2
    assert "--plot needs matplotlib: pip install -e '.[bench]'" in capsys.readouterr().err


def test_a_failed_run_is_listed_and_the_exit_code_says_so(tmp_path, capsys):
    document = saved_run()
    failed = {"kind": "soak", "side": "ours", "processes": 2, "threads": 4, "repeat": 0}
    document["soak"] = [{**failed, "error": "ChildError: worker_main.py ended with code 1"}]
    saved = tmp_path / "saved.json"
    saved.write_text(json.dumps(document))
    assert cli.main(["--report", str(saved)]) == 1
    out = capsys.readouterr().out
    assert "Failed runs (left out of the medians):\n  soak ours 2x4 repeat 1: ChildError" in out
