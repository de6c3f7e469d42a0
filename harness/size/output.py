"""What ``size`` shows: the table of configurations, the bounds in words, the recommendation,
the errors; and the chart (PNG) with an HTML page around it."""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.bench.output import pyplot
from harness.report import format_table
from harness.size import verdict

OFFER_SHORTFALL = 0.9  # a load that reached less than this share of the rate meant
TERMS = (
    "tasks/s: tasks done per second, first start to last end (server timestamps); "
    "p50/p99 ms: scheduled -> end, pick-up and execution; CPU ms/task: CPU of the worker "
    "processes (the server) during the load, per task; RSS MB: the largest worker process; "
    "errors: tasks that failed; unfinished: tasks still queued when the run gave up."
)


def _show(value: Any, shown: str = "{:,.1f}") -> str:
    return "-" if value is None else shown.format(value)


def table(runs: list[Mapping[str, Any]]) -> str:
    headers = ["processes x threads", "tasks/s", "p50 ms", "p99 ms", "worker CPU ms/task"]
    headers += ["server CPU ms/task", "RSS MB", "errors", "unfinished", "bound"]
    rows = []
    for run in runs:
        at = f"{run['processes']} x {run['threads']}"
        if "error" in run:
            rows.append([at, *["-"] * 8, "not measured"])
            continue
        rows.append(
            [
                at,
                _show(run["rate"], "{:,.0f}"),
                _show(run["p50_ms"], "{:,.0f}"),
                _show(run["p99_ms"], "{:,.0f}"),
                _show(run["worker_cpu_ms_per_task"], "{:.2f}"),
                _show(run["server_cpu_ms_per_task"], "{:.2f}"),
                _show(max(run["rss_mb"], default=None)),
                str(sum(e["count"] for e in run["errors"])),
                str(run["unfinished"]),
                run["bound"],
            ]
        )
    return format_table(headers, rows, left=1)


def recommendation_text(document: Mapping[str, Any]) -> str:
    r, target = document["recommendation"], document["target_rate"]
    if r["processes"] is None:
        return "No recommendation: no configuration could be measured (see the errors above)."
    at = f"{r['processes']} process(es) x {r['threads']} thread(s)"
    how = f"{r['processes']} Worker object(s) (one process each) with thread_count={r['threads']}"
    one = ""
    if r["one_process_rate"]:
        more = "" if r["one_process_saturated"] else " or more (it was not pushed further)"
        one = (
            f" One process reaches {r['one_process_rate']:,.0f} tasks/s{more} "
            f"(at {r['one_process_threads']} threads): the target needs "
            f"{r['processes_for_target']} such process(es)."
        )
    if r.get("rate_met") and not r["meets_target"]:
        return (
            f"The rate is reached, the latency bound is not: {at} sustained "
            f"{r['rate']:,.0f} tasks/s (goal {target:g}) with the lowest p99, "
            f"{r['p99_ms']:,.0f} ms, over the {document['p99_ms']:g} ms asked; a task is held "
            f"{r['held_ms']:,.0f} ms on average, so the p99 cannot be much lower than that.{one}"
        )
    if r["meets_target"]:
        return (
            f"Recommendation: {at}, that is {how}. It sustained {r['rate']:,.0f} tasks/s "
            f"(goal {target:g}) on this machine; its bound is {r['bound']}.{one}"
        )
    return (
        f"The target of {target:g} tasks/s is out of this machine's reach: the fastest "
        f"configuration, {at}, did {r['rate']:,.0f} tasks/s, bound by {r['bound']}. With it on "
        f"each machine, {r['machines']} machines like this one are needed.{one}"
    )


def render(document: Mapping[str, Any]) -> str:
    machine, runs = document["machine"], document["runs"]
    goal = f"{document['target_rate']:g} tasks/s"
    if document.get("p99_ms") is not None:
        goal += f" with p99 <= {document['p99_ms']:g} ms"
    lines = [
        f"Sizing {document['worker']} (task {document['task_name']}, run as "
        f"{document['queue']}) for {goal}",
        f"Server: {document['server']['description']}; SDK: {document.get('sdk') or '?'}; "
        f"{machine['cpu_count']} CPUs, load average {machine['load_average']}; "
        f"{document['seconds_per_run']:g} s per configuration at "
        f"{document['offered_rate']:,.0f} tasks/s offered.",
        "",
        table(runs),
        TERMS,
        "",
        "Bounds (the rule: " + verdict.RULE + "):",
    ]
    lines += [
        f"  {r['processes']} x {r['threads']}: {r['bound']}: {r['bound_why']}"
        for r in runs
        if "bound" in r
    ]
    short = [
        r
        for r in runs
        if r.get("offered_rate") and r["offered_rate"] < OFFER_SHORTFALL * document["offered_rate"]
    ]
    lines += [
        f"  Note, {r['processes']} x {r['threads']}: the load reached only "
        f"{r['offered_rate']:,.0f} tasks/s of the {document['offered_rate']:,.0f} offered (the "
        "server, or this machine, could not start workflows faster): its rate is a lower bound"
        for r in short
    ]
    lines += [f"Sweep stopped: {document['stopped_because']}.", "", recommendation_text(document)]
    errors = _errors(runs)
    if errors:
        lines += ["", "Worker errors (failed tasks, by exception type):"]
        lines += [
            f"  {e['type']}: {e['count']} task(s); first: {e['first_message']}" for e in errors
        ]
    failed = [r for r in runs if "error" in r]
    for run in failed:
        lines.append(f"\n{run['processes']} x {run['threads']} not measured: {run['error']}")
    return "\n".join(lines)


def _errors(runs: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for run in runs:
        for error in run.get("errors", []):
            entry = merged.setdefault(error["type"], {**error, "count": 0})
            entry["count"] += error["count"]
    return sorted(merged.values(), key=lambda e: -e["count"])


def write_plot(document: Mapping[str, Any], path: str | Path) -> tuple[Path, Path]:
    """Tasks/s and p99 of each configuration, with the target, as a PNG at ``path``, and an
    HTML page beside it (same name, ``.html``) with the chart and the report."""
    plt = pyplot()

    runs = [r for r in document["runs"] if "error" not in r]
    labels = [f"{r['processes']}x{r['threads']}" for r in runs]
    figure, axes = plt.subplots(figsize=(7, 4.2), dpi=100)
    colours = ["tab:green" if r["meets_target"] else "tab:blue" for r in runs]
    axes.bar(labels, [r["rate"] for r in runs], color=colours)
    axes.axhline(document["target_rate"], color="tab:red", linestyle="--", label="target")
    for index, run in enumerate(runs):
        axes.annotate(run["bound"], (index, run["rate"]), ha="center", va="bottom", fontsize=8)
    axes.set_xlabel("processes x threads (in the order measured; green: meets the goal)")
    axes.set_ylabel("tasks per second")
    axes.set_title(f"Sizing {document['worker']}", fontsize=10)
    latency = axes.twinx()
    latency.plot(labels, [r["p99_ms"] for r in runs], "k.:", label="p99 ms")
    latency.set_ylabel("p99 latency, ms")
    axes.legend(loc="upper left", fontsize=8)
    latency.legend(loc="upper right", fontsize=8)
    figure.tight_layout()
    png = Path(path)
    figure.savefig(png)
    plt.close(figure)
    page = png.with_suffix(".html")
    image = base64.b64encode(png.read_bytes()).decode()
    page.write_text(
        "<!doctype html>\n<meta charset='utf-8'>\n"
        f"<title>Sizing {html.escape(document['worker'])}</title>\n"
        f"<img alt='tasks per second per configuration' src='data:image/png;base64,{image}'>\n"
        f"<pre>{html.escape(render(document))}</pre>\n"
    )
    return png, page
