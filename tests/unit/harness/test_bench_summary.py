"""From run records to the benchmark's document: medians over repeats, paired ratios, targets,
tables and the chart's series (synthetic records, no processes)."""

from __future__ import annotations

import json

import pytest

from harness.bench import summary, tables
from harness.bench.plot import throughput_series

SETUP = {
    "date": "2026-01-01T00:00:00+00:00",
    "machine": {"cpu_count": 2, "platform": "Linux-test", "machine": "x86_64"},
    "python": "3.11.7",
    "server": {"backend": "waitress", "threads": 128, "process": "its own"},
    "task": {"sleep_ms": 0.0, "cpu_ms": 0.0, "description": "trivial (returns at once)"},
    "tasks_per_drain": 1000,
    "repeat": 3,
    "reference": {"processes": 4, "threads": 10},
    "sides": {
        "ours": {"python": "/venv/bin/python", "sdk": "conductor-workers 0.1.0"},
        "other": {"python": "/other/bin/python", "sdk": "conductor-python 2.0.0"},
    },
}


def drain(side: str, repeat: int, tps: float, processes: int = 4, **extra) -> dict:
    return {
        "kind": "drain",
        "side": side,
        "processes": processes,
        "threads": 10,
        "repeat": repeat,
        "tasks_per_second": tps,
        "drain_seconds": 1000 / tps,
        "worker_cpu_ms_per_task": 1.0,
        "server_cpu_ms_per_task": 0.9,
        "rss_mb": [25.0, 26.0],
        "startup_seconds": 1.0,
        **extra,
    }


def quiet(side: str, repeat: int, p50: float, idle: float, rss: float = 26.0) -> dict:
    return {
        "kind": "quiet",
        "side": side,
        "processes": 4,
        "threads": 10,
        "repeat": repeat,
        "pickup_ms": {"p50": p50, "p95": p50 + 1, "p99": p50 + 2},
        "end_to_end_ms": {"p50": p50 + 3, "p95": p50 + 5},
        "idle_cpu_percent": idle,
        "idle_cpu_percent_all_processes": idle + 0.1,
        "idle_polls_per_second": 4.0,
        "rss_mb": [rss - 1, rss],
    }


def capacity(target: str, repeat: int, rate: float) -> dict:
    return {
        "kind": "capacity",
        "side": target,
        "processes": 4,
        "threads": 10,
        "repeat": repeat,
        "requests_per_second": rate,
        "server_cpu_percent": 95.0,
    }


def records() -> list[dict]:
    rows = []
    # Paired per repeat: ours/other = 3.0, 2.5, 4.0 -> median 3.0 (the ratio of the medians
    # would be 600/200 = 3.0 too, but 3.5 for ours/ceiling below shows they differ).
    for repeat, (ours, other, ceiling) in enumerate(
        [(600, 200, 700), (500, 200, 800), (800, 200, 1000)]
    ):
        rows += [drain("ours", repeat, ours), drain("other", repeat, other)]
        rows += [drain("raw-min", repeat, ceiling), drain("raw-pu", repeat, ceiling / 2)]
        rows.append(drain("ours", repeat, 300, processes=1))
    rows += [
        quiet("ours", r, p50, idle) for r, (p50, idle) in enumerate([(1, 0.5), (0, 0.7), (2, 0.6)])
    ]
    rows += [quiet("other", r, 50, 6.0) for r in range(3)]
    rows += [capacity("fake", r, 1000 + 100 * r) for r in range(3)]
    rows += [capacity("flask", r, 2000) for r in range(3)]
    rows.append({**drain("ours", 3, 1.0), "error": "ChildError: it died"})
    return rows


def document() -> dict:
    return summary.build_document(SETUP, records())


def row(rows: list[dict], side: str, processes: int = 4) -> dict:
    return next(r for r in rows if r["side"] == side and r["processes"] == processes)


def test_medians_over_repeats_leave_failed_runs_out():
    result = document()
    ours = row(result["throughput"], "ours")
    assert ours["tasks_per_second"] == 600
    assert ours["runs"] == 3  # the failed fourth run is not counted
    assert ours["max_rss_mb"] == 26.0
    assert row(result["throughput"], "ours", processes=1)["tasks_per_second"] == 300
    assert row(result["quiet"], "ours")["pickup_p50_ms"] == 1
    assert row(result["quiet"], "ours")["idle_cpu_percent"] == 0.6
    assert [e["error"] for e in result["errors"]] == ["ChildError: it died"]


def test_ratios_are_medians_of_the_ratios_of_each_repeat():
    ratios = document()["ratios"]
    at_reference = next(r for r in ratios["throughput"] if r["processes"] == 4)
    assert at_reference["ours_vs_other"] == pytest.approx(3.0)  # 3.0, 2.5, 4.0
    # ours / best plain loop per repeat: 600/700, 500/800, 800/1000 -> median 0.8
    assert at_reference["ours_vs_ceiling"] == pytest.approx(0.8)
    assert at_reference["ceiling_tasks_per_second"] == 800
    one_process = next(r for r in ratios["throughput"] if r["processes"] == 1)
    assert one_process["ours_vs_other"] is None  # the other SDK did not run there
    assert ratios["fake_vs_flask_capacity"] == pytest.approx(0.55)  # 1000, 1100, 1200 / 2000


def test_best_throughput_is_set_against_the_best_plain_loop_anywhere_in_the_sweep():
    best = document()["ratios"]["best_vs_best_ceiling"]
    assert best["ceiling"] == {
        "tasks_per_second": 800,
        "processes": 4,
        "threads": 10,
        "side": "raw-min",
    }
    assert best["ours"]["tasks_per_second"] == 600
    assert best["ours"]["vs_ceiling"] == pytest.approx(0.75)
    assert best["other"]["vs_ceiling"] == pytest.approx(0.25)


def test_targets_report_the_measured_value_and_pass_or_miss():
    targets = {t["name"]: t for t in document()["targets"]}
    assert targets["throughput vs the other SDK"]["status"] == "PASS"  # 3.0 >= 3
    assert targets["throughput vs the plain-loop ceiling"]["status"] == "PASS"  # 0.8 >= 0.8
    assert targets["pick-up latency p50, idle workers"]["measured"] == 1
    assert targets["idle CPU of the worker processes together"]["status"] == "PASS"
    assert targets["RSS per worker process"]["measured"] == 26.0
    assert targets["RSS flat during the soak"]["status"] == "NOT MEASURED"


def test_a_missed_target_says_miss():
    slow = [r for r in records() if not (r["kind"] == "quiet" and r["side"] == "ours")]
    slow += [quiet("ours", r, 5, 2.5, rss=80.0) for r in range(3)]
    soak = {"side": "ours", "flat": False, "samples": [], "per_process": {}}
    result = summary.build_document(SETUP, slow, [soak])
    targets = {t["name"]: t["status"] for t in result["targets"]}
    assert targets["pick-up latency p50, idle workers"] == "MISS"
    assert targets["idle CPU of the worker processes together"] == "MISS"
    assert targets["RSS per worker process"] == "MISS"
    assert targets["RSS flat during the soak"] == "MISS"


def test_without_the_other_sdk_its_target_is_not_measured():
    alone = [r for r in records() if r["side"] != "other"]
    setup = {**SETUP, "sides": {"ours": SETUP["sides"]["ours"]}}
    targets = {t["name"]: t for t in summary.build_document(setup, alone)["targets"]}
    assert targets["throughput vs the other SDK"]["status"] == "NOT MEASURED"
    assert targets["throughput vs the other SDK"]["measured"] is None


def test_the_document_is_json_with_every_section():
    result = json.loads(json.dumps(document()))
    assert set(result) == {
        "setup",
        "runs",
        "errors",
        "throughput",
        "quiet",
        "capacity",
        "soak",
        "ratios",
        "targets",
    }
    assert len(result["runs"]) == len(records())


def test_tables_show_medians_ratios_and_verdicts():
    text = tables.render(document())
    assert "conductor-workers 0.1.0 (this project)" in text
    assert "conductor-python 2.0.0" in text
    assert "4x10: 3.00x" in text  # this project vs the other SDK
    assert "Fake server / bare Flask: 0.55x" in text
    assert "(4x10) vs best plain loop (4x10): 0.75x" in text
    assert "ChildError: it died" in text
    verdicts = [line for line in text.splitlines() if line.startswith("throughput vs the other")]
    assert verdicts and verdicts[0].split()[-1] == "PASS"


def test_chart_series_are_per_side_and_thread_count_in_process_order():
    series = throughput_series(document())
    assert series[("ours", 10)] == [(1, 300), (4, 600)]
    assert series[("other", 10)] == [(4, 200)]


def test_tables_leave_out_the_parts_that_did_not_run():
    only_quiet = [r for r in records() if r["kind"] == "quiet"]
    text = tables.render(summary.build_document(SETUP, only_quiet))
    assert "Idle workers" in text
    assert "Throughput:" not in text and "Server capacity" not in text
