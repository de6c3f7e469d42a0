"""What the benchmark shows: the progress line (stderr), the tables (stdout) and the chart."""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from harness.bench.summary import CEILING, FIELDS, OTHER, OURS, SECTIONS
from harness.report import format_table

INSTALL_HINT = "pip install -e '.[bench]'"
TITLES = {
    "throughput": "Throughput: draining a pre-loaded queue (server timestamps)",
    "workflows": "Tasks inside workflows: draining pre-started workflows (server timestamps)",
    "quiet": "Idle workers: pick-up latency (scheduled -> started, integer ms on the server) "
    "and idle cost (% of one core)",
    "capacity": "Server capacity: the plain loop's requests per second",
    "async": "Async worker: one process, tasks awaiting at once (at: 1 x concurrency)",
    "kill": "kill -9 of one worker process mid-drain (response timeout 600 s)",
    "soak": "Soak: steady load, resident memory per worker process over time",
}


class Progress:
    """One line per step on standard error: which step of how many, the time so far, what."""

    def __init__(self, total: int, *, enabled: bool = True, stream: TextIO | None = None) -> None:
        self.total, self.done, self.enabled = total, 0, enabled
        self.stream, self.started = stream or sys.stderr, time.monotonic()

    def _write(self, text: str) -> None:
        if self.enabled:
            print(f"{time.monotonic() - self.started:5.0f} s  {text}", file=self.stream, flush=True)

    def step(self, label: str) -> None:
        """Announces the step about to run."""
        self.done += 1
        self._write(f"[{self.done}/{self.total}] {label}")

    def note(self, text: str) -> None:
        """A line about the step that just ran."""
        self._write(text)

    def finish(self) -> None:
        self._write(f"done: {self.done} steps")


def side_names(setup: Mapping[str, Any]) -> dict[str, str]:
    sides = setup.get("sides", {})
    names = {
        OURS: f"{sides.get(OURS, {}).get('sdk') or 'this SDK'} (this project)",
        CEILING: "plain loop: http.client, update-v2",
        "raw-v2": "plain loop: requests, update-v2",  # in files of earlier versions
        "raw-pu": "plain loop: requests, poll+update",
        "fake": "fake server",
        "flask": "bare Flask route, same HTTP server",
    }
    if OTHER in sides:
        names[OTHER] = sides[OTHER].get("sdk") or sides[OTHER]["python"]
    return names


def _show(value: Any, shown: str = "{:,.1f}") -> str:
    if value is None:
        return "-"
    return str(value) if isinstance(value, bool | str) else shown.format(value)


def _ratio(value: float | None) -> str:
    return _show(value, "{:.2f}x")


# One line under each table: what its terms mean.
TERMS = {
    "throughput": "tasks/s: from the first hand-out to the last completion (server timestamps); "
    "CPU ms/task: CPU used during the drain / tasks; vs ceiling: tasks/s / the plain loop's "
    "(a client with no SDK) at the same PxT (processes x threads)",
    "workflows": "tasks/s and CPU ms/task count the workflows' worker tasks; the server's CPU "
    "includes starting the workflows; vs ad hoc: its server CPU per task over the ad-hoc "
    "drain's (throughput part) of the same side and PxT",
    "async": "tasks/s: tasks completed in the window / its length (server timestamps); "
    "at 1xN: one process, N tasks awaiting at once",
    "quiet": "pick-up: a task becoming ready -> a worker receiving it; end-to-end: ready -> "
    "completed; idle CPU: idle workers polling an empty queue, % of one core",
    "capacity": "requests/s the plain loop (no SDK, one request per task) gets answered: what "
    "the server can serve on this machine",
    "kill": "seconds after kill -9 of one worker process: until a new one runs, until the tasks "
    "it held are queued again, until each is running again",
    "soak": "largest worker RSS at the first and last sample; MB/min: the steepest slope; "
    "flat: grew at most max(2 MB, 5 %) after warm-up",
}


def medians_table(document: Mapping[str, Any], kind: str) -> str:
    """A section's rows, one per side and point, one column per field that has one."""
    section, names = SECTIONS[kind], side_names(document["setup"])
    ratios = {(r["processes"], r["threads"]): r for r in document["ratios"]["throughput"]}
    fields = [field for field in FIELDS[kind] if field.header]
    headers = ["server" if kind == "capacity" else "worker side", "at"]
    headers += [field.header for field in fields] + (["vs ceiling"] if kind == "drain" else [])
    rows = []
    for row in document[section]:
        point = (row["processes"], row["threads"])
        rows.append([names.get(row["side"], row["side"]), "{}x{}".format(*point)])
        rows[-1] += [_show(row.get(field.key), field.shown) for field in fields]
        if kind == "drain":
            rows[-1].append(_ratio(ratios.get(point, {}).get(f"{row['side']}_vs_ceiling")))
    terms = f"\n{TERMS[section]}" if section in TERMS else ""
    return f"{TITLES[section]}\n{format_table(headers, rows, left=2)}{terms}"


def workflows_table(document: Mapping[str, Any]) -> str:
    """One row per workflow shape, side and point: the drain's figures and the server's CPU
    per task over an ad-hoc task's."""
    names = side_names(document["setup"])
    ratios = {(r["work"], r["processes"], r["threads"]): r for r in document["ratios"]["workflows"]}
    fields = [field for field in FIELDS["workflows"] if field.header]
    headers = ["work", "worker side", "at", *(field.header for field in fields)]
    rows = []
    for row in document["workflows"]:
        at = (row["work"], row["processes"], row["threads"])
        rows.append([row["work"], names.get(row["side"], row["side"]), "{}x{}".format(*at[1:])])
        rows[-1] += [_show(row.get(field.key), field.shown) for field in fields]
        rows[-1].append(_ratio(ratios.get(at, {}).get(f"{row['side']}_server_cpu_vs_adhoc")))
    headers.append("server CPU vs ad hoc")
    versus = [
        f"\n  {r['work']} {r['processes']}x{r['threads']}: {_ratio(r['ours_vs_other'])}"
        + _each_run(r)
        for r in document["ratios"]["workflows"]
        if r.get("ours_vs_other") is not None
    ]
    note = "\nThis project vs the other SDK (tasks/s):" + "".join(versus) if versus else ""
    table = format_table(headers, rows, left=3)
    return f"{TITLES['workflows']}\n{table}\n{TERMS['workflows']}{note}"


def render(document: Mapping[str, Any], *, targets: bool = False) -> str:
    """Every table of the document, the parts that did not run left out; the targets table
    only when asked for (``targets``)."""
    setup, ratios = document["setup"], document["ratios"]
    machine = setup["machine"]
    sections = [
        f"Benchmark {setup['date']}: {machine['cpu_count']} CPUs, {machine['platform']}, "
        f"Python {setup['python']}; fake server on {setup['server']['backend']} in its own "
        f"process.\nTask: {setup['task']['description']}; {setup['tasks_per_drain']} tasks per "
        f"drain; medians of {setup['repeat']} repeat(s); ratios are paired per repeat."
    ]
    notes = {
        "drain": _versus(ratios["throughput"], " (tasks/s)"),
        "async": _versus(ratios.get("async", []), ""),
        "capacity": f"\nFake server / bare Flask: {_ratio(ratios.get('fake_vs_flask_capacity'))}",
    }
    for kind, section in SECTIONS.items():
        if document.get(section) and kind == "workflows":
            sections.append(workflows_table(document))
        elif document.get(section):
            sections.append(medians_table(document, kind) + notes.get(kind, ""))
    if targets:
        sections.append(targets_table(document))
    if document.get("errors"):
        failed = [
            f"  {e['kind']} {e['side']} {e['processes']}x{e['threads']} "
            f"repeat {e['repeat'] + 1}: {e['error'].splitlines()[0]}"
            for e in document["errors"]
        ]
        sections.append("Failed runs (left out of the medians):\n" + "\n".join(failed))
    return "\n\n".join(sections)


def targets_table(document: Mapping[str, Any]) -> str:
    rows = [[t["name"], t["goal"], _target_value(t), t["status"]] for t in document["targets"]]
    at = document["targets"][0]["at"] if document["targets"] else ""
    return (
        f"Targets (measured at {at}; set for 4x10 and a trivial task)\n"
        + format_table(["target", "goal", "measured", "result"], rows, left=4)
        + "\nNOT MEASURED: the part that measures it was not run (see --only)"
    )


def _versus(ratios: Sequence[Mapping[str, Any]], what: str) -> str:
    """This SDK / the other one, point by point, if both ran."""
    lines = [
        f"\n  {r['processes']}x{r['threads']}: {_ratio(r['ours_vs_other'])}" + _each_run(r)
        for r in ratios
        if r.get("ours_vs_other") is not None
    ]
    return f"\nThis project vs the other SDK{what}:" + "".join(lines) if lines else ""


def _each_run(ratios: Mapping[str, Any]) -> str:
    """The ratio of each repeat, in the order they ran, after the median (when more than one
    repeat ran): a target meant for every run is read here."""
    runs = ratios.get("ours_vs_other_runs") or []
    if len(runs) < 2:
        return ""
    return " (median; each run: " + ", ".join(_ratio(value) for value in runs) + ")"


def _target_value(target: Mapping[str, Any]) -> str:
    value = target["measured"]
    if isinstance(value, bool):
        return "flat" if value else "growing"
    if target["unit"] == "x":
        return _ratio(value)
    return _show(value, "{:.2f} " + target["unit"]).strip()


def pyplot() -> Any:
    """``matplotlib.pyplot`` drawing to files (no display needed); a clear error without it."""
    try:
        import matplotlib
    except ImportError:
        raise RuntimeError(
            f"--plot needs matplotlib, which is not installed: {INSTALL_HINT}"
        ) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def write_plot(document: Mapping[str, Any], path: str | Path) -> Path:
    """Throughput against worker processes as a PNG, one line per side and thread count."""
    plt = pyplot()

    setup, names = document["setup"], side_names(document["setup"])
    series: dict[tuple[str, int], list[tuple[int, float]]] = {}
    for row in document["throughput"]:
        if row["tasks_per_second"] is not None:
            point = (row["processes"], row["tasks_per_second"])
            series.setdefault((row["side"], row["threads"]), []).append(point)
    figure, axes = plt.subplots(figsize=(7, 4.2), dpi=100)
    styles = {OURS: "o-", OTHER: "s-", CEILING: "^--"}
    for (side, threads), points in sorted(series.items()):
        xs, ys = zip(*sorted(points), strict=True)
        label = f"{names.get(side, side)}, {threads} threads"
        axes.plot(xs, ys, styles.get(side, "x:"), label=label)
    axes.set_xlabel("worker processes")
    axes.set_ylabel("tasks per second (median)")
    axes.set_title(
        f"Draining {setup['tasks_per_drain']} tasks: {setup['task']['description']}; "
        f"{setup['machine']['cpu_count']} CPUs",
        fontsize=10,
    )
    axes.set_xticks(sorted({row["processes"] for row in document["throughput"]}))
    axes.set_ylim(bottom=0)
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=8, loc="lower right")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return Path(path)
