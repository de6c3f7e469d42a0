"""The benchmark's document as text tables (``harness.report.format_table``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.bench.summary import OTHER, OURS, RAW_MIN, RAW_POLL_UPDATE, RAW_V2
from harness.report import format_table


def side_names(setup: Mapping[str, Any]) -> dict[str, str]:
    sides = setup.get("sides", {})
    names = {
        OURS: f"{sides.get(OURS, {}).get('sdk') or 'this SDK'} (this project)",
        RAW_MIN: "plain loop: http.client, update-v2",
        RAW_V2: "plain loop: requests, update-v2",
        RAW_POLL_UPDATE: "plain loop: requests, poll+update",
        "fake": "fake server (poll+update)",
        "flask": "bare Flask route, same WSGI server",
    }
    if OTHER in sides:
        names[OTHER] = sides[OTHER].get("sdk") or sides[OTHER]["python"]
    return names


def _num(value: Any, digits: int = 1) -> Any:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    return round(float(value), digits)


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def render(document: Mapping[str, Any]) -> str:
    setup = document["setup"]
    names = side_names(setup)
    sections = [_header(setup)]
    if document["throughput"]:
        sections.append(_throughput(document, names))
    if document["quiet"]:
        sections.append(_quiet(document, names))
    if document["capacity"]:
        sections.append(_capacity(document, names))
    if document.get("soak"):
        sections.append(_soak(document, names))
    sections.append(_targets(document))
    if document.get("errors"):
        lines = [
            f"  {e['kind']} {e['side']} {e['processes']}x{e['threads']} "
            f"repeat {e['repeat'] + 1}: {e['error'].splitlines()[0]}"
            for e in document["errors"]
        ]
        sections.append("Failed runs (left out of the medians):\n" + "\n".join(lines))
    return "\n\n".join(sections)


def _header(setup: Mapping[str, Any]) -> str:
    machine = setup["machine"]
    return (
        f"Benchmark {setup['date']}: {machine['cpu_count']} CPUs, {machine['platform']}, "
        f"Python {setup['python']}; fake server on {setup['server']['backend']} in its own "
        f"process.\nTask: {setup['task']['description']}; {setup['tasks_per_drain']} tasks per "
        f"drain; medians of {setup['repeat']} repeat(s); ratios are paired per repeat."
    )


def _throughput(document: Mapping[str, Any], names: Mapping[str, str]) -> str:
    rows = []
    ratios = {(r["processes"], r["threads"]): r for r in document["ratios"]["throughput"]}
    for row in document["throughput"]:
        point = (row["processes"], row["threads"])
        point_ratios = ratios.get(point, {})
        vs = {
            OURS: point_ratios.get("ours_vs_ceiling"),
            OTHER: point_ratios.get("other_vs_ceiling"),
        }
        rows.append(
            [
                row["processes"],
                row["threads"],
                names.get(row["side"], row["side"]),
                _num(row["tasks_per_second"]),
                _ratio(vs.get(row["side"])),
                _num(row["worker_cpu_ms_per_task"], 2),
                _num(row["server_cpu_ms_per_task"], 2),
                _num(row["max_rss_mb"]),
            ]
        )
    table = format_table(
        [
            "procs",
            "threads",
            "worker side",
            "tasks/s",
            "vs ceiling",
            "worker CPU ms/task",
            "server CPU ms/task",
            "max RSS MB",
        ],
        rows,
    )
    versus = [
        f"  {r['processes']}x{r['threads']}: {_ratio(r['ours_vs_other'])}"
        for r in document["ratios"]["throughput"]
        if r.get("ours_vs_other") is not None
    ]
    text = "Throughput: draining a pre-loaded queue (server timestamps)\n" + table
    if versus:
        text += "\nThis project vs the other SDK (tasks/s):\n" + "\n".join(versus)
    best = document["ratios"].get("best_vs_best_ceiling") or {}
    ceiling = best.get("ceiling") or {}
    for side in (OURS, OTHER):
        top = best.get(side) or {}
        if top.get("tasks_per_second") and ceiling.get("tasks_per_second"):
            text += (
                f"\nBest of {names.get(side, side)} ({top['processes']}x{top['threads']}) vs "
                f"best plain loop ({ceiling['processes']}x{ceiling['threads']}): "
                f"{_ratio(top['vs_ceiling'])}"
            )
    return text


def _quiet(document: Mapping[str, Any], names: Mapping[str, str]) -> str:
    rows = [
        [
            names.get(row["side"], row["side"]),
            f"{row['processes']}x{row['threads']}",
            _num(row["pickup_p50_ms"]),
            _num(row["pickup_p95_ms"]),
            _num(row["pickup_p99_ms"]),
            _num(row["end_to_end_p50_ms"]),
            _num(row["idle_cpu_percent"], 2),
            _num(row["idle_cpu_percent_all_processes"], 2),
            _num(row["idle_polls_per_second"]),
            _num(row["max_rss_mb"]),
        ]
        for row in document["quiet"]
    ]
    table = format_table(
        [
            "worker side",
            "setup",
            "pick-up p50 ms",
            "p95",
            "p99",
            "end-to-end p50 ms",
            "idle CPU %",
            "idle CPU % (all)",
            "idle polls/s",
            "max RSS MB",
        ],
        rows,
    )
    return (
        "Idle workers: pick-up latency (scheduled -> started, integer ms on the server) and "
        "idle cost (% of one core)\n" + table
    )


def _capacity(document: Mapping[str, Any], names: Mapping[str, str]) -> str:
    rows = [
        [
            names.get(row["side"], row["side"]),
            f"{row['processes']}x{row['threads']}",
            _num(row["requests_per_second"]),
            _num(row["server_cpu_percent"]),
        ]
        for row in document["capacity"]
    ]
    table = format_table(["server", "clients", "requests/s", "server CPU %"], rows)
    ratio = document["ratios"].get("fake_vs_flask_capacity")
    return (
        "Server capacity: a plain client loop's requests per second\n"
        + table
        + f"\nFake server / bare Flask: {_ratio(ratio)}"
    )


def _soak(document: Mapping[str, Any], names: Mapping[str, str]) -> str:
    rows = []
    for soak in document["soak"]:
        if "error" in soak:
            rows.append([names.get(soak["side"], soak["side"]), "-", "-", "-", "-", "failed"])
            continue
        first = soak["samples"][0]["rss_mb"] if soak["samples"] else []
        last = soak["samples"][-1]["rss_mb"] if soak["samples"] else []
        slopes = [
            p["slope_mb_per_min"]
            for p in soak["per_process"].values()
            if p["slope_mb_per_min"] is not None
        ]
        rows.append(
            [
                names.get(soak["side"], soak["side"]),
                _num(soak["minutes"]),
                _num(soak["tasks_per_second"]),
                f"{_num(max(first, default=None))} -> {_num(max(last, default=None))}",
                "-" if not slopes else f"{max(slopes):+.3f}",
                "flat" if soak["flat"] else "GROWING",
            ]
        )
    table = format_table(
        ["worker side", "minutes", "tasks/s", "max RSS MB first -> last", "MB/min", "verdict"],
        rows,
    )
    return "Soak: steady load, resident memory per worker process over time\n" + table


def _targets(document: Mapping[str, Any]) -> str:
    rows = []
    for target in document["targets"]:
        value = target["measured"]
        if isinstance(value, bool):
            shown = "flat" if value else "growing"
        elif value is None:
            shown = "-"
        elif target["unit"] == "x":
            shown = f"{value:.2f}x"
        else:
            shown = f"{value:.2f} {target['unit']}".strip()
        rows.append([target["name"], target["goal"], shown, target["status"]])
    at = document["targets"][0]["at"] if document["targets"] else ""
    return f"Targets (measured at {at}; set for 4x10 and a trivial task)\n" + format_table(
        ["target", "goal", "measured", "result"], rows
    )
