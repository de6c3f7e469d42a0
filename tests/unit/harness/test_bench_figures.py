"""The benchmark's arithmetic: medians, ratios, percentiles, throughput from the server's
timestamps, CPU shares, memory flatness, list arguments."""

from __future__ import annotations

import pytest

from harness.bench import figures
from harness.bench.figures import MeasurementError


def task(start: int, end: int, *, scheduled: int = 0, status: str = "COMPLETED") -> dict:
    return {"scheduledTime": scheduled, "startTime": start, "endTime": end, "status": status}


def test_median_ignores_missing_values_and_is_none_without_any():
    assert figures.median([3.0, None, 1.0, 2.0]) == 2.0
    assert figures.median([4.0, 1.0]) == 2.5
    assert figures.median([None, None]) is None


def test_ratio_is_none_when_a_side_is_missing_or_zero():
    assert figures.ratio(300.0, 100.0) == 3.0
    assert figures.ratio(None, 100.0) is None
    assert figures.ratio(300.0, 0) is None


def test_percentiles_are_nearest_rank_like_the_server():
    samples = list(range(1, 101))  # 1..100
    summary = figures.summarize(reversed(samples))
    assert (summary["p50"], summary["p95"], summary["p99"], summary["max"]) == (50, 95, 99, 100)
    assert summary["count"] == 100
    assert summary["mean"] == 50.5
    assert figures.summarize([])["p50"] is None
    assert figures.summarize([7])["p99"] == 7


def test_throughput_is_completed_tasks_over_first_start_to_last_end():
    tasks = [task(1_000, 1_100), task(1_050, 1_900), task(1_200, 3_000), task(2_000, 2_500)]
    result = figures.drain_figures(tasks, expected=4)
    assert result["drain_seconds"] == 2.0  # 1_000 -> 3_000 ms
    assert result["tasks_per_second"] == 2.0
    assert result["tasks"] == 4


def test_a_drain_with_missing_or_unfinished_tasks_is_not_a_measurement():
    with pytest.raises(MeasurementError, match="expected 3 completed tasks.*'FAILED': 1"):
        figures.drain_figures([task(1, 5), task(2, 6), task(3, 7, status="FAILED")], 3)
    with pytest.raises(MeasurementError, match="expected 3"):
        figures.drain_figures([task(1, 5), task(2, 6)], 3)


def test_a_drain_shorter_than_the_clock_tick_asks_for_more_tasks():
    with pytest.raises(MeasurementError, match="--tasks"):
        figures.drain_figures([task(5, 5), task(5, 5)], 2)


def test_latency_is_scheduled_to_started_and_end_to_end_scheduled_to_ended():
    tasks = [task(12, 20, scheduled=10), task(101, 104, scheduled=100), task(7, 9, scheduled=7)]
    result = figures.latency_figures(tasks)
    assert result["pickup_ms"]["p50"] == 1  # samples 2, 1, 0
    assert result["pickup_ms"]["max"] == 2
    assert result["end_to_end_ms"]["p50"] == 4  # samples 10, 4, 2


def test_cpu_percent_is_share_of_one_core():
    assert figures.cpu_percent(0.05, 10.0) == pytest.approx(0.5)
    assert figures.per_task_ms(2.0, 1000) == 2.0
    assert figures.per_task_ms(2.0, 0) is None
    with pytest.raises(ValueError, match="window_seconds"):
        figures.cpu_percent(1.0, 0)


def test_slope_is_per_minute():
    assert figures.slope_per_minute([(0, 10.0), (60, 11.0), (120, 12.0)]) == pytest.approx(1.0)
    assert figures.slope_per_minute([(0, 10.0)]) is None


def test_memory_that_settles_after_warm_up_is_flat():
    points = [(0, 20.0), (60, 30.0), (120, 30.5), (300, 30.4), (600, 31.0)]
    verdict = figures.flatness(points)
    assert verdict["flat"] is True
    assert verdict["baseline_mb"] == 30.5  # warm-up (first 20%: up to 120 s) left out
    assert verdict["growth_mb"] == pytest.approx(0.5)


def test_memory_that_keeps_growing_is_not_flat():
    points = [(second, 30.0 + second / 30) for second in range(0, 601, 60)]  # +2 MB a minute
    verdict = figures.flatness(points)
    assert verdict["flat"] is False
    assert verdict["slope_mb_per_min"] == pytest.approx(2.0)
    assert figures.flatness([(0, 1.0)])["flat"] is None


def test_lists_of_counts_keep_their_order_and_drop_repeats():
    assert figures.parse_counts("1, 2,4,2", "--processes") == [1, 2, 4]
    with pytest.raises(ValueError, match=r"--threads: 'x' in '1,x' is not a whole number"):
        figures.parse_counts("1,x", "--threads")
    with pytest.raises(ValueError, match="--processes: 0 in '0' is not at least 1"):
        figures.parse_counts("0", "--processes")
