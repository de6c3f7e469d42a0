"""One measurement each: a drain (throughput), a quiet run (idle CPU, then pick-up latency),
a capacity run (request rate of a plain client loop), a soak (memory over time).

Every run starts its own worker side (an SDK through ``worker_main.py``, or the plain client
loop ``raw_main.py``) against the benchmark's fake server, waits until each of its processes
has polled, measures, and stops it again, so runs are independent of one another.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.admin import AdminClient
from harness.bench import figures, procs
from harness.server import ServerHandle
from harness.waiting import wait_until

HERE = Path(__file__).resolve().parent
WORKER_SCRIPT = HERE / "worker_main.py"
RAW_SCRIPT = HERE / "raw_main.py"
TASK_TYPE = "bench_task"
# Time for a freshly started worker side to finish starting (imports, pools, first polls)
# before its idle CPU is measured.
SETTLE_SECONDS = 2.0
CAPACITY_QUEUE = 50_000


@dataclass(frozen=True)
class TaskBody:
    """What each task does: return at once, or sleep and/or keep a CPU busy (milliseconds)."""

    sleep_ms: float = 0.0
    cpu_ms: float = 0.0

    def task_input(self) -> dict[str, float]:
        body = {}
        if self.sleep_ms:
            body["sleep_ms"] = self.sleep_ms
        if self.cpu_ms:
            body["cpu_ms"] = self.cpu_ms
        return body

    def describe(self) -> str:
        parts = []
        if self.sleep_ms:
            parts.append(f"sleeps {self.sleep_ms:g} ms")
        if self.cpu_ms:
            parts.append(f"busy {self.cpu_ms:g} ms CPU")
        return ", ".join(parts) if parts else "trivial (returns at once)"


@dataclass(frozen=True)
class WorkerSide:
    """Who runs the tasks: an SDK under some interpreter, or the plain client loop."""

    key: str  # short name used in worker ids and the JSON
    python: str
    raw_protocol: str | None = None  # None: an SDK through worker_main.py
    raw_client: str = "requests"  # the plain loop's HTTP client: requests or http.client

    @property
    def is_sdk(self) -> bool:
        return self.raw_protocol is None

    def command(self, url: str, processes: int, threads: int, id_prefix: str) -> list[str]:
        script = WORKER_SCRIPT if self.is_sdk else RAW_SCRIPT
        command = [
            self.python,
            str(script),
            "--url",
            url,
            "--task",
            TASK_TYPE,
            "--processes",
            str(processes),
            "--threads",
            str(threads),
            "--id-prefix",
            id_prefix,
        ]
        if self.raw_protocol:
            command += ["--protocol", self.raw_protocol, "--client", self.raw_client]
        return command


@dataclass
class RunningSide:
    """A started worker side: its child process and what its ready line said."""

    child: procs.Child
    worker_ids: list[str]
    ready: dict[str, Any] = field(default_factory=dict)
    ready_seconds: float = 0.0

    @property
    def worker_pids(self) -> list[int]:
        return list(self.ready.get("workers") or [])

    def tree(self) -> list[int]:
        return procs.process_tree(self.child.pid)


class BenchContext:
    """The fake server of a benchmark (its own process), a work folder for logs, and helpers
    shared by every run."""

    def __init__(
        self,
        workdir: Path | None = None,
        *,
        drain_timeout: float = 600.0,
        server_threads: int | None = None,
        server_wsgi: str | None = None,
    ) -> None:
        self._tempdir = None if workdir else tempfile.TemporaryDirectory(prefix="conductor-bench-")
        self.workdir = workdir or Path(self._tempdir.name)  # type: ignore[union-attr]
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.drain_timeout = drain_timeout
        self.server = ServerHandle(mode="subprocess", threads=server_threads, backend=server_wsgi)
        self.server_wsgi = self.server.backend
        self._launches = 0
        self.server_pid: int | None = None
        self.flask: procs.Child | None = None

    def __enter__(self) -> BenchContext:
        self.server.start()
        self.server_pid = self.server.pid
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.flask is not None:
            self.flask.process.terminate()
            self.flask.stop(timeout=10)
            self.flask = None
        self.server.stop()
        if self._tempdir is not None:
            self._tempdir.cleanup()

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def admin(self) -> AdminClient:
        return self.server.admin

    def next_prefix(self, side: WorkerSide) -> str:
        self._launches += 1
        return f"{side.key}-{self._launches}"

    def server_cpu(self) -> float:
        return procs.cpu_seconds([self.server_pid]) if self.server_pid else 0.0

    @contextmanager
    def workers(self, side: WorkerSide, processes: int, threads: int) -> Iterator[RunningSide]:
        """Starts the worker side and waits until every process of it has polled."""
        prefix = self.next_prefix(side)
        started = time.monotonic()
        child = procs.Child(
            side.command(self.url, processes, threads, prefix),
            log_path=self.workdir / f"{prefix}.log",
            cwd=self.workdir,  # no worker.ini of the developer's is read
            env=procs.clean_environment(),
        )
        try:
            running = RunningSide(
                child=child,
                worker_ids=[f"{prefix}-{index + 1}" for index in range(processes)],
                ready=child.json_line('"ready"', 5),
            )
            self._wait_for_polls(running)
            running.ready_seconds = time.monotonic() - started
            yield running
            child.check_alive()
        finally:
            child.stop()

    def _wait_for_polls(self, running: RunningSide) -> None:
        def all_polled() -> bool:
            running.child.check_alive()
            seen = self.admin.stats()["workers"]
            return all(seen.get(worker_id, {}).get("polls") for worker_id in running.worker_ids)

        wait_until(all_polled, timeout=60, message=f"polls from {running.worker_ids}")

    def wait_drained(self, running: RunningSide) -> None:
        # The queue size is cheap to ask for; the stats walk every task under the engine's
        # lock (which would hold up the workers being measured), so they are asked for only
        # once the queue is empty, for the last tasks in progress.
        def queue_empty() -> bool:
            running.child.check_alive()
            return not any(self.admin.queue_sizes().values())

        def drained() -> bool:
            running.child.check_alive()
            queues = self.admin.stats()["queues"]
            return not any(q["scheduled"] or q["inProgress"] for q in queues.values())

        deadline = time.monotonic() + self.drain_timeout
        wait_until(queue_empty, timeout=self.drain_timeout, message="the queue to empty")
        remaining = max(deadline - time.monotonic(), 1.0)
        wait_until(drained, timeout=remaining, message="the tasks in progress to complete")


def drain_run(
    context: BenchContext,
    side: WorkerSide,
    processes: int,
    threads: int,
    tasks: int,
    body: TaskBody,
) -> dict[str, Any]:
    """Idle workers, then ``tasks`` tasks queued at once: how fast they drain them."""
    with context.workers(side, processes, threads) as running:
        context.admin.reset()
        watched = running.worker_pids or running.tree()
        cpu_before, server_before = procs.cpu_seconds(watched), context.server_cpu()
        context.admin.enqueue(TASK_TYPE, tasks, input=body.task_input())
        context.wait_drained(running)
        cpu_used = procs.cpu_seconds(watched) - cpu_before
        server_used = context.server_cpu() - server_before
        state = context.admin.state()
        rss = procs.rss_mb(running.worker_pids)
    run = figures.drain_figures(state["tasks"], tasks)
    run.update(
        worker_cpu_ms_per_task=figures.per_task_ms(cpu_used, tasks),
        server_cpu_ms_per_task=figures.per_task_ms(server_used, tasks),
        rss_mb=sorted(rss.values()),
        sdk=running.ready.get("sdk"),
        startup_seconds=round(running.ready_seconds, 3),
    )
    return run


def quiet_run(
    context: BenchContext,
    side: WorkerSide,
    processes: int,
    threads: int,
    *,
    idle_seconds: float,
    latency_samples: int,
    gap_ms: float,
    body: TaskBody,
    seed: int = 0,
    settle_seconds: float = SETTLE_SECONDS,
) -> dict[str, Any]:
    """Idle workers: their CPU over ``idle_seconds`` with an empty queue, then the pick-up
    latency of ``latency_samples`` tasks queued one at a time, each when the workers are idle
    again (a random pause of about ``gap_ms`` after the previous one completed)."""
    with context.workers(side, processes, threads) as running:
        time.sleep(settle_seconds)  # the measuring protocol: let start-up work end first
        workers, tree = running.worker_pids, running.tree()
        context.admin.reset()
        started = time.monotonic()
        worker_cpu, tree_cpu = procs.cpu_seconds(workers), procs.cpu_seconds(tree)
        time.sleep(idle_seconds)
        window = time.monotonic() - started
        worker_cpu = procs.cpu_seconds(workers) - worker_cpu
        tree_cpu = procs.cpu_seconds(tree) - tree_cpu
        polls = sum(w["polls"] for w in context.admin.stats()["workers"].values())
        context.admin.reset()
        _one_at_a_time(context, running, latency_samples, gap_ms, body, random.Random(seed))
        latency = figures.latency_figures(context.admin.state()["tasks"])
        rss = procs.rss_mb(workers)
    return {
        "idle_window_seconds": round(window, 3),
        "idle_cpu_percent": figures.cpu_percent(worker_cpu, window),
        "idle_cpu_percent_all_processes": figures.cpu_percent(tree_cpu, window),
        "idle_polls_per_second": polls / window,
        "processes_in_tree": len(tree),
        **latency,
        "rss_mb": sorted(rss.values()),
        "sdk": running.ready.get("sdk"),
    }


def _one_at_a_time(
    context: BenchContext,
    running: RunningSide,
    samples: int,
    gap_ms: float,
    body: TaskBody,
    rng: random.Random,
) -> None:
    admin = context.admin
    for _ in range(samples):
        time.sleep(rng.uniform(0.5, 1.5) * gap_ms / 1000.0)  # idle again: long polling
        (task_id,) = admin.enqueue(TASK_TYPE, 1, input=body.task_input())

        def completed(task_id: str = task_id) -> bool:
            status: str = admin.get_task(task_id)["status"]
            if status not in ("SCHEDULED", "IN_PROGRESS", "COMPLETED"):
                raise figures.MeasurementError(f"task {task_id} ended {status}")
            return status == "COMPLETED"

        wait_until(completed, timeout=30, interval=0.005, message=f"task {task_id} to complete")
        running.child.check_alive()


def capacity_run(
    context: BenchContext,
    target: str,
    processes: int,
    threads: int,
    seconds: float,
) -> dict[str, Any]:
    """Requests per second that a plain client loop (``http.client``, the cheapest client, so
    that the server is what is measured) gets from a server for ``seconds``:
    ``target="fake"``: poll+update on a long queue; ``"flask"``: GET of a bare route."""
    if target == "fake":
        context.admin.reset()
        context.admin.enqueue(TASK_TYPE, CAPACITY_QUEUE)
        url, protocol, server_pid = context.url, "poll+update", context.server_pid
    elif target == "flask":
        url, protocol, server_pid = _bare_flask(context), "get", _flask_pid(context)
    else:
        raise ValueError(f"capacity target must be 'fake' or 'flask', not {target!r}")
    side = WorkerSide("cap", sys.executable, protocol, "http.client")
    prefix = context.next_prefix(side)
    command = side.command(url, processes, threads, prefix) + ["--seconds", str(seconds)]
    child = procs.Child(command, log_path=context.workdir / f"{prefix}-{target}.log")
    try:
        server_before = procs.cpu_seconds([server_pid]) if server_pid else 0.0
        child.send_line("go")
        done = child.json_line('"requests"', seconds + 60)
        server_used = (procs.cpu_seconds([server_pid]) if server_pid else 0.0) - server_before
    finally:
        child.stop()
    return {
        "requests_per_second": done["requests"] / done["seconds"],
        "tasks_per_second": done["tasks"] / done["seconds"],
        "server_cpu_percent": figures.cpu_percent(server_used, done["seconds"]),
    }


def _bare_flask(context: BenchContext) -> str:
    if context.flask is None:
        context.flask = procs.Child(
            [sys.executable, "-m", "harness.bench.bare_flask", "--wsgi", context.server_wsgi],
            log_path=context.workdir / "bare-flask.log",
            ready_marker="listening on",
        )
    return context.flask.ready_line.rsplit(" ", 1)[-1]


def _flask_pid(context: BenchContext) -> int | None:
    return context.flask.pid if context.flask is not None else None


def soak_run(
    context: BenchContext,
    side: WorkerSide,
    processes: int,
    threads: int,
    *,
    minutes: float,
    batch: int,
    sample_seconds: float,
    body: TaskBody,
    on_sample: Callable[[float], None] = lambda elapsed: None,
) -> dict[str, Any]:
    """Steady full load for ``minutes``: batches of ``batch`` tasks drained back to back (the
    server is reset between batches, so its own memory stays small); the workers' resident
    memory is sampled about every ``sample_seconds``."""
    samples: list[dict[str, Any]] = []
    done = 0
    with context.workers(side, processes, threads) as running:
        pids = running.worker_pids
        started = time.monotonic()
        deadline = started + minutes * 60.0
        next_sample = started
        while True:
            now = time.monotonic()
            if now >= next_sample:
                samples.append({"seconds": round(now - started, 1), "rss_mb": procs.rss_mb(pids)})
                on_sample(now - started)
                next_sample = now + sample_seconds
            if now >= deadline:
                break
            context.admin.reset()
            context.admin.enqueue(TASK_TYPE, batch, input=body.task_input())
            context.wait_drained(running)
            done += batch
        elapsed = time.monotonic() - started
    per_process = {
        str(pid): figures.flatness(
            [(s["seconds"], s["rss_mb"][pid]) for s in samples if pid in s["rss_mb"]]
        )
        for pid in pids
    }
    return {
        "minutes": minutes,
        "tasks": done,
        "tasks_per_second": done / elapsed if elapsed else None,
        "samples": [
            {"seconds": s["seconds"], "rss_mb": [s["rss_mb"].get(pid) for pid in pids]}
            for s in samples
        ],
        "per_process": per_process,
        "flat": all(p["flat"] for p in per_process.values()) if per_process else None,
        "max_rss_mb": max(
            (max(s["rss_mb"].values()) for s in samples if s["rss_mb"]), default=None
        ),
        "sdk": running.ready.get("sdk"),
    }
