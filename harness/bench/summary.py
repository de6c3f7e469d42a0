"""From the records of single runs to the benchmark's document: medians, ratios, targets.

Pure functions over plain dicts (the JSON that ``--json`` writes), so they are tested without
processes. A record is one run: ``{"kind": "drain"|"quiet"|"capacity", "side", "processes",
"threads", "repeat", ...its figures}``, or ``{..., "error": "..."}`` when it failed.

Ratios are paired: within each repeat the two sides ran back to back on the same server, so
the ratio of that repeat is taken, and the median of those ratios is reported.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from harness.bench.figures import median, ratio

OURS, OTHER = "ours", "other"
RAW_MIN, RAW_V2, RAW_POLL_UPDATE = "raw-min", "raw-v2", "raw-pu"  # plain client loops
RAW_SIDES = (RAW_MIN, RAW_V2, RAW_POLL_UPDATE)

Record = Mapping[str, Any]


def _max_rss(record: Record) -> float | None:
    sizes = record.get("rss_mb") or []
    return max(sizes) if sizes else None


THROUGHPUT_FIELDS: dict[str, Callable[[Record], Any]] = {
    "tasks_per_second": lambda r: r.get("tasks_per_second"),
    "drain_seconds": lambda r: r.get("drain_seconds"),
    "worker_cpu_ms_per_task": lambda r: r.get("worker_cpu_ms_per_task"),
    "server_cpu_ms_per_task": lambda r: r.get("server_cpu_ms_per_task"),
    "max_rss_mb": _max_rss,
    "startup_seconds": lambda r: r.get("startup_seconds"),
}
QUIET_FIELDS: dict[str, Callable[[Record], Any]] = {
    "pickup_p50_ms": lambda r: r["pickup_ms"]["p50"],
    "pickup_p95_ms": lambda r: r["pickup_ms"]["p95"],
    "pickup_p99_ms": lambda r: r["pickup_ms"]["p99"],
    "end_to_end_p50_ms": lambda r: r["end_to_end_ms"]["p50"],
    "end_to_end_p95_ms": lambda r: r["end_to_end_ms"]["p95"],
    "idle_cpu_percent": lambda r: r["idle_cpu_percent"],
    "idle_cpu_percent_all_processes": lambda r: r["idle_cpu_percent_all_processes"],
    "idle_polls_per_second": lambda r: r["idle_polls_per_second"],
    "max_rss_mb": _max_rss,
}
CAPACITY_FIELDS: dict[str, Callable[[Record], Any]] = {
    "requests_per_second": lambda r: r["requests_per_second"],
    "server_cpu_percent": lambda r: r["server_cpu_percent"],
}

# name, what is compared, the bound, "min" (measured must reach it) or "max" (must not pass it)
TARGETS = (
    ("throughput vs the other SDK", "x", 3.0, "min"),
    ("throughput vs the plain-loop ceiling", "x", 0.80, "min"),
    ("pick-up latency p50, idle workers", "ms", 2.0, "max"),
    ("idle CPU of the worker processes together", "% of a core", 1.0, "max"),
    ("RSS per worker process", "MB", 60.0, "max"),
    ("RSS flat during the soak", "", None, "flat"),
)


def ok_records(records: Iterable[Record], kind: str) -> list[Record]:
    return [r for r in records if r["kind"] == kind and "error" not in r]


def medians(
    records: Iterable[Record], kind: str, fields: Mapping[str, Callable[[Record], Any]]
) -> list[dict[str, Any]]:
    """One row per (side, processes, threads): the median of each field over its runs."""
    groups: dict[tuple[str, int, int], list[Record]] = defaultdict(list)
    for record in ok_records(records, kind):
        groups[(record["side"], record["processes"], record["threads"])].append(record)
    rows = []
    for (side, processes, threads), group in sorted(groups.items(), key=_group_order):
        row: dict[str, Any] = {"side": side, "processes": processes, "threads": threads}
        for name, read in fields.items():
            row[name] = median(read(record) for record in group)
        row["runs"] = len(group)
        rows.append(row)
    return rows


def _group_order(item: tuple[tuple[str, int, int], Any]) -> tuple[int, int, str]:
    (side, processes, threads), _ = item
    return (threads, processes, side)


def ceiling_by_repeat(records: Iterable[Record], processes: int, threads: int) -> dict[int, float]:
    """Per repeat, the best plain-loop throughput at a point (any client, any protocol)."""
    best: dict[int, float] = {}
    for record in ok_records(records, "drain"):
        if record["side"] in RAW_SIDES and (record["processes"], record["threads"]) == (
            processes,
            threads,
        ):
            value = record["tasks_per_second"]
            best[record["repeat"]] = max(value, best.get(record["repeat"], 0.0))
    return best


def by_repeat(
    records: Iterable[Record],
    kind: str,
    side: str,
    processes: int,
    threads: int,
    read: Callable[[Record], Any],
) -> dict[int, Any]:
    return {
        r["repeat"]: read(r)
        for r in ok_records(records, kind)
        if r["side"] == side and (r["processes"], r["threads"]) == (processes, threads)
    }


def paired_ratio(
    numerators: Mapping[int, float], denominators: Mapping[int, float]
) -> float | None:
    """The median, over the repeats that have both, of numerator / denominator."""
    return median(ratio(numerators[k], denominators[k]) for k in numerators if k in denominators)


def throughput_ratios(records: Sequence[Record]) -> list[dict[str, Any]]:
    """Per sweep point: ours / other, ours / ceiling, other / ceiling (paired medians)."""
    points = sorted(
        {(r["processes"], r["threads"]) for r in ok_records(records, "drain")},
        key=lambda point: (point[1], point[0]),
    )
    rows = []
    for processes, threads in points:

        def tps(side: str, p: int = processes, t: int = threads) -> dict[int, Any]:
            return by_repeat(records, "drain", side, p, t, lambda r: r["tasks_per_second"])

        ceiling = ceiling_by_repeat(records, processes, threads)
        rows.append(
            {
                "processes": processes,
                "threads": threads,
                "ours_vs_other": paired_ratio(tps(OURS), tps(OTHER)),
                "ours_vs_ceiling": paired_ratio(tps(OURS), ceiling),
                "other_vs_ceiling": paired_ratio(tps(OTHER), ceiling),
                "ceiling_tasks_per_second": median(ceiling.values()),
            }
        )
    return rows


def capacity_ratio(records: Sequence[Record], processes: int, threads: int) -> float | None:
    """Fake server / bare Flask, requests per second (paired by repeat)."""

    def rate(side: str) -> dict[int, Any]:
        return by_repeat(
            records, "capacity", side, processes, threads, lambda r: r["requests_per_second"]
        )

    return paired_ratio(rate("fake"), rate("flask"))


def _row(rows: Iterable[Mapping[str, Any]], side: str, processes: int, threads: int) -> Any:
    return next(
        (
            r
            for r in rows
            if (r["side"], r["processes"], r["threads"]) == (side, processes, threads)
        ),
        None,
    )


def evaluate_targets(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each target with its measured value and PASS, MISS or NOT MEASURED."""
    reference = document["setup"]["reference"]
    p, t = reference["processes"], reference["threads"]
    ratios = next(
        (r for r in document["ratios"]["throughput"] if (r["processes"], r["threads"]) == (p, t)),
        {},
    )
    quiet = _row(document["quiet"], OURS, p, t) or {}
    drain = _row(document["throughput"], OURS, p, t) or {}
    rss_values = [v for v in (drain.get("max_rss_mb"), quiet.get("max_rss_mb")) if v is not None]
    soak = next((s for s in document.get("soak", []) if s["side"] == OURS and "flat" in s), None)
    measured = {
        TARGETS[0][0]: ratios.get("ours_vs_other"),
        TARGETS[1][0]: ratios.get("ours_vs_ceiling"),
        TARGETS[2][0]: quiet.get("pickup_p50_ms"),
        TARGETS[3][0]: quiet.get("idle_cpu_percent"),
        TARGETS[4][0]: max(rss_values) if rss_values else None,
        TARGETS[5][0]: soak.get("flat") if soak else None,
    }
    results = []
    for name, unit, bound, sense in TARGETS:
        value = measured[name]
        if value is None:
            status = "NOT MEASURED"
        elif sense == "min":
            status = "PASS" if value >= bound else "MISS"
        elif sense == "max":
            status = "PASS" if value <= bound else "MISS"
        else:
            status = "PASS" if value else "MISS"
        results.append(
            {
                "name": name,
                "goal": _goal(unit, bound, sense),
                "measured": value,
                "unit": unit,
                "status": status,
                "at": f"{p}x{t} (processes x threads)",
            }
        )
    return results


def _goal(unit: str, bound: float | None, sense: str) -> str:
    if sense == "flat":
        return "flat"
    sign = ">=" if sense == "min" else "<="
    return f"{sign} {bound:g}{' ' + unit if unit and unit != 'x' else 'x' if unit else ''}"


def best_versus_best(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Each SDK's best median throughput over the sweep against the best plain loop's: the
    machine's ceiling wherever it is reached (too many connections slow the server down)."""

    def best(sides: Sequence[str]) -> Mapping[str, Any] | None:
        candidates = [r for r in rows if r["side"] in sides and r["tasks_per_second"]]
        return max(candidates, key=lambda r: r["tasks_per_second"], default=None)

    ceiling = best(RAW_SIDES)
    result: dict[str, Any] = {"ceiling": _point(ceiling)}
    for side in (OURS, OTHER):
        top = best([side])
        result[side] = {
            **_point(top),
            "vs_ceiling": ratio(
                top["tasks_per_second"] if top else None,
                ceiling["tasks_per_second"] if ceiling else None,
            ),
        }
    return result


def _point(row: Mapping[str, Any] | None) -> dict[str, Any]:
    if row is None:
        return {"tasks_per_second": None, "processes": None, "threads": None, "side": None}
    keys = ("tasks_per_second", "processes", "threads", "side")
    return {key: row[key] for key in keys}


def build_document(
    setup: Mapping[str, Any], records: Sequence[Record], soaks: Sequence[Mapping[str, Any]] = ()
) -> dict[str, Any]:
    """The benchmark's whole result: setup, every run, medians, ratios, targets."""
    p, t = setup["reference"]["processes"], setup["reference"]["threads"]
    document: dict[str, Any] = {
        "setup": dict(setup),
        "runs": [dict(record) for record in records],
        "errors": [dict(record) for record in records if "error" in record],
        "throughput": medians(records, "drain", THROUGHPUT_FIELDS),
        "quiet": medians(records, "quiet", QUIET_FIELDS),
        "capacity": medians(records, "capacity", CAPACITY_FIELDS),
        "soak": [dict(soak) for soak in soaks],
    }
    document["ratios"] = {
        "throughput": throughput_ratios(records),
        "best_vs_best_ceiling": best_versus_best(document["throughput"]),
        "fake_vs_flask_capacity": capacity_ratio(records, p, t),
    }
    document["targets"] = evaluate_targets(document)
    return document
