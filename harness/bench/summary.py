"""From the records of single runs to the benchmark's document: the arithmetic, the medians,
the paired ratios and the targets, and the one description of each figure (``FIELDS``) that
both the JSON's medians and the printed tables follow.

Pure functions over plain dicts (the JSON that ``--json`` writes), tested without processes.
A record is one run: ``{"kind": "drain"|"quiet"|"capacity", "side", "processes", "threads",
"repeat", ...its figures}``, with an ``"error"`` instead when it failed. Ratios are paired:
within a repeat the sides ran back to back on the same server, so each repeat's ratio is
taken and the median of those is reported. Server times are integer epoch milliseconds.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Percentiles are computed as the fake server computes its own (nearest rank).
from fake_server.engine.stats import summarize

OURS, OTHER = "ours", "other"
CEILING = "raw-min"  # the plain http.client loop (the key earlier runs' files use too)
Record = Mapping[str, Any]


class MeasurementError(RuntimeError):
    """A run produced data the benchmark cannot turn into a figure (says what and why)."""


@dataclass(frozen=True)
class Field:
    """One figure of a kind of run: its key in the medians, its column in the tables (none if
    empty), how it is shown, and where it is in a record (a dotted path; a list's largest)."""

    key: str
    header: str
    shown: str = "{:,.1f}"
    path: str = ""

    def read(self, record: Record) -> Any:
        value: Any = record
        for name in (self.path or self.key).split("."):
            value = value.get(name) if isinstance(value, Mapping) else None
        return max(value, default=None) if isinstance(value, list) else value


RSS = Field("max_rss_mb", "max RSS MB", path="rss_mb")
# The kinds of run, and their section in the document (the soak's lists every soak run).
SECTIONS = {
    "drain": "throughput",
    "workflows": "workflows",
    "async": "async",
    "quiet": "quiet",
    "capacity": "capacity",
    "kill": "kill",
    "soak": "soak",
}
FIELDS: dict[str, tuple[Field, ...]] = {
    "drain": (
        Field("tasks_per_second", "tasks/s", "{:,.0f}"),
        Field("worker_cpu_ms_per_task", "worker CPU ms/task", "{:.2f}"),
        Field("server_cpu_ms_per_task", "server CPU ms/task", "{:.2f}"),
        RSS,
        Field("drain_seconds", ""),
        Field("startup_seconds", ""),
    ),
    "workflows": (),  # the drain's, filled in below
    "quiet": (
        Field("pickup_p50_ms", "pick-up p50 ms", path="pickup_ms.p50"),
        Field("pickup_p95_ms", "p95", path="pickup_ms.p95"),
        Field("pickup_p99_ms", "p99", path="pickup_ms.p99"),
        Field("end_to_end_p50_ms", "end-to-end p50 ms", path="end_to_end_ms.p50"),
        Field("end_to_end_p95_ms", "", path="end_to_end_ms.p95"),
        Field("idle_cpu_percent", "idle CPU %", "{:.2f}"),
        Field("idle_cpu_percent_all_processes", "(all processes)", "{:.2f}"),
        Field("idle_polls_per_second", "idle polls/s"),
        RSS,
    ),
    "async": (
        Field("tasks_per_second", "tasks/s", "{:,.0f}"),
        Field("worker_cpu_ms_per_task", "worker CPU ms/task", "{:.2f}"),
        Field("completed", "completed", "{:,.0f}"),
        Field("seconds", "in s", "{:.1f}"),
    ),
    "kill": (
        Field("back_seconds", "process back after s", "{:.2f}"),
        Field("held_tasks", "tasks it held", "{:.0f}"),
        Field("given_back_seconds", "back in the queue after s", "{:.2f}"),
        Field("rerun_seconds", "all running again after s", "{:.2f}"),
        Field("still_held", "not again within the wait", "{:.0f}"),
        Field("given_back", ""),
    ),
    "capacity": (
        Field("requests_per_second", "requests/s", "{:,.0f}"),
        Field("server_cpu_percent", "server CPU %", "{:.0f}"),
    ),
    "soak": (
        Field("minutes", "minutes"),
        Field("tasks_per_second", "tasks/s", "{:,.0f}"),
        Field("first_rss_mb", "max RSS MB, first"),
        Field("last_rss_mb", "last"),
        Field("max_slope_mb_per_min", "MB/min", "{:+.3f}"),
        Field("flat", "flat"),
    ),
}
FIELDS["workflows"] = FIELDS["drain"]

# name, unit, bound, sense: "min" (must reach it), "max" (must not pass it) or "flat"
TARGETS: tuple[tuple[str, str, float | None, str], ...] = (
    ("throughput vs the other SDK", "x", 3.0, "min"),
    ("throughput vs the plain-loop ceiling", "x", 0.80, "min"),
    ("pick-up latency p50, idle workers", "ms", 2.0, "max"),
    ("idle CPU of the worker processes together", "% of a core", 1.0, "max"),
    ("RSS per worker process", "MB", 60.0, "max"),
    ("RSS flat during the soak", "", None, "flat"),
    ("kill -9: worker process back", "s", 5.0, "max"),
    ("kill -9: its tasks running again", "s", 2.0, "max"),
    ("async, 1 process, 100 awaiting 100 ms", "tasks/s", 900.0, "min"),
    ("async, 1 process, 500 awaiting 100 ms", "tasks/s", 2500.0, "min"),
    ("async at 500 vs the other SDK", "x", 10.0, "min"),
)
ASYNC_TARGET_POINTS = ((1, 100), (1, 500))


# -- arithmetic ---------------------------------------------------------------------------------
def median(values: Iterable[float | None]) -> float | None:
    """The median of the values that exist (``None`` when there are none)."""
    present = [value for value in values if value is not None]
    return statistics.median(present) if present else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator``; ``None`` when either is missing or the denominator is 0."""
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def drain_figures(tasks: Sequence[Mapping[str, Any]], expected: int) -> dict[str, Any]:
    """Throughput of one drain from the server's task timestamps: completed tasks per second
    from the first hand-out (earliest ``startTime``) to the last completion (latest
    ``endTime``). Raises ``MeasurementError`` unless all ``expected`` tasks completed."""
    completed = [task for task in tasks if task.get("status") == "COMPLETED"]
    if len(tasks) != expected or len(completed) != expected:
        statuses: dict[str, int] = defaultdict(int)
        for task in tasks:
            statuses[str(task.get("status"))] += 1
        raise MeasurementError(
            f"expected {expected} completed tasks, the server has {len(tasks)}: {dict(statuses)}"
        )
    first_start = min(int(task["startTime"]) for task in completed)
    last_end = max(int(task["endTime"]) for task in completed)
    if last_end <= first_start:
        raise MeasurementError(
            f"{expected} tasks drained within one millisecond: too few to time; "
            "preload more tasks (--tasks)"
        )
    seconds = (last_end - first_start) / 1000.0
    return {
        "tasks": expected,
        "first_start_ms": first_start,
        "last_end_ms": last_end,
        "drain_seconds": seconds,
        "tasks_per_second": expected / seconds,
    }


def window_figures(tasks: Sequence[Mapping[str, Any]], now_ms: int) -> dict[str, Any]:
    """Throughput over a window that may end before the queue is drained: tasks completed per
    second from the first hand-out to the last completion if every task completed, else to
    ``now_ms`` (when the window closed)."""
    completed = [task for task in tasks if task.get("status") == "COMPLETED"]
    started = [int(task["startTime"]) for task in tasks if task.get("startTime")]
    if not completed or not started:
        raise MeasurementError("no task completed within the window")
    all_done = len(completed) == len(tasks)
    end = max(int(task["endTime"]) for task in completed) if all_done else now_ms
    seconds = max(end - min(started), 1) / 1000.0
    return {
        "completed": len(completed),
        "seconds": seconds,
        "tasks_per_second": len(completed) / seconds,
    }


def latency_figures(tasks: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Pick-up latency (scheduled -> started) and end to end (scheduled -> ended), in ms."""
    done = [task for task in tasks if task.get("status") == "COMPLETED"]
    return {
        "pickup_ms": summarize(int(t["startTime"]) - int(t["scheduledTime"]) for t in done),
        "end_to_end_ms": summarize(int(t["endTime"]) - int(t["scheduledTime"]) for t in done),
    }


def slope_per_minute(points: Sequence[tuple[float, float]]) -> float | None:
    """Least-squares slope of ``(seconds, value)`` points, in value units per minute."""
    if len(points) < 2 or len({x for x, _ in points}) < 2:
        return None
    return statistics.linear_regression(*zip(*points, strict=True)).slope * 60.0


def flatness(points: Sequence[tuple[float, float]]) -> dict[str, Any]:
    """Whether ``(seconds, MB)`` samples are flat after their warm-up (the first 20 % of the
    span): the last settled value exceeds the first by at most max(2 MB, 5 %)."""
    if len(points) < 2:
        return {"flat": None, "growth_mb": None, "slope_mb_per_min": None, "baseline_mb": None}
    cutoff = points[0][0] + 0.2 * (points[-1][0] - points[0][0])
    settled = [point for point in points if point[0] >= cutoff]
    settled = settled if len(settled) >= 2 else list(points[-2:])
    baseline, growth = settled[0][1], settled[-1][1] - settled[0][1]
    allowed = max(2.0, 0.05 * baseline)
    return {
        "flat": growth <= allowed,
        "growth_mb": growth,
        "allowed_growth_mb": allowed,
        "slope_mb_per_min": slope_per_minute(settled),
        "baseline_mb": baseline,
    }


def second_half_trend(points: Sequence[tuple[float, float]]) -> dict[str, Any] | None:
    """How ``(seconds, value)`` samples moved over the second half of their span: the first and
    last value there, the least-squares slope per minute, and the change that slope makes over
    the half (``growth``: steadier than last minus first when samples go up and down)."""
    if len(points) < 4:
        return None
    middle = (points[0][0] + points[-1][0]) / 2
    half = [point for point in points if point[0] >= middle]
    slope = slope_per_minute(half)
    if slope is None:
        return None
    return {
        "from_s": half[0][0],
        "to_s": half[-1][0],
        "first": half[0][1],
        "last": half[-1][1],
        "slope_per_min": slope,
        "growth": slope * (half[-1][0] - half[0][0]) / 60.0,
    }


def growth_beyond_peak(samples: Sequence[tuple[float, float, float]]) -> dict[str, Any] | None:
    """``(seconds, MB, held)`` samples of a server's memory and of what it holds: how far the
    second half's highest MB goes above the first half's, and how much of that the second half
    holding more at its peak explains, at the run's own cost per thing held (what its memory
    added from the first sample to the first half's peak, over what it held at that peak).

    Memory follows the most a server has held (freed memory is kept for reuse), and under a
    load that goes up and down that peak can come late: this tells such a peak from growth."""
    if len(samples) < 4:
        return None
    middle = (samples[0][0] + samples[-1][0]) / 2
    first = [s for s in samples if s[0] < middle]
    second = [s for s in samples if s[0] >= middle]
    first_mb, first_held = max(s[1] for s in first), max(s[2] for s in first)
    second_mb, second_held = max(s[1] for s in second), max(s[2] for s in second)
    per_held = (first_mb - samples[0][1]) / first_held if first_held > 0 else 0.0
    explained = max(second_held - first_held, 0) * per_held
    return {
        "first_peak_mb": first_mb,
        "first_peak_held": first_held,
        "second_peak_mb": second_mb,
        "second_peak_held": second_held,
        "mb_per_held": per_held,
        "explained_mb": explained,
        "unexplained_mb": second_mb - first_mb - explained,
    }


def soak_figures(soak: Mapping[str, Any]) -> dict[str, Any]:
    """A soak run with its largest RSS sampled first and last, and its steepest slope."""
    samples, processes = soak.get("samples", []), soak.get("per_process", {}).values()
    sizes = [max((s for s in sample["rss_mb"] if s), default=None) for sample in samples]
    slopes = [p["slope_mb_per_min"] for p in processes if p["slope_mb_per_min"] is not None]
    return {
        **soak,
        "first_rss_mb": sizes[0] if sizes else None,
        "last_rss_mb": sizes[-1] if sizes else None,
        "max_slope_mb_per_min": max(slopes, default=None),
    }


# -- the document -------------------------------------------------------------------------------
def ok_records(records: Iterable[Record], kind: str) -> list[Record]:
    return [r for r in records if r["kind"] == kind and "error" not in r]


def medians(records: Iterable[Record], kind: str) -> list[dict[str, Any]]:
    """One row per (side, processes, threads): the median of each field over its runs.
    One per workflow shape too, for the runs that have one (``work``)."""
    groups: dict[tuple[str, int, int, str], list[Record]] = defaultdict(list)
    for record in ok_records(records, kind):
        at = (record.get("work", ""), record["threads"], record["processes"], record["side"])
        groups[at].append(record)
    return [
        {
            **({"work": work} if work else {}),
            "side": side,
            "processes": processes,
            "threads": threads,
            **{field.key: median(field.read(record) for record in group) for field in FIELDS[kind]},
            "runs": len(group),
        }
        for (work, threads, processes, side), group in sorted(groups.items())
    ]


def ratios_by_repeat(
    records: Sequence[Record], kind: str, sides: tuple[str, str], point: tuple[int, int], key: str
) -> list[float | None]:
    """Each repeat's ``key`` ratio of the two sides at ``point``, in the order the repeats
    ran, over the repeats where the first side ran (``None`` where the second did not)."""
    values: dict[str, dict[int, Any]] = {side: {} for side in sides}
    for r in ok_records(records, kind):
        if r["side"] in values and (r["processes"], r["threads"]) == point:
            values[r["side"]][r["repeat"]] = r[key]
    numerators, denominators = values[sides[0]], values[sides[1]]
    return [ratio(numerators[k], denominators.get(k)) for k in sorted(numerators)]


def paired_ratio(
    records: Sequence[Record], kind: str, sides: tuple[str, str], point: tuple[int, int], key: str
) -> float | None:
    """The median, over the repeats where both sides ran at ``point``, of their ``key`` ratio."""
    return median(ratios_by_repeat(records, kind, sides, point, key))


def paired_ratios(
    records: Sequence[Record], kind: str, columns: Mapping[str, tuple[str, str]]
) -> list[dict[str, Any]]:
    """Per point where ``kind`` ran: each column's paired median ratio of tasks per second,
    and (``<column>_runs``) the ratio of each repeat, so that "every run reached it" can be
    read as well as the median."""
    points = sorted({(r["threads"], r["processes"]) for r in ok_records(records, kind)})
    rows = []
    for threads, processes in points:
        row: dict[str, Any] = {"processes": processes, "threads": threads}
        for name, sides in columns.items():
            runs = ratios_by_repeat(records, kind, sides, (processes, threads), "tasks_per_second")
            row[name], row[f"{name}_runs"] = median(runs), _present(runs)
        rows.append(row)
    return rows


def _present(values: Sequence[float | None]) -> list[float]:
    return [value for value in values if value is not None]


def throughput_ratios(records: Sequence[Record]) -> list[dict[str, Any]]:
    """Per sweep point: ours / other, ours / ceiling, other / ceiling (paired medians)."""
    pairs = {"ours_vs_other": (OURS, OTHER), "ours_vs_ceiling": (OURS, CEILING)}
    rows = paired_ratios(records, "drain", {**pairs, "other_vs_ceiling": (OTHER, CEILING)})
    drains = ok_records(records, "drain")
    for row in rows:
        at = (CEILING, row["processes"], row["threads"])
        ceiling = (r for r in drains if (r["side"], r["processes"], r["threads"]) == at)
        row["ceiling_tasks_per_second"] = median(r["tasks_per_second"] for r in ceiling)
    return rows


def workflow_ratios(records: Sequence[Record]) -> list[dict[str, Any]]:
    """Per workflow shape and point: ours / other (tasks/s), and for each side the server's
    CPU per task over an ad-hoc drain's (same side, point and repeat), paired medians."""
    runs = ok_records(records, "workflows")
    adhoc = {
        (r["side"], r["processes"], r["threads"], r["repeat"]): r.get("server_cpu_ms_per_task")
        for r in ok_records(records, "drain")
    }
    rows = []
    for work, threads, processes in sorted(
        {(r["work"], r["threads"], r["processes"]) for r in runs}
    ):
        mine = [
            r
            for r in runs
            if (r["work"], r["threads"], r["processes"]) == (work, threads, processes)
        ]
        row: dict[str, Any] = {"work": work, "processes": processes, "threads": threads}
        runs_ratios = ratios_by_repeat(
            mine, "workflows", (OURS, OTHER), (processes, threads), "tasks_per_second"
        )
        row["ours_vs_other"] = median(runs_ratios)
        row["ours_vs_other_runs"] = _present(runs_ratios)
        for side in (OURS, OTHER):
            row[f"{side}_server_cpu_vs_adhoc"] = median(
                ratio(
                    r["server_cpu_ms_per_task"], adhoc.get((side, processes, threads, r["repeat"]))
                )
                for r in mine
                if r["side"] == side
            )
        rows.append(row)
    return rows


def evaluate_targets(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each target with its measured value and PASS, MISS or NOT MEASURED."""
    reference = document["setup"]["reference"]
    at = (reference["processes"], reference["threads"])

    def ours(rows: Sequence[Mapping[str, Any]], point: tuple[int, int] = at) -> Mapping[str, Any]:
        found = (r for r in rows if (r["processes"], r["threads"]) == point)
        return next((r for r in found if r.get("side", OURS) == OURS), {})  # ratios: no side

    ratios, quiet = ours(document["ratios"]["throughput"]), ours(document["quiet"])
    kill: Mapping[str, Any] = next((r for r in document.get("kill", []) if r["side"] == OURS), {})
    sizes = [row.get("max_rss_mb") for row in (ours(document["throughput"]), quiet)]
    soaks = [s.get("flat") for s in document.get("soak", []) if s["side"] == OURS]
    slow, fast = (ours(document.get("async", []), point) for point in ASYNC_TARGET_POINTS)
    async_ratios = ours(document["ratios"].get("async", []), ASYNC_TARGET_POINTS[1])
    measured = (
        ratios.get("ours_vs_other"),
        ratios.get("ours_vs_ceiling"),
        quiet.get("pickup_p50_ms"),
        quiet.get("idle_cpu_percent"),
        max((size for size in sizes if size is not None), default=None),
        next((flat for flat in soaks if flat is not None), None),
        kill.get("back_seconds"),
        kill.get("rerun_seconds"),
        slow.get("tasks_per_second"),
        fast.get("tasks_per_second"),
        async_ratios.get("ours_vs_other"),
    )
    results = []
    for (name, unit, bound, sense), value in zip(TARGETS, measured, strict=True):
        if sense == "flat":
            goal, met = "flat", bool(value)
        else:
            shown_unit = "x" if unit == "x" else f" {unit}"
            goal = f"{'>=' if sense == 'min' else '<='} {bound:g}{shown_unit}"
            met = value is not None and (value >= bound if sense == "min" else value <= bound)
        status = "NOT MEASURED" if value is None else "PASS" if met else "MISS"
        where = f"{at[0]}x{at[1]} (processes x threads)"
        results.append(
            dict(name=name, goal=goal, measured=value, unit=unit, status=status, at=where)
        )
    return results


def build_document(
    setup: Mapping[str, Any], records: Sequence[Record], soaks: Sequence[Mapping[str, Any]] = ()
) -> dict[str, Any]:
    """The benchmark's whole result: setup, every run, medians, ratios, targets."""
    reference = (setup["reference"]["processes"], setup["reference"]["threads"])
    document: dict[str, Any] = {
        "setup": dict(setup),
        "runs": [dict(record) for record in records],
        "errors": [dict(run) for run in (*records, *soaks) if "error" in run],
        **{section: medians(records, kind) for kind, section in SECTIONS.items() if kind != "soak"},
        "soak": [soak_figures(soak) for soak in soaks],
    }
    capacity = paired_ratio(
        records, "capacity", ("fake", "flask"), reference, "requests_per_second"
    )
    document["ratios"] = {
        "throughput": throughput_ratios(records),
        "workflows": workflow_ratios(records),
        "async": paired_ratios(records, "async", {"ours_vs_other": (OURS, OTHER)}),
        "fake_vs_flask_capacity": capacity,
    }
    document["targets"] = evaluate_targets(document)
    return document
