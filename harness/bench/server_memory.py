"""The fake server's memory under a long run at full speed (or a steady rate), with and without
a retention.

    python -m harness.bench.server_memory --minutes 10 --retention 30
    python -m harness.bench.server_memory --minutes 2 --keep-everything   # for comparison

Starts the fake server in its own process (``--retention``), a plain client loop completing
its tasks (the benchmark's ceiling side: the least CPU per task a client spends, so the
server runs at full speed), and threads starting one-task workflows as fast as the server
takes them. Every ``--sample-seconds`` it prints the server's resident memory (its process
tree), what it holds (workflows, tasks) and what the retention removed; at the end, whether
the memory stayed flat after its warm-up (the benchmark's soak rule: the last settled sample
at most max(2 MB, 5 %) above the first).
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


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    retention = None if args.keep_everything else args.retention
    stop = threading.Event()
    rows: list[list[str]] = []
    points: list[tuple[float, float]] = []
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
        try:
            while (elapsed := time.monotonic() - started) < args.minutes * 60:
                rss = sum(procs.rss_mb(procs.process_tree(server.pid or 0)).values())
                stats = server.admin.stats()
                points.append((elapsed, rss))
                removed = stats["retention"]["removedWorkflows"]
                row = [f"{elapsed:.0f}", f"{rss:.1f}", sum(stats["workflows"].values())]
                rows.append([*map(str, row), str(stats["tasks"]), str(removed)])
                print("  ".join(rows[-1]), flush=True)
                stop.wait(args.sample_seconds)  # the sampling period
        finally:
            stop.set()
            for feeder in feeders:
                feeder.join(10)
            loop.stop(timeout=30)
    kept = "everything kept" if retention is None else f"retention {retention:g} s"
    kept += f", {args.rate:g} workflows/s offered" if args.rate else ", as fast as it goes"
    headers = ["seconds", "server RSS MB", "workflows held", "tasks held", "workflows removed"]
    print(f"\nFake server memory, {args.minutes:g} min, {kept}")
    print(format_table(headers, rows, left=0))
    flat = summary.flatness(points)
    growth = flat["growth_mb"]
    print(
        f"Flat after warm-up: {flat['flat']} (grew {growth:+.1f} MB, allowed "
        f"{flat['allowed_growth_mb']:.1f} MB; slope {flat['slope_mb_per_min']:+.2f} MB/min)"
        if growth is not None
        else "Too few samples to judge (give more --minutes or fewer --sample-seconds)"
    )
    return 0


def _feed(url: str, stop: threading.Event, rate: float) -> None:
    """Starts workflows until ``stop``: ``rate`` a second (0: as fast as they are taken)."""
    from harness.admin import AdminClient

    started, count = time.monotonic(), 0
    with AdminClient(url) as admin:
        while not stop.is_set():
            if rate and stop.wait(max(started + count / rate - time.monotonic(), 0)):
                return  # the pace of the load, not a wait for a condition
            admin.start_workflow(WORKFLOW_NAME)
            count += 1


if __name__ == "__main__":
    sys.exit(main())
