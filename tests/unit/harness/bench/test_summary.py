"""From run records to the benchmark's document and its tables: throughput from the server's
timestamps, medians over repeats, paired ratios, targets, memory flatness (synthetic records,
no processes)."""

from __future__ import annotations

import json

import pytest

from harness.bench import output, summary
from harness.bench.summary import MeasurementError

SETUP = {
    "date": "2026-01-01T00:00:00+00:00",
    "machine": {"cpu_count": 2, "platform": "Linux-test", "machine": "x86_64"},
    "python": "3.11.7",
    "server": {"backend": "waitress", "threads": 128, "process": "its own"},
    "task": {"description": "trivial (returns at once)"},
    "tasks_per_drain": 1000,
    "repeat": 3,
    "reference": {"processes": 4, "threads": 10},
    "sides": {
        "ours": {"python": "/venv/bin/python", "sdk": "conductor-workers 0.1.0"},
        "other": {"python": "/other/bin/python", "sdk": "conductor-python 2.0.0"},
    },
}


def run(kind: str, side: str, repeat: int, processes: int = 4, **figures) -> dict:
    point = {"processes": processes, "threads": 10, "repeat": repeat}
    return {"kind": kind, "side": side, **point, **figures}


def drain(side: str, repeat: int, tps: float, processes: int = 4) -> dict:
    cpu = {"worker_cpu_ms_per_task": 1.0, "server_cpu_ms_per_task": 0.25}
    return run("drain", side, repeat, processes, tasks_per_second=tps, rss_mb=[25.0, 26.0], **cpu)


def quiet(side: str, repeat: int, p50: float, idle: float, rss: float = 26.0) -> dict:
    return run(
        "quiet",
        side,
        repeat,
        pickup_ms={"p50": p50, "p95": p50 + 1, "p99": p50 + 2},
        end_to_end_ms={"p50": p50 + 3, "p95": p50 + 5},
        idle_cpu_percent=idle,
        idle_cpu_percent_all_processes=idle + 0.1,
        idle_polls_per_second=4.0,
        rss_mb=[rss - 1, rss],
    )


def records() -> list[dict]:
    rows = []
    # Paired per repeat: ours/other = 3.0, 2.5, 4.0 -> median 3.0; ours/ceiling = 600/700,
    # 500/800, 800/1000 -> median 0.8 (the ratio of the medians would be 0.75).
    for repeat, (ours, other, ceiling) in enumerate(
        [(600, 200, 700), (500, 200, 800), (800, 200, 1000)]
    ):
        rows += [
            drain("ours", repeat, ours),
            drain("other", repeat, other),
            drain("raw-min", repeat, ceiling),
        ]
        rows.append(drain("ours", repeat, 300, processes=1))
    rows += [
        quiet("ours", r, p50, idle) for r, (p50, idle) in enumerate([(1, 0.5), (0, 0.7), (2, 0.6)])
    ]
    rows += [quiet("other", r, 50, 6.0) for r in range(3)]
    rows += [
        run("capacity", "fake", r, requests_per_second=1000 + 100 * r, server_cpu_percent=90)
        for r in range(3)
    ]
    rows += [
        run("capacity", "flask", r, requests_per_second=2000, server_cpu_percent=95)
        for r in range(3)
    ]
    rows.append({**drain("ours", 3, 1.0), "error": "ChildError: it died"})
    return rows


def soak(sizes: list[float], side: str = "ours") -> dict:
    samples = [(60.0 * i, size) for i, size in enumerate(sizes)]
    verdict = summary.flatness(samples)
    return {
        "side": side,
        "processes": 4,
        "threads": 10,
        "minutes": len(sizes) - 1,
        "tasks": 1000,
        "tasks_per_second": 500.0,
        "samples": [{"seconds": at, "rss_mb": [size]} for at, size in samples],
        "per_process": {"123": verdict},
        "flat": verdict["flat"],
    }


def document(soaks=()) -> dict:
    return summary.build_document(SETUP, records(), soaks)


def row(rows: list[dict], side: str, processes: int = 4) -> dict:
    return next(r for r in rows if r["side"] == side and r["processes"] == processes)


def task(start: int, end: int, *, scheduled: int = 0, status: str = "COMPLETED") -> dict:
    return {"scheduledTime": scheduled, "startTime": start, "endTime": end, "status": status}


def test_throughput_is_completed_tasks_over_first_start_to_last_end():
    tasks = [task(1_000, 1_100), task(1_050, 1_900), task(1_200, 3_000), task(2_000, 2_500)]
    result = summary.drain_figures(tasks, expected=4)
    assert (result["drain_seconds"], result["tasks_per_second"]) == (2.0, 2.0)


def test_a_drain_with_missing_unfinished_or_too_few_tasks_is_not_a_measurement():
    with pytest.raises(MeasurementError, match="expected 3 completed tasks.*'FAILED': 1"):
        summary.drain_figures([task(1, 5), task(2, 6), task(3, 7, status="FAILED")], 3)
    with pytest.raises(MeasurementError, match="expected 3"):
        summary.drain_figures([task(1, 5), task(2, 6)], 3)
    with pytest.raises(MeasurementError, match="--tasks"):
        summary.drain_figures([task(5, 5), task(5, 5)], 2)


def test_latency_is_scheduled_to_started_and_end_to_end_scheduled_to_ended_nearest_rank():
    tasks = [task(12, 20, scheduled=10), task(101, 104, scheduled=100), task(7, 9, scheduled=7)]
    result = summary.latency_figures(tasks)
    assert (result["pickup_ms"]["p50"], result["pickup_ms"]["max"]) == (1, 2)  # 2, 1, 0
    assert result["end_to_end_ms"]["p50"] == 4  # 10, 4, 2
    many = summary.latency_figures([task(i, i, scheduled=0) for i in range(1, 101)])
    assert [many["pickup_ms"][p] for p in ("p50", "p95", "p99")] == [50, 95, 99]


def test_memory_that_settles_after_warm_up_is_flat_and_growing_memory_is_not():
    verdict = summary.flatness([(0, 20.0), (60, 30.0), (120, 30.5), (300, 30.4), (600, 31.0)])
    assert verdict["flat"] is True
    assert verdict["baseline_mb"] == 30.5  # warm-up (first 20 %: up to 120 s) left out
    growing = summary.flatness([(s, 30.0 + s / 30) for s in range(0, 601, 60)])  # +2 MB/min
    assert growing["flat"] is False
    assert growing["slope_mb_per_min"] == pytest.approx(2.0)
    assert summary.flatness([(0, 1.0)])["flat"] is None


def test_the_second_half_trend_is_a_fitted_slope_over_the_later_half():
    # RSS that climbs in the first half, then goes up and down around 160 MB.
    points = [(s, 100.0 + s / 2) for s in range(0, 120, 10)]
    points += [(s, 160.0 + (3 if s % 20 else -3)) for s in range(120, 241, 10)]
    trend = summary.second_half_trend(points)
    assert (trend["from_s"], trend["to_s"]) == (120, 240)
    assert abs(trend["growth"]) < 2.0  # flat, though its last sample is 6 MB above its first
    growing = summary.second_half_trend([(s, 50.0 + s / 30) for s in range(0, 601, 30)])
    assert growing["slope_per_min"] == pytest.approx(2.0)
    assert growing["growth"] == pytest.approx(10.0)  # 2 MB/min over 300 s
    assert summary.second_half_trend([(0, 1.0), (10, 2.0)]) is None


def test_growth_beyond_the_peak_leaves_out_what_holding_more_explains():
    # 100 MB at the start, 1 MB per 1,000 held: 110 MB at the first half's peak (10,000 held).
    first = [(0, 100.0, 0), (100, 108.0, 8_000), (200, 110.0, 10_000), (290, 110.0, 9_000)]
    # A later peak of 12,000 held brings 112 MB: explained, so nothing is unexplained.
    later_peak = summary.growth_beyond_peak([*first, (400, 112.0, 12_000), (500, 112.0, 9_000)])
    assert later_peak["explained_mb"] == pytest.approx(2.0)
    assert later_peak["unexplained_mb"] == pytest.approx(0.0)
    # The same memory with no more held at the second half's peak: 2 MB of growth.
    creeping = summary.growth_beyond_peak([*first, (400, 111.0, 9_000), (500, 112.0, 9_500)])
    assert (creeping["explained_mb"], creeping["unexplained_mb"]) == (0.0, pytest.approx(2.0))
    assert summary.growth_beyond_peak(first[:3]) is None


def test_medians_over_repeats_leave_failed_runs_out():
    result = document()
    ours = row(result["throughput"], "ours")
    assert (ours["tasks_per_second"], ours["runs"], ours["max_rss_mb"]) == (600, 3, 26.0)
    assert row(result["throughput"], "ours", processes=1)["tasks_per_second"] == 300
    assert row(result["quiet"], "ours")["pickup_p50_ms"] == 1
    assert row(result["quiet"], "ours")["idle_cpu_percent"] == 0.6
    assert [e["error"] for e in result["errors"]] == ["ChildError: it died"]


def test_ratios_are_medians_of_the_ratios_of_each_repeat():
    ratios = document()["ratios"]
    at_reference = next(r for r in ratios["throughput"] if r["processes"] == 4)
    assert at_reference["ours_vs_other"] == pytest.approx(3.0)
    assert at_reference["ours_vs_other_runs"] == pytest.approx([3.0, 2.5, 4.0])  # repeat order
    assert at_reference["ours_vs_ceiling"] == pytest.approx(0.8)
    assert at_reference["other_vs_ceiling"] == pytest.approx(0.25)
    assert at_reference["ceiling_tasks_per_second"] == 800
    one_process = next(r for r in ratios["throughput"] if r["processes"] == 1)
    assert one_process["ours_vs_other"] is None  # the other SDK did not run there
    assert ratios["fake_vs_flask_capacity"] == pytest.approx(0.55)  # 1000, 1100, 1200 / 2000


def test_targets_report_the_measured_value_and_pass_miss_or_not_measured():
    targets = {t["name"]: t for t in document([soak([25.0, 25.5, 25.6, 25.6, 25.7])])["targets"]}
    assert targets["throughput vs the other SDK"]["status"] == "PASS"  # 3.0 >= 3
    assert targets["throughput vs the plain-loop ceiling"]["status"] == "PASS"  # 0.8 >= 0.8
    assert targets["pick-up latency p50, idle workers"]["measured"] == 1
    assert targets["RSS per worker process"]["measured"] == 26.0
    assert targets["RSS flat during the soak"]["status"] == "PASS"
    alone = [r for r in records() if r["side"] != "other"]
    targets = {t["name"]: t for t in summary.build_document(SETUP, alone)["targets"]}
    assert targets["throughput vs the other SDK"]["status"] == "NOT MEASURED"
    assert targets["RSS flat during the soak"]["status"] == "NOT MEASURED"


def test_a_missed_target_says_miss():
    slow = [r for r in records() if not (r["kind"] == "quiet" and r["side"] == "ours")]
    slow += [quiet("ours", r, 5, 2.5, rss=80.0) for r in range(3)]
    result = summary.build_document(SETUP, slow, [soak([25.0, 27, 29, 31, 33])])
    targets = {t["name"]: t["status"] for t in result["targets"]}
    assert targets["pick-up latency p50, idle workers"] == "MISS"
    assert targets["idle CPU of the worker processes together"] == "MISS"
    assert targets["RSS per worker process"] == "MISS"
    assert targets["RSS flat during the soak"] == "MISS"


def test_the_document_is_json_with_every_section():
    result = json.loads(json.dumps(document()))
    sections = {"setup", "runs", "errors", "throughput", "quiet", "capacity", "soak", "ratios"}
    sections |= {"async", "kill", "workflows"}
    assert set(result) == sections | {"targets"}
    assert len(result["runs"]) == len(records())


def test_tables_show_medians_ratios_and_verdicts():
    text = output.render(document([soak([25.0, 25.5, 25.6, 25.6, 25.7])]), targets=True)
    assert "conductor-workers 0.1.0 (this project)" in text and "conductor-python 2.0.0" in text
    # this project vs the other SDK: the median, and each run, so "every run" can be checked
    assert "4x10: 3.00x (median; each run: 3.00x, 2.50x, 4.00x)" in text
    assert "Fake server / bare Flask: 0.55x" in text
    lines = text.splitlines()
    ours = next(line for line in lines if line.startswith("conductor-workers") and "4x10" in line)
    assert ours.split()[-5:] == ["600", "1.00", "0.25", "26.0", "0.80x"]
    soaked = next(line for line in lines if "+0." in line)
    assert soaked.split()[-4:] == ["25.0", "25.7", "+0.060", "True"]
    assert "ChildError: it died" in text
    verdicts = [line for line in text.splitlines() if line.startswith("throughput vs the other")]
    assert verdicts and verdicts[0].split()[-1] == "PASS"


def workflow_drain(side: str, repeat: int, tps: float, server_cpu: float) -> dict:
    figures = run("workflows", side, repeat, tasks_per_second=tps, rss_mb=[25.0])
    cpu = {"worker_cpu_ms_per_task": 1.0, "server_cpu_ms_per_task": server_cpu}
    return {**figures, **cpu, "work": "workflow-1"}


def test_workflow_drains_are_compared_with_the_other_sdk_and_with_ad_hoc_tasks():
    # The ad-hoc drains of records() cost the server 0.25 ms a task on both sides.
    runs = records() + [
        workflow_drain("ours", r, tps, cpu)
        for r, (tps, cpu) in enumerate([(400, 0.30), (500, 0.5), (450, 0.35)])
    ]
    runs += [workflow_drain("other", r, 100, 0.25) for r in range(3)]
    built = summary.build_document(SETUP, runs)
    (ratios,) = built["ratios"]["workflows"]
    assert (ratios["work"], ratios["processes"], ratios["threads"]) == ("workflow-1", 4, 10)
    assert ratios["ours_vs_other"] == pytest.approx(4.5)
    assert ratios["ours_server_cpu_vs_adhoc"] == pytest.approx(1.4)  # 1.2, 2.0, 1.4
    assert ratios["other_server_cpu_vs_adhoc"] == pytest.approx(1.0)
    assert row(built["workflows"], "ours")["server_cpu_ms_per_task"] == pytest.approx(0.35)
    printed = output.render(built)
    assert "Tasks inside workflows" in printed and "1.40x" in printed
    assert "workflow-1 4x10: 4.50x (median; each run: 4.00x, 5.00x, 4.50x)" in printed
    assert ratios["ours_vs_other_runs"] == pytest.approx([4.0, 5.0, 4.5])
    assert "Tasks inside workflows" not in output.render(document())


def test_tables_leave_out_the_parts_that_did_not_run():
    only_quiet = [r for r in records() if r["kind"] == "quiet"]
    text = output.render(summary.build_document(SETUP, only_quiet))
    assert "Idle workers" in text
    assert "Throughput:" not in text and "Server capacity" not in text and "Soak" not in text


def test_window_figures_count_completions_up_to_the_end_of_the_window():
    tasks = [
        {"status": "COMPLETED", "startTime": 1_000, "endTime": 1_500},
        {"status": "COMPLETED", "startTime": 1_100, "endTime": 1_900},
        {"status": "IN_PROGRESS", "startTime": 1_200},
        {"status": "SCHEDULED"},
    ]
    figures = summary.window_figures(tasks, now_ms=3_000)
    assert figures == {"completed": 2, "seconds": 2.0, "tasks_per_second": 1.0}
    drained = summary.window_figures(tasks[:2], now_ms=9_000)  # all done: up to the last end
    assert drained["seconds"] == 0.9
    with pytest.raises(summary.MeasurementError, match="no task completed"):
        summary.window_figures(tasks[2:], now_ms=3_000)
