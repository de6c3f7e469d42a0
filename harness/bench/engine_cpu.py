"""The fake server's engine alone, in this process: CPU time per worker task of each shape.

    python -m harness.bench.engine_cpu --tasks 3000 --repeat 5
    python -m harness.bench.engine_cpu --shapes workflow-1 --profile 25   # the top 25 functions

No HTTP and no other process: an :class:`~fake_server.engine.facade.Engine` on the system
clock, driven through its public methods as the benchmark's drains drive the server. The work
is queued (ad-hoc tasks in one call, or one workflow started per ``tasks_per_workflow``
tasks), then drained as a worker does: a batch poll of 10, and an ``update_task_v2`` of each
task, each answer's next task updated in turn. The figure is the process's CPU time for the
queuing and the drain divided by the worker tasks done; it moves far less with the machine's
load than a rate does. The ratio to the ad-hoc figure of the same repeat is what a workflow
costs the server beyond its tasks.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from typing import Any

from fake_server.engine.facade import Engine
from harness.argtypes import positive_int
from harness.bench.workloads import ADHOC, SHAPES, Shape
from harness.report import format_table

TASK_TYPE = "bench_task"
WORKER_ID = "engine-cpu"
BATCH = 10
# The bytes of a worker's update-v2 body, which the HTTP layer passes on (a small output needs
# no measuring then).
UPDATE_TEXT_SIZE = 200


def queue_work(engine: Engine, shape: Shape, tasks: int) -> int:
    """Queue about ``tasks`` worker tasks of ``shape``; how many will be done."""
    if not shape.is_workflow:
        engine.enqueue_tasks(TASK_TYPE, tasks, task_input={})
        return tasks
    name = shape.workflow_name()
    runs = shape.workflows_for(tasks)
    for index in range(runs):
        engine.start_workflow({"name": name, "version": 1, "input": {"n": index}})
    return runs * shape.tasks_per_workflow


def drain(engine: Engine) -> int:
    """Complete every queued task as a worker would; how many were completed."""
    done = 0
    while batch := engine.batch_poll(TASK_TYPE, WORKER_ID, count=BATCH, timeout_ms=0):
        for polled in batch:
            task: dict[str, Any] | None = polled
            while task is not None:
                task = engine.update_task_v2(
                    {
                        "taskId": task["taskId"],
                        "workflowInstanceId": task["workflowInstanceId"],
                        "workerId": WORKER_ID,
                        "status": "COMPLETED",
                        "outputData": {"done": True},
                    },
                    UPDATE_TEXT_SIZE,
                )
                done += 1
    return done


def measure(shape: Shape, tasks: int) -> float:
    """CPU microseconds per worker task of ``shape`` on a fresh engine."""
    engine = Engine()
    try:
        if shape.is_workflow:
            engine.register_workflow_def(shape.definition(TASK_TYPE))
        started = time.process_time()
        expected = queue_work(engine, shape, tasks)
        done = drain(engine)
        used = time.process_time() - started
    finally:
        engine.close()
    if done != expected:
        raise RuntimeError(f"{shape.name}: {done} tasks completed, {expected} expected")
    return 1e6 * used / done


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m harness.bench.engine_cpu", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--tasks", type=positive_int, default=3000, help="per run (default 3000)")
    parser.add_argument("--repeat", type=positive_int, default=5, help="runs per shape, median")
    parser.add_argument(
        "--shapes",
        default=",".join(SHAPES),
        help=f"comma-separated, among {', '.join(SHAPES)} (default: all)",
    )
    parser.add_argument(
        "--profile", type=positive_int, metavar="N", help="instead: cProfile one run, top N"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    names = [name.strip() for name in args.shapes.split(",") if name.strip()]
    unknown = [name for name in names if name not in SHAPES]
    if unknown:
        print(f"error: --shapes: {', '.join(unknown)}: choose among {', '.join(SHAPES)}")
        return 2
    if args.profile:
        for name in names:
            profiler = cProfile.Profile()
            profiler.runcall(measure, SHAPES[name], args.tasks)
            print(f"== {name}")
            pstats.Stats(profiler).sort_stats("tottime").print_stats(args.profile)
        return 0
    measured = {name: [] for name in {*names, ADHOC}}  # type: dict[str, list[float]]
    for _ in range(args.repeat):
        for name in measured:
            measured[name].append(measure(SHAPES[name], args.tasks))
    adhoc = measured[ADHOC]
    rows = []
    for name in names:
        ratios = [ours / base for ours, base in zip(measured[name], adhoc, strict=True)]
        rows.append(
            [
                SHAPES[name].description,
                f"{statistics.median(measured[name]):.1f}",
                f"{statistics.median(ratios):.2f}x",
            ]
        )
    print(format_table(["work", "engine CPU us/task", "vs ad hoc"], rows))
    print(f"medians of {args.repeat} runs of {args.tasks} tasks; ratios paired per run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
