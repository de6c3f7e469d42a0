"""The benchmark's command line: defaults, --quick, bad values named, the chart's file and
its clear error without matplotlib (no benchmark runs here)."""

from __future__ import annotations

import json
import os
import sys

import pytest

from fake_server.wsgi import CLI_BACKEND
from harness.bench import cli, plot, summary
from harness.bench.runs import TaskBody
from harness.cli import build_parser as harness_parser


def document_for_plot() -> dict:
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


def config(*argv: str):
    return cli.config_from_args(cli.build_parser().parse_args(list(argv)))


def test_defaults_sweep_1_2_4_processes_with_10_threads_and_reference_4x10():
    chosen = config()
    assert chosen.points() == [(1, 10), (2, 10), (4, 10)]
    assert chosen.reference == (4, 10)
    assert (chosen.tasks, chosen.repeat, chosen.body) == (6000, 3, TaskBody())


def test_quick_is_tiny_but_explicit_values_still_win():
    quick = config("--quick")
    assert quick.repeat == 1 and quick.tasks < 1000
    assert config("--quick", "--tasks", "50", "--repeat", "2").tasks == 50


def test_the_reference_point_joins_the_sweep_and_lists_are_swept():
    chosen = config("--processes", "1,8", "--threads", "2,10", "--reference", "3x2")
    assert chosen.points() == [(1, 2), (3, 2), (8, 2), (1, 10), (8, 10)]


def test_only_picks_parts_and_the_steps_follow():
    from harness.bench.suite import count_steps

    assert config().parts == ("throughput", "ceiling", "latency", "capacity")
    chosen = config("--only", "latency,throughput", "--repeat", "2", "--processes", "1,2")
    assert chosen.parts == ("latency", "throughput")
    assert count_steps(chosen) == 2 * (3 + 1)  # 3 points (reference 4x10 joins), 1 quiet run


def test_the_server_runs_on_the_command_lines_default_unless_another_is_chosen():
    assert config().server_wsgi == CLI_BACKEND  # granian on Linux: the least CPU per request
    assert config("--server-wsgi", "waitress").server_wsgi == "waitress"


def test_task_body_and_other_python_become_absolute():
    chosen = config("--task-ms", "5", "--cpu-ms", "1.5", "--compare-python", "venv/bin/python")
    assert chosen.body == TaskBody(sleep_ms=5.0, cpu_ms=1.5)
    assert chosen.body.task_input() == {"sleep_ms": 5.0, "cpu_ms": 1.5}
    assert chosen.compare_python == os.path.abspath("venv/bin/python")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--processes", "1,two"], "--processes: 'two' in '1,two' is not a whole number"),
        (["--threads", "0"], "--threads: 0 in '0' is not at least 1"),
        (["--reference", "4by10"], "'4by10' is not PROCESSESxTHREADS"),
        (["--tasks", "0"], "0 is not at least 1"),
        (["--idle-seconds", "0"], "0 is not positive"),
        (["--only", "throughput,speed"], "speed: choose among throughput, ceiling"),
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
    args = cli.build_parser().parse_args(["--compare-python", sys.executable + "-missing"])
    assert cli.run(args) == 2
    assert "--compare-python" in capsys.readouterr().err


def test_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    written = plot.write_plot(document_for_plot(), tmp_path / "chart.png")
    assert written.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_without_matplotlib_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import fails as if not installed
    with pytest.raises(plot.PlotUnavailable, match=r"pip install -e '\.\[bench\]'"):
        plot.write_plot(document_for_plot(), tmp_path / "chart.png")


def test_a_saved_run_is_reported_again_without_running_anything(tmp_path, capsys):
    saved, again = tmp_path / "saved.json", tmp_path / "again.json"
    saved.write_text(json.dumps(document_for_plot()))
    assert cli.main(["--report", str(saved), "--json", str(again)]) == 0
    assert "Throughput: draining a pre-loaded queue" in capsys.readouterr().out
    assert json.loads(again.read_text())["throughput"] == document_for_plot()["throughput"]


def test_a_report_of_a_file_that_is_not_a_saved_run_is_refused(tmp_path, capsys):
    bogus = tmp_path / "bogus.json"
    bogus.write_text("{}")
    assert cli.main(["--report", str(bogus)]) == 2
    assert f"--report {bogus}: not a saved benchmark" in capsys.readouterr().err
