"""The arithmetic of the benchmark, free of processes and sockets (unit-tested on its own).

Times from the server are its task timestamps: integer epoch milliseconds.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# Percentiles are computed as the fake server computes its own (nearest rank).
from fake_server.engine.stats import summarize

__all__ = ["MeasurementError", "median", "ratio", "summarize"]


class MeasurementError(RuntimeError):
    """A run produced data the benchmark cannot turn into a figure (says what and why)."""


def median(values: Iterable[float | None]) -> float | None:
    """The median of the values that exist (``None`` when there are none)."""
    present = [value for value in values if value is not None]
    return statistics.median(present) if present else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator``, or ``None`` when either is missing or the denominator is 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def drain_figures(tasks: Sequence[Mapping[str, Any]], expected: int) -> dict[str, Any]:
    """Throughput of one drain from the server's task timestamps.

    The drain runs from the first hand-out (earliest ``startTime``) to the last completion
    (latest ``endTime``); throughput is completed tasks per second of that span. Raises
    ``MeasurementError`` unless exactly ``expected`` tasks exist and all completed.
    """
    completed = [task for task in tasks if task.get("status") == "COMPLETED"]
    if len(tasks) != expected or len(completed) != expected:
        statuses: dict[str, int] = {}
        for task in tasks:
            status = str(task.get("status"))
            statuses[status] = statuses.get(status, 0) + 1
        raise MeasurementError(
            f"expected {expected} completed tasks, the server has {len(tasks)}: {statuses}"
        )
    first_start = min(int(task["startTime"]) for task in completed)
    last_end = max(int(task["endTime"]) for task in completed)
    drain_ms = last_end - first_start
    if drain_ms <= 0:
        raise MeasurementError(
            f"{expected} tasks drained within one millisecond: too few to time; "
            "preload more tasks (--tasks)"
        )
    return {
        "tasks": len(completed),
        "first_start_ms": first_start,
        "last_end_ms": last_end,
        "drain_seconds": drain_ms / 1000.0,
        "tasks_per_second": len(completed) / (drain_ms / 1000.0),
    }


def latency_figures(tasks: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Pick-up latency (scheduled -> started) and end-to-end time (scheduled -> ended), ms."""
    done = [task for task in tasks if task.get("status") == "COMPLETED"]
    pickup = [int(task["startTime"]) - int(task["scheduledTime"]) for task in done]
    end_to_end = [int(task["endTime"]) - int(task["scheduledTime"]) for task in done]
    return {"pickup_ms": summarize(pickup), "end_to_end_ms": summarize(end_to_end)}


def cpu_percent(cpu_seconds: float, window_seconds: float) -> float:
    """CPU time used over a wall-clock window, as a percentage of one core."""
    if window_seconds <= 0:
        raise ValueError(f"window_seconds must be positive, got {window_seconds}")
    return 100.0 * cpu_seconds / window_seconds


def per_task_ms(cpu_seconds: float, tasks: int) -> float | None:
    """Milliseconds of CPU per task."""
    return 1000.0 * cpu_seconds / tasks if tasks else None


def slope_per_minute(points: Sequence[tuple[float, float]]) -> float | None:
    """Least-squares slope of ``(seconds, value)`` points, in value units per minute."""
    if len(points) < 2:
        return None
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    mean_x = sum(xs) / len(xs)
    mean_y = sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread
    return slope * 60.0


def flatness(
    points: Sequence[tuple[float, float]],
    *,
    warmup_fraction: float = 0.2,
    tolerance_fraction: float = 0.05,
    tolerance_floor: float = 2.0,
) -> dict[str, Any]:
    """Whether a series of ``(seconds, MB)`` samples is flat after its warm-up.

    The samples of the first ``warmup_fraction`` of the span are left out (imports, pools and
    caches fill then). The rest is flat when its last value exceeds its first by no more than
    ``max(tolerance_floor MB, tolerance_fraction of the first)``.
    """
    if len(points) < 2:
        return {"flat": None, "growth_mb": None, "slope_mb_per_min": None, "baseline_mb": None}
    start, end = points[0][0], points[-1][0]
    cutoff = start + warmup_fraction * (end - start)
    settled = [point for point in points if point[0] >= cutoff] or list(points[-2:])
    if len(settled) < 2:
        settled = list(points[-2:])
    baseline = settled[0][1]
    growth = settled[-1][1] - baseline
    allowed = max(tolerance_floor, tolerance_fraction * baseline)
    return {
        "flat": growth <= allowed,
        "growth_mb": growth,
        "allowed_growth_mb": allowed,
        "slope_mb_per_min": slope_per_minute(settled),
        "baseline_mb": baseline,
    }


def parse_counts(text: str, what: str) -> list[int]:
    """``"1,2,4"`` -> ``[1, 2, 4]``: positive whole numbers, in the order given, no repeats."""
    values: list[int] = []
    for part in text.split(","):
        part = part.strip()
        try:
            value = int(part)
        except ValueError:
            raise ValueError(
                f"{what}: {part!r} in {text!r} is not a whole number "
                "(give a comma-separated list such as 1,2,4)"
            ) from None
        if value < 1:
            raise ValueError(f"{what}: {value} in {text!r} is not at least 1")
        if value not in values:
            values.append(value)
    return values
