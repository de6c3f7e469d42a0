"""Running one configuration (processes x threads) of the user's worker, and the sweep.

A run starts the worker side (``worker_side.py``, its own process tree, in a work folder so
that no ``worker.ini`` overrides the thread count), waits until it polls, offers the goal's
rate (5 % above it) for ``seconds``, waits until the queue is empty (or gives up: the workers
could not keep up), reads the tasks' timestamps from the server and removes the run's
workflows. CPU is measured over the load (from the first start to the empty queue) for the
worker processes, the server (when it runs on this machine) and the whole machine.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from harness.admin import AdminClient, AdminError
from harness.bench import procs
from harness.bench.output import Progress
from harness.bench.procs import Child, ChildError
from harness.size import verdict
from harness.size.loading import SizedWorker
from harness.size.queue import ENDED, SizingQueue
from harness.waiting import WaitTimeout, wait_until

HARNESS = Path(__file__).resolve().parents[1]  # the harness package
OVER_TARGET = 1.05  # the load offered: a little above the target, so "sustains it" is seen
MIN_TASKS = 20
AUTH_VARIABLES = ("CONDUCTOR_AUTH_KEY", "CONDUCTOR_AUTH_SECRET")


@dataclass(frozen=True)
class Goal:
    rate: float
    p99_ms: float | None = None


class Sizer:
    """Runs configurations of one worker against one server."""

    def __init__(
        self,
        *,
        admin: AdminClient,
        url: str,
        server_pid: int | None,
        worker: SizedWorker,
        spec: str,
        queue: SizingQueue,
        take_inputs: Callable[[int], list[dict[str, Any]]],
        goal: Goal,
        seconds: float,
        workdir: Path,
        python: str = sys.executable,
    ) -> None:
        self.admin, self.url, self.server_pid = admin, url, server_pid
        self.worker, self.spec, self.queue = worker, spec, queue
        self.take_inputs, self.goal, self.seconds = take_inputs, goal, seconds
        self.workdir, self.python = workdir, python
        self.launches = 0
        self.sdk: str | None = None

    def _start(self, processes: int, threads: int) -> tuple[Child, str]:
        self.launches += 1
        prefix = f"size-{os.getpid()}-{self.launches}"
        command = [self.python, "-m", "harness.size.worker_side", "--worker", self.spec]
        command += ["--name", self.worker.task_name, "--task", self.queue.task, "--url", self.url]
        command += ["--processes", str(processes), "--threads", str(threads)]
        env = procs.clean_environment()
        env |= {k: os.environ[k] for k in AUTH_VARIABLES if os.environ.get(k)}
        # The user's modules are found from where the command was typed, and the worker side
        # (which needs only an SDK and the standard library) from this installation, also
        # under another interpreter (--python).
        paths = [os.getcwd(), self._harness_path(), env.get("PYTHONPATH")]
        env["PYTHONPATH"] = os.pathsep.join(filter(None, paths))
        log = self.workdir / f"{prefix}.log"
        child = Child([*command, "--id-prefix", prefix], log, cwd=self.workdir, env=env)
        return child, prefix

    def _harness_path(self) -> str:
        """A folder holding only the harness package (a link to it): on the path of another
        interpreter, it finds the worker side and nothing else of this installation."""
        folder = self.workdir / "pythonpath"
        if not (folder / "harness").exists():
            folder.mkdir(exist_ok=True)
            (folder / "harness").symlink_to(HARNESS, target_is_directory=True)
        return str(folder)

    def _wait_polling(self, child: Child, prefix: str) -> None:
        def polled() -> bool:
            child.check_alive()
            data = self.admin.poll_data(self.queue.task)
            return any(str(d.get("workerId", "")).startswith(prefix) for d in data)

        wait_until(polled, timeout=60, message=f"a poll from the worker side {prefix}")

    def run(self, processes: int, threads: int) -> dict[str, Any]:
        """One configuration's figures (or ``{"error": ...}`` when it could not be measured)."""
        record: dict[str, Any] = {"processes": processes, "threads": threads}
        try:
            record |= self._measure(processes, threads)
        except (ChildError, WaitTimeout, AdminError) as error:
            record["error"] = f"{type(error).__name__}: {error}"
            return record
        record["bound"], record["bound_why"] = verdict.bound_of(record)
        record["meets_target"] = verdict.meets(record, self.goal.rate, self.goal.p99_ms)
        return record

    def _measure(self, processes: int, threads: int) -> dict[str, Any]:
        offered = self.goal.rate * OVER_TARGET
        inputs = self.take_inputs(max(MIN_TASKS, math.ceil(offered * self.seconds)))
        child, prefix = self._start(processes, threads)
        ids: list[str] = []
        tasks: list[dict[str, Any]] = []
        try:
            self._wait_polling(child, prefix)
            self.sdk = child.ready.get("sdk")
            pids = child.pids
            server = procs.process_tree(self.server_pid) if self.server_pid else []
            before = _usage(pids, server)
            started, started_ms = time.monotonic(), time.time() * 1000.0
            ids = self.queue.feed(inputs, offered)
            kept_up = self.queue.wait_taken(timeout=max(3.0, self.seconds))
            window, ended_ms = time.monotonic() - started, time.time() * 1000.0
            after = _usage(pids, server)
            rss = procs.rss_mb(pids)
            child.check_alive()
            tasks = self.queue.read(ids, timeout=30.0 if kept_up else 2.0)
        finally:
            child.stop(timeout=30)
            running = {
                str(t.get("workflowInstanceId")) for t in tasks if t["workflowStatus"] not in ENDED
            }
            self.queue.remove(ids, running if tasks else None)
        worker_cpu, server_cpu = after[0] - before[0], after[1] - before[1]
        waited = after[3] - before[3] if after[3] is not None and before[3] is not None else None
        figures = verdict.run_figures(tasks)
        # CPU per task: over the tasks that ended within the CPU window (the server's clock
        # read against ours by the first task's scheduled time).
        offset = min(int(t["scheduledTime"]) for t in tasks) - started_ms if tasks else 0.0
        counted = max(1, sum(1 for t in tasks if 0 < int(t["endTime"] or 0) <= ended_ms + offset))
        return {
            **figures,
            "window_seconds": round(window, 3),
            "worker_cpu_ms_per_task": 1000.0 * worker_cpu / counted,
            "worker_cpu_wait_ms_per_task": None if waited is None else 1000.0 * waited / counted,
            "server_cpu_ms_per_task": 1000.0 * server_cpu / counted if server else None,
            "process_cpu_cores": worker_cpu / window / processes,
            "server_cpu_cores": server_cpu / window if server else None,
            "machine_cpu": _busy(before[2], after[2]),
            "rss_mb": sorted(round(size, 1) for size in rss.values()),
        }


def _usage(pids: list[int], server: list[int]) -> tuple[float, float, Any, float | None]:
    """CPU seconds of the workers and of the server, the machine's CPU times, and the
    seconds the workers' threads waited for a CPU, so far."""
    workers = procs.cpu_seconds(pids)
    return workers, procs.cpu_seconds(server), psutil.cpu_times(), procs.cpu_wait_seconds(pids)


def _busy(before: Any, after: Any) -> float:
    """The machine's CPUs' busy fraction between two ``psutil.cpu_times()``."""
    total = sum(after) - sum(before)
    idle = (after.idle - before.idle) + (getattr(after, "iowait", 0) - getattr(before, "iowait", 0))
    return 1.0 - idle / total if total > 0 else 0.0


def sweep(
    sizer: Sizer,
    cpu_count: int,
    max_runs: int,
    progress: Progress,
    start: tuple[int, int] = (1, 1),
) -> tuple[list[dict[str, Any]], str]:
    """Configurations from ``start`` (1 x 1), each chosen from the last one's bound, until the
    goal is met or more stops helping; the runs and why the sweep stopped."""
    runs: list[dict[str, Any]] = []
    configuration: tuple[int, int] | None = start
    tried: set[tuple[int, int]] = set()
    while configuration is not None:
        processes, threads = configuration
        tried.add(configuration)
        progress.step(f"{processes} process(es) x {threads} thread(s), {sizer.seconds:g} s")
        run = sizer.run(processes, threads)
        runs.append(run)
        progress.note(_progress_line(run))
        if "error" in run:
            return runs, f"{processes}x{threads} could not be measured"
        if run["meets_target"]:
            return runs, f"{processes}x{threads} meets the goal"
        if verdict.latency_out_of_reach(run, sizer.goal.rate, sizer.goal.p99_ms):
            return runs, (
                f"{processes}x{threads} reaches the rate, and its p99 ({run['p99_ms']:,.0f} ms) is "
                f"about a task's own time ({run['held_ms']:,.0f} ms held on average): more "
                "processes or threads cannot bring it under the bound"
            )
        if len(runs) >= max_runs:
            return runs, f"--max-runs {max_runs} reached"
        configuration, why = verdict.next_configuration(runs, sizer.goal.rate, cpu_count)
        if configuration in tried:
            return runs, f"{configuration[0]}x{configuration[1]} was measured already"
        if configuration is None:
            return runs, why
    raise AssertionError("unreachable")


def _progress_line(run: dict[str, Any]) -> str:
    if "error" in run:
        return f"    could not measure it: {run['error'].splitlines()[0]}"
    errors = sum(e["count"] for e in run["errors"])
    p99 = "-" if run["p99_ms"] is None else f"{run['p99_ms']:,.0f} ms"
    return (
        f"    {run['rate']:,.0f} tasks/s, p99 {p99}, {errors} error(s), bound: {run['bound']}"
        f"{'' if run['meets_target'] else ' (goal not met)'}"
    )
