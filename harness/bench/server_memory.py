"""The fake server's memory under a long run at full speed (or a steady rate), with and without
a retention.

    python -m harness.bench.server_memory --minutes 10 --retention 30
    python -m harness.bench.server_memory --minutes 10 --retention 30 --rate 300
    python -m harness.bench.server_memory --minutes 2 --keep-everything   # for comparison

Starts the fake server in its own process (``--retention``), a plain client loop completing
its tasks (the benchmark's ceiling side: the least CPU per task a client spends, so the
server runs at full speed), and threads starting one-task workflows as fast as the server
takes them, or at ``--rate`` (a thread that falls behind skips what it missed rather than
catch up in a burst, which would raise the number of workflows held). Every
``--sample-seconds`` it prints the rate workflows started at, what the server holds and what
the retention removed, the resident memory of the server's process tree, and from the process
serving the API (``/fake/stats``, ``memory``): Python's allocated blocks (its live objects)
and the C heap in use and free. At the end, the trend of each over the second half of the run
(a least-squares slope, and the change it makes over that half) and the verdict: flat when the
second half's highest RSS exceeds the first half's by at most max(2 MB, 2 %) beyond what
holding more workflows at its peak explains (at the run's own MB per workflow held, from the
start to the first half's peak): memory follows the most workflows held, and at full speed on
a shared machine that peak may come late.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

from harness.argtypes import positive_float, positive_int
from harness.bench import procs, summary
from harness.bench.procs import Child
from harness.bench.runs import CEILING_SIDE, TASK_TYPE
from harness.report import format_table
from harness.server import ServerHandle

WORKFLOW_NAME = "memory_bench"
WORKFLOW = {
    "name": WORKFLOW_NAME,
    "version": 1,
    "tasks": [{"name": TASK_TYPE, "taskReferenceName": "only", "type": "SIMPLE"}],
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m harness.bench.server_memory", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--minutes", type=positive_float, default=10.0, help="length of the run (default 10)"
    )
    kept = parser.add_mutually_exclusive_group()
    kept.add_argument(
        "--retention",
        type=positive_float,
        default=30.0,
        metavar="SECONDS",
        help="the server's --retention (default 30)",
    )
    kept.add_argument("--keep-everything", action="store_true", help="no retention")
    parser.add_argument(
        "--sample-seconds",
        type=positive_float,
        default=10.0,
        metavar="S",
        help="sampling period (default 10)",
    )
    parser.add_argument("--feeders", type=positive_int, default=4, help="threads starting work")
    parser.add_argument(
        "--rate",
        type=positive_float,
        metavar="PER_S",
        help="start this many workflows a second (default: as fast as the server takes them); "
        "a steady rate keeps the number of workflows held steady too",
    )
    parser.add_argument("--threads", type=positive_int, default=4, help="client loop threads")
    return parser


HEADERS = [
    "seconds",
    "started/s",
    "workflows held",
    "workflows removed",
    "server RSS MB",
    "Python blocks k",
    "C heap in use MB",
    "C heap free MB",
]
# Flat: the second half's highest RSS exceeds the first half's by at most this much (or this
# share of it) beyond what holding more workflows at its peak explains.
ALLOWED_GROWTH_MB = 2.0
ALLOWED_GROWTH_SHARE = 0.02


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    retention = None if args.keep_everything else args.retention
    stop = threading.Event()
    samples: list[dict[str, float]] = []
    with (
        tempfile.TemporaryDirectory() as workdir,
        ServerHandle(mode="subprocess", retention_seconds=retention) as server,
    ):
        server.admin.register_workflow(WORKFLOW)
        command = CEILING_SIDE.command(server.url, 1, args.threads, "memory")
        loop = Child(command, Path(workdir) / "loop.log", cwd=workdir)
        feeders = [
            threading.Thread(
                target=_feed, args=(server.url, stop, (args.rate or 0) / args.feeders), daemon=True
            )
            for _ in range(args.feeders)
        ]
        for feeder in feeders:
            feeder.start()
        started = time.monotonic()
        print("  ".join(HEADERS), flush=True)
        try:
            while (elapsed := time.monotonic() - started) < args.minutes * 60:
                samples.append(_sample(server, elapsed))
                print("  ".join(_row(samples)), flush=True)
                stop.wait(args.sample_seconds)  # the sampling period
        finally:
            stop.set()
            for feeder in feeders:
                feeder.join(10)
            loop.stop(timeout=30)
    kept = "everything kept" if retention is None else f"retention {retention:g} s"
    kept += f", {args.rate:g} workflows/s offered" if args.rate else ", as fast as it goes"
    print(f"\nFake server memory, {args.minutes:g} min, {kept}")
    rows = [_row(samples[: i + 1]) for i in range(len(samples))]
    print(format_table(HEADERS, rows, left=0))
    print(_verdict(samples, keeps_bounded=retention is not None))
    return 0


def _sample(server: ServerHandle, elapsed: float) -> dict[str, float]:
    stats = server.admin.stats()
    memory = stats.get("memory", {})
    return {
        "seconds": elapsed,
        "rss_mb": sum(procs.rss_mb(procs.process_tree(server.pid or 0)).values()),
        "held": sum(stats["workflows"].values()),
        "removed": stats["retention"]["removedWorkflows"],
        "python_blocks": memory.get("pythonBlocks") or 0,
        "c_in_use_mb": memory.get("cHeapInUseMb") or 0.0,
        "c_free_mb": memory.get("cHeapFreeMb") or 0.0,
    }


def _row(samples: list[dict[str, float]]) -> list[str]:
    """The latest sample as a table row; its start rate is since the sample before."""
    now = samples[-1]
    rate = "-"
    if len(samples) > 1:
        before = samples[-2]
        started = now["held"] + now["removed"] - before["held"] - before["removed"]
        rate = f"{started / max(now['seconds'] - before['seconds'], 1e-9):.0f}"
    return [
        f"{now['seconds']:.0f}",
        rate,
        f"{now['held']:.0f}",
        f"{now['removed']:.0f}",
        f"{now['rss_mb']:.1f}",
        f"{now['python_blocks'] / 1000:.0f}",
        f"{now['c_in_use_mb']:.1f}",
        f"{now['c_free_mb']:.1f}",
    ]


def _verdict(samples: list[dict[str, float]], keeps_bounded: bool = True) -> str:
    """The trends over the second half of the run, and whether the RSS stayed flat there
    (``keeps_bounded``: the server has a retention)."""
    trends = {
        key: summary.second_half_trend([(s["seconds"], s[key]) for s in samples])
        for key in ("rss_mb", "python_blocks", "held", "c_in_use_mb", "c_free_mb")
    }
    rss = trends["rss_mb"]
    peak = summary.growth_beyond_peak([(s["seconds"], s["rss_mb"], s["held"]) for s in samples])
    if rss is None or peak is None:
        return "Too few samples to judge (give more --minutes or fewer --sample-seconds)"
    lines = [f"Over the second half ({rss['from_s']:.0f} s to {rss['to_s']:.0f} s), fitted trends:"]
    for key, label, unit in (
        ("rss_mb", "server RSS", "MB"),
        ("python_blocks", "Python blocks", ""),
        ("held", "workflows held", ""),
        ("c_in_use_mb", "C heap in use", "MB"),
        ("c_free_mb", "C heap free", "MB"),
    ):
        trend = trends[key]
        if trend is not None:
            digits = 1 if unit else 0  # MB to a tenth, counts whole
            first, last = (f"{trend[k]:>9,.{digits}f}" for k in ("first", "last"))
            lines.append(
                f"  {label:<15}{first} -> {last} {unit:<2} trend "
                f"{trend['slope_per_min']:+,.{2 * digits}f}/min, "
                f"{trend['growth']:+,.{digits}f} over the half"
            )
    allowed = max(ALLOWED_GROWTH_MB, ALLOWED_GROWTH_SHARE * peak["first_peak_mb"])
    more_held = max(peak["second_peak_held"] - peak["first_peak_held"], 0)
    lines += [
        f"Flat: {'yes' if peak['unexplained_mb'] <= allowed else 'NO'}: the second half's "
        f"highest RSS, {peak['second_peak_mb']:.1f} MB, is "
        f"{peak['second_peak_mb'] - peak['first_peak_mb']:+.1f} MB from the first half's; "
        f"holding {more_held:,.0f} more workflows at its peak explains "
        f"{peak['explained_mb']:.1f} MB of it (at {peak['mb_per_held'] * 1000:.2f} MB per "
        f"1,000 held), leaving {peak['unexplained_mb']:+.1f} MB; allowed "
        f"max({ALLOWED_GROWTH_MB:g} MB, {ALLOWED_GROWTH_SHARE:.0%} of "
        f"{peak['first_peak_mb']:.0f} MB) = {allowed:.1f} MB",
    ]
    if not keeps_bounded:
        lines.append(
            "(Everything is kept: what the server holds, and its memory, grow without end.)"
        )
    return "\n".join(lines)


def _feed(url: str, stop: threading.Event, rate: float) -> None:
    """Starts workflows until ``stop``: ``rate`` a second (0: as fast as they are taken); more
    than a second behind, it starts counting again from now instead of catching up."""
    from harness.admin import AdminClient

    started, count = time.monotonic(), 0
    with AdminClient(url) as admin:
        while not stop.is_set():
            if rate:
                late = time.monotonic() - (started + count / rate)
                if late > 1.0:
                    started, count = time.monotonic(), 0
                elif stop.wait(max(-late, 0)):
                    return  # the pace of the load, not a wait for a condition
            admin.start_workflow(WORKFLOW_NAME)
            count += 1


if __name__ == "__main__":
    sys.exit(main())
