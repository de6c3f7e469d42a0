"""A PNG chart of throughput against worker processes, one line per worker side."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.bench.procs import INSTALL_HINT
from harness.bench.tables import side_names


class PlotUnavailable(RuntimeError):
    """matplotlib is not installed."""


def throughput_series(
    document: Mapping[str, Any],
) -> dict[tuple[str, int], list[tuple[int, float]]]:
    """``(side, threads)`` -> ascending ``(processes, tasks/s)`` points (median values)."""
    series: dict[tuple[str, int], list[tuple[int, float]]] = defaultdict(list)
    for row in document["throughput"]:
        if row["tasks_per_second"] is not None:
            series[(row["side"], row["threads"])].append(
                (row["processes"], row["tasks_per_second"])
            )
    return {key: sorted(points) for key, points in series.items()}


def write_plot(document: Mapping[str, Any], path: str | Path) -> Path:
    try:
        import matplotlib
    except ImportError:
        raise PlotUnavailable(
            f"--plot needs matplotlib, which is not installed: {INSTALL_HINT}"
        ) from None
    matplotlib.use("Agg")  # files only, no display needed
    import matplotlib.pyplot as plt

    names = side_names(document["setup"])
    figure, axes = plt.subplots(figsize=(7, 4.2), dpi=100)
    styles = {"ours": "o-", "other": "s-", "raw-min": "^--", "raw-v2": "v:", "raw-pu": "x:"}
    for (side, threads), points in sorted(throughput_series(document).items()):
        xs, ys = zip(*points, strict=True)
        label = f"{names.get(side, side)}, {threads} threads"
        axes.plot(xs, ys, styles.get(side, "o-"), label=label)
    setup = document["setup"]
    axes.set_xlabel("worker processes")
    axes.set_ylabel("tasks per second (median)")
    axes.set_title(
        f"Draining {setup['tasks_per_drain']} tasks: {setup['task']['description']}; "
        f"{setup['machine']['cpu_count']} CPUs",
        fontsize=10,
    )
    processes = sorted({row["processes"] for row in document["throughput"]})
    axes.set_xticks(processes)
    axes.set_ylim(bottom=0)
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=8, loc="lower right")
    figure.tight_layout()
    target = Path(path)
    figure.savefig(target)
    plt.close(figure)
    return target
