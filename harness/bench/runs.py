"""The runs of the benchmark and their order: drains (throughput), async runs (an async worker's
tasks per second), quiet runs (idle CPU, then pick-up latency), capacity runs (a plain loop's
request rate), kill runs (recovery from kill -9), the soak (memory over time).

All runs share one fake server (its own process), reset between runs. Every run starts its own
worker side (an SDK, or the plain loop, through ``worker_main.py``), waits until
each of its processes has polled, measures, and stops it again. For each repeat, every sweep
point is drained by each SDK in turn (the order alternates from one repeat to the next, so a
drift of the shared machine's load hits both alike) and by the plain loop; then, at the
reference point, the quiet runs and the capacity runs. A failed run is recorded with its error
and left out of the medians.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from fake_server.options import DEFAULT_THREADS
from harness.bench import procs, summary
from harness.bench.output import Progress
from harness.bench.procs import Child, ChildError
from harness.bench.summary import CEILING, OTHER, OURS, MeasurementError
from harness.bench.workloads import SHAPES, Shape
from harness.server import ServerHandle
from harness.waiting import WaitTimeout, wait_until

HERE = Path(__file__).resolve().parent
TASK_TYPE = "bench_task"
CAPACITY_QUEUE = 50_000
ASYNC_TASKS_PER_SLOT = 40  # queued per awaiting slot: more than the window can drain
KILL_RESPONSE_TIMEOUT = 600  # seconds: what the server alone would wait for a dead worker
KILL_TASKS_PER_THREAD = 2
KILL_SETTLE_MS = 100  # the victim's tasks were handed out at least this long before the kill
PASSED_TO_WORKERS = (
    "Worker(task_definition_name, execute_function, worker_id=<distinct per process>, "
    "thread_count=T) and TaskHandler(workers=..., configuration=Configuration("
    "server_api_url=URL)); every other setting is the SDK's default"
)


@dataclass(frozen=True)
class Side:
    """Who runs the tasks: an SDK under some interpreter, or the plain loop."""

    key: str  # its name in worker ids and the JSON
    python: str
    plain: bool = False

    def command(self, url: str, processes: int, threads: int, prefix: str) -> list[str]:
        return [
            *(self.python, str(HERE / "worker_main.py"), "--url", url, "--task", TASK_TYPE),
            *("--processes", str(processes), "--threads", str(threads), "--id-prefix", prefix),
            *(["--plain"] if self.plain else []),
        ]


def sdk_sides(settings: argparse.Namespace, repeat: int) -> list[Side]:
    """This SDK and the other one, if any, in the order of this repeat."""
    sides = [Side(OURS, sys.executable)]
    if settings.compare_python:
        sides.append(Side(OTHER, settings.compare_python))
    return sides if repeat % 2 == 0 else sides[::-1]


CEILING_SIDE = Side(CEILING, sys.executable, plain=True)


def points(settings: argparse.Namespace) -> list[tuple[int, int]]:
    """The sweep (every processes x threads), and the reference point when the targets table
    was asked for (its throughput targets are read there)."""
    sweep = {(p, t) for t in settings.threads for p in settings.processes}
    sweep |= {settings.reference} if settings.targets else set()
    return sorted(sweep, key=lambda point: (point[1], point[0]))


def task_input(settings: argparse.Namespace) -> dict[str, float]:
    """What each task does (``worker_main.bench_task``): sleep and/or keep a CPU busy."""
    return {k: v for k, v in (("sleep_ms", settings.task_ms), ("cpu_ms", settings.cpu_ms)) if v}


def describe_task(body: dict[str, float]) -> str:
    parts = [f"sleeps {body['sleep_ms']:g} ms"] if "sleep_ms" in body else []
    parts += [f"busy {body['cpu_ms']:g} ms CPU"] if "cpu_ms" in body else []
    return ", ".join(parts) or "trivial (returns at once)"


class Bench:
    """The fake server of a benchmark (its own process), the folder for the children's logs,
    and the runs."""

    def __init__(self, settings: argparse.Namespace) -> None:
        self.settings = settings
        self.body = task_input(settings)
        self._tempdir = tempfile.TemporaryDirectory(prefix="conductor-bench-")
        self.workdir = Path(settings.workdir or self._tempdir.name)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.server = ServerHandle(
            mode="subprocess",
            threads=settings.server_threads or DEFAULT_THREADS,
            backend=settings.server_wsgi,
        )
        self.flask: Child | None = None
        self.launches = 0

    def __enter__(self) -> Bench:
        self.server.start()
        self.admin = self.server.admin
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.flask is not None:
            self.flask.stop(timeout=10)
        self.server.stop()
        self._tempdir.cleanup()

    def server_cpu(self, server: Child | None = None) -> float:
        """CPU seconds used so far by the fake server (or by the server ``server``), with the
        worker process granian serves from."""
        pid = server.pid if server else self.server.pid
        return procs.cpu_seconds(procs.process_tree(pid)) if pid else 0.0

    def start(
        self, side: Side, processes: int, threads: int, *extra: str, url: str = ""
    ) -> tuple[Child, str]:
        self.launches += 1
        prefix = f"{side.key}-{self.launches}"
        command = side.command(url or self.server.url, processes, threads, prefix) + list(extra)
        # In the work folder, no worker.ini of the developer's is read.
        env = procs.clean_environment()
        return Child(command, self.workdir / f"{prefix}.log", cwd=self.workdir, env=env), prefix

    @contextmanager
    def workers(self, side: Side, processes: int, threads: int, *extra: str) -> Iterator[Child]:
        """Starts the worker side and waits until every process of it has polled (the time
        that took is its ready line's ``startup_seconds``)."""
        started = time.monotonic()
        child, prefix = self.start(side, processes, threads, *extra)
        try:
            ids = [f"{prefix}-{index + 1}" for index in range(processes)]

            def all_polled() -> bool:
                child.check_alive()
                seen = self.admin.stats()["workers"]
                return all(seen.get(worker_id, {}).get("polls") for worker_id in ids)

            wait_until(all_polled, timeout=60, message=f"polls from {ids}")
            child.ready["startup_seconds"] = round(time.monotonic() - started, 3)
            child.ready["worker_ids"] = ids
            yield child
            child.check_alive()
        finally:
            child.stop()

    def wait_drained(self, running: Child) -> None:
        # The queue size is cheap to ask for; the stats walk every task under the engine's
        # lock (which would hold up the workers being measured), so they are asked for only
        # once the queue is empty, for the last tasks in progress.
        def queue_empty() -> bool:
            running.check_alive()
            return not any(self.admin.queue_sizes().values())

        def drained() -> bool:
            running.check_alive()
            queues = self.admin.stats()["queues"].values()
            return not any(q["scheduled"] or q["inProgress"] for q in queues)

        timeout = self.settings.drain_timeout
        deadline = time.monotonic() + timeout
        wait_until(queue_empty, timeout=timeout, message="the queue to empty")
        remaining = max(deadline - time.monotonic(), 1.0)
        wait_until(drained, timeout=remaining, message="the tasks in progress to complete")

    def drain(
        self, side: Side, processes: int, threads: int, shape: Shape | None = None
    ) -> dict[str, Any]:
        """Idle workers, then about ``--tasks`` tasks queued at once: how fast they drain them.
        The tasks belong to no workflow, or (``shape``) to workflows of that shape, all
        started in one admin call; the server's CPU covers the queuing and the drain."""
        with self.workers(side, processes, threads) as running:
            self.admin.reset()
            if shape is not None:
                self.admin.register_workflow(shape.definition(TASK_TYPE, self.body))
            cpu_before, server_before = procs.cpu_seconds(running.pids), self.server_cpu()
            tasks = self._queue(shape)
            self.wait_drained(running)
            cpu_used = procs.cpu_seconds(running.pids) - cpu_before
            server_used = self.server_cpu() - server_before
            done = [t for t in self.admin.state()["tasks"] if t.get("taskType") == TASK_TYPE]
            run = summary.drain_figures(done, tasks)
            rss = procs.rss_mb(running.pids)
        return {
            **run,
            **({"work": shape.name} if shape is not None else {}),
            "worker_cpu_ms_per_task": 1000.0 * cpu_used / tasks,
            "server_cpu_ms_per_task": 1000.0 * server_used / tasks,
            "rss_mb": sorted(rss.values()),
            "sdk": running.ready.get("sdk"),
            "startup_seconds": running.ready["startup_seconds"],
        }

    def _queue(self, shape: Shape | None) -> int:
        """Queue the work of a drain; how many worker tasks it has."""
        if shape is None:
            self.admin.enqueue(TASK_TYPE, self.settings.tasks, input=self.body)
            return int(self.settings.tasks)
        count = shape.workflows_for(self.settings.tasks)
        request = {"name": shape.workflow_name(), "version": 1, "input": {"n": 1}}
        self.admin.fake("POST", "/workflows", json={"request": request, "count": count})
        return count * shape.tasks_per_workflow

    def quiet(self, side: Side, repeat: int) -> dict[str, Any]:
        """Idle workers: their CPU over ``--idle-seconds`` with an empty queue, then the pick-up
        latency of ``--latency-samples`` tasks queued one at a time, each when the workers are
        idle again (a random pause of about ``--latency-gap-ms`` after the previous one)."""
        settings = self.settings
        with self.workers(side, *settings.reference) as running:
            time.sleep(settings.settle_seconds)  # the measuring protocol: start-up work ends
            workers, tree = running.pids, procs.process_tree(running.pid)
            self.admin.reset()
            started = time.monotonic()
            worker_cpu, tree_cpu = procs.cpu_seconds(workers), procs.cpu_seconds(tree)
            time.sleep(settings.idle_seconds)
            window = time.monotonic() - started
            worker_cpu = procs.cpu_seconds(workers) - worker_cpu
            tree_cpu = procs.cpu_seconds(tree) - tree_cpu
            polls = sum(w["polls"] for w in self.admin.stats()["workers"].values())
            self.admin.reset()
            pause = random.Random(repeat)
            for _ in range(settings.latency_samples):
                time.sleep(pause.uniform(0.5, 1.5) * settings.latency_gap_ms / 1000.0)
                self._one_task(running)
            latency = summary.latency_figures(self.admin.state()["tasks"])
            rss = procs.rss_mb(workers)
        return {
            "idle_window_seconds": round(window, 3),
            "idle_cpu_percent": 100.0 * worker_cpu / window,
            "idle_cpu_percent_all_processes": 100.0 * tree_cpu / window,
            "idle_polls_per_second": polls / window,
            "processes_in_tree": len(tree),
            **latency,
            "rss_mb": sorted(rss.values()),
            "sdk": running.ready.get("sdk"),
        }

    def _one_task(self, running: Child) -> None:
        (task_id,) = self.admin.enqueue(TASK_TYPE, 1, input=self.body)

        def completed() -> bool:
            status: str = self.admin.get_task(task_id)["status"]
            if status not in ("SCHEDULED", "IN_PROGRESS", "COMPLETED"):
                raise MeasurementError(f"task {task_id} ended {status}")
            return status == "COMPLETED"

        wait_until(completed, timeout=30, interval=0.005, message=f"task {task_id} to complete")
        running.check_alive()

    def capacity(self, target: str) -> dict[str, Any]:
        """The plain loop's requests per second over ``--capacity-seconds`` at the reference
        point, and the server's CPU meanwhile: ``target="fake"``, its loop on a long queue of
        the fake server; ``"flask"``, GET of a bare Flask route on the same HTTP server."""
        extra, url, server = [], "", None
        if target == "fake":
            self.admin.reset()
            self.admin.enqueue(TASK_TYPE, CAPACITY_QUEUE)
        else:
            if self.flask is None:
                command = [sys.executable, "-m", "harness.bench.bare_flask"]
                command += ["--wsgi", self.server.backend]
                self.flask = Child(command, self.workdir / "bare-flask.log")
            server, url, extra = self.flask, self.flask.ready["url"], ["--get"]
        child, _ = self.start(CEILING_SIDE, *self.settings.reference, *extra, url=url)
        try:
            server_before, started = self.server_cpu(server), time.monotonic()
            time.sleep(self.settings.capacity_seconds)  # the measuring window
            child.check_alive()
            server_used = self.server_cpu(server) - server_before
            window = time.monotonic() - started
        finally:
            child.stop()
            self.admin.reset()  # no queued task is left for the next run's workers to take
        done = child.line('"requests"', 5)  # printed as it stopped
        return {
            "requests_per_second": done["requests"] / done["seconds"],
            "tasks_per_second": done["tasks"] / done["seconds"],
            "server_cpu_percent": 100.0 * server_used / window,
        }

    def async_run(self, side: Side, concurrency: int) -> dict[str, Any]:
        """One process of an ``async def`` worker with up to ``concurrency`` tasks awaiting at
        once, each awaiting ``--async-task-ms``: tasks completed per second over
        ``--async-seconds`` (or until its queue is drained), from the server's timestamps."""
        settings = self.settings
        queued = concurrency * ASYNC_TASKS_PER_SLOT
        with self.workers(side, 1, concurrency, "--async") as running:
            self.admin.reset()
            cpu_before = procs.cpu_seconds(running.pids)
            self.admin.enqueue(TASK_TYPE, queued, input={"sleep_ms": settings.async_task_ms})
            started = time.monotonic()

            def done_or_timed() -> bool:
                running.check_alive()
                window_over = time.monotonic() - started >= settings.async_seconds
                return window_over or not any(self.admin.queue_sizes().values())

            wait_until(done_or_timed, timeout=settings.async_seconds + 60, interval=0.1)
            now_ms = int(time.time() * 1000)
            cpu_used = procs.cpu_seconds(running.pids) - cpu_before
            figures = summary.window_figures(self.admin.state()["tasks"], now_ms)
        self.admin.reset()
        return {
            **figures,
            "queued": queued,
            "worker_cpu_ms_per_task": 1000.0 * cpu_used / max(figures["completed"], 1),
            "sdk": running.ready.get("sdk"),
        }

    def kill(self, side: Side) -> dict[str, Any]:
        """``kill -9`` of one worker process mid-drain at the reference point: tasks with a
        600 s response timeout, each sleeping ``--kill-task-ms``, two queued per thread (so
        the queue ahead of a given-back task is short). How long until a new worker process
        runs, until every task the killed one held is back in the queue (not left in progress
        for the server's response timeout), and until each was handed out again."""
        settings = self.settings
        body = {"sleep_ms": settings.kill_task_ms}
        with self.workers(side, *settings.reference) as running:
            self.admin.reset()
            definition = {"name": TASK_TYPE, "responseTimeoutSeconds": KILL_RESPONSE_TIMEOUT}
            self.admin.register_task_defs([{**definition, "timeoutSeconds": 0}])
            slots = settings.reference[0] * settings.reference[1]
            self.admin.enqueue(TASK_TYPE, slots * KILL_TASKS_PER_THREAD, input=body)
            victim, victim_id = running.ready["workers"][0], running.ready["worker_ids"][0]

            held = wait_until(
                lambda: self._stopped_holding(running, victim, victim_id),
                timeout=30,
                message=f"{victim_id} to hold tasks",
            )
            before = set(procs.process_tree(running.pid))
            os.kill(victim, signal.SIGKILL)
            killed = time.monotonic()
            back = returned = again = None
            pending, stuck = dict(held), dict(held)
            while time.monotonic() - killed < settings.kill_wait:
                now = time.monotonic() - killed
                if back is None and set(procs.process_tree(running.pid)) - before:
                    back = now
                states = {t: self.admin.get_task(t) for t in pending}
                stuck = {t: n for t, n in stuck.items() if _in_progress_as(states.get(t), n)}
                pending = {t: n for t, n in pending.items() if not _handed_out_again(states[t], n)}
                returned = now if returned is None and not stuck else returned
                again = now if again is None and not pending else again
                if back is not None and again is not None:
                    break
                time.sleep(0.02)  # sampling period of the recovery: the figures' resolution
        self.admin.reset()
        return {
            "back_seconds": back,
            "held_tasks": len(held),
            "given_back_seconds": returned,
            "rerun_seconds": again,
            "given_back": len(held) - len(stuck),
            "still_held": len(pending),
            "wait_seconds": settings.kill_wait,
            "sdk": running.ready.get("sdk"),
        }

    def _stopped_holding(self, running: Child, pid: int, worker_id: str) -> dict[str, int] | None:
        """Stops worker process ``pid`` (SIGSTOP) mid-drain, when every task it holds was
        handed out a while ago (so it has them in hand, not an answer still on its way to it);
        those tasks (id -> poll count), or None, and the process left running, while it holds
        none. Read with the process stopped, so before its kill: its supervisor sees a death
        at once and gives the tasks back, and a read after the kill sometimes found 0 held."""
        running.check_alive()
        if not _settled(self._held_by(worker_id)):
            return None
        os.kill(pid, signal.SIGSTOP)
        try:
            held = self._held_by(worker_id)
        except BaseException:
            os.kill(pid, signal.SIGCONT)
            raise
        if not _settled(held):
            os.kill(pid, signal.SIGCONT)
            return None
        return {task_id: poll_count for task_id, (poll_count, _) in held.items()}

    def _held_by(self, worker_id: str) -> dict[str, tuple[int, int]]:
        """Task id -> (poll count, hand-out time in epoch ms) of the tasks in progress with
        ``worker_id``."""
        return {
            t["taskId"]: (int(t["pollCount"]), int(t["updateTime"]))
            for t in self.admin.state()["tasks"]
            if t["status"] == "IN_PROGRESS" and t.get("workerId") == worker_id
        }

    def soak(self, side: Side) -> dict[str, Any]:
        """Steady full load for ``--soak`` minutes: batches of ``--tasks`` tasks drained back to
        back (the server is reset between them, so its own memory stays small); each worker
        process's resident memory is sampled every ``--soak-sample-seconds``."""
        minutes, batch = self.settings.soak, self.settings.tasks
        samples: list[tuple[float, dict[int, float]]] = []
        done = 0
        with self.workers(side, *self.settings.reference) as running:
            pids, started = running.pids, time.monotonic()
            next_sample = started
            while True:
                now = time.monotonic()
                if now >= next_sample:
                    samples.append((round(now - started, 1), procs.rss_mb(pids)))
                    next_sample = now + self.settings.soak_sample_seconds
                if now >= started + minutes * 60.0:
                    break
                self.admin.reset()
                self.admin.enqueue(TASK_TYPE, batch, input=self.body)
                self.wait_drained(running)
                done += batch
            elapsed = time.monotonic() - started
        per_process = {
            str(pid): summary.flatness([(at, sizes[pid]) for at, sizes in samples if pid in sizes])
            for pid in pids
        }
        return {
            "minutes": minutes,
            "tasks": done,
            "tasks_per_second": done / elapsed,
            "samples": [
                {"seconds": at, "rss_mb": [s.get(pid) for pid in pids]} for at, s in samples
            ],
            "per_process": per_process,
            "flat": all(p["flat"] for p in per_process.values()) if per_process else None,
            "max_rss_mb": max((max(s.values()) for _, s in samples if s), default=None),
            "sdk": running.ready.get("sdk"),
        }


def _settled(held: dict[str, tuple[int, int]]) -> bool:
    """Tasks are held, each handed out at least ``KILL_SETTLE_MS`` ago."""
    now_ms = time.time() * 1000.0
    return bool(held) and all(now_ms - at >= KILL_SETTLE_MS for _, at in held.values())


def _in_progress_as(task: dict[str, Any] | None, poll_count: int) -> bool:
    """Still in progress from the hand-out to the killed process."""
    if task is None:
        return False
    return task["status"] == "IN_PROGRESS" and int(task.get("pollCount") or 0) == poll_count


def _handed_out_again(task: dict[str, Any], poll_count: int) -> bool:
    return task["status"] == "COMPLETED" or int(task.get("pollCount") or 0) > poll_count


def count_steps(settings: argparse.Namespace) -> int:
    sdks, sweep = len(sdk_sides(settings, 0)), len(points(settings))
    per_part = {"throughput": sweep * sdks, "ceiling": sweep, "latency": sdks, "capacity": 2}
    per_part |= {"async": sdks * len(settings.async_concurrency), "kill": sdks}
    per_part["workflows"] = sweep * sdks * len(settings.work)
    steps: int = settings.repeat * sum(per_part[part] for part in settings.only)
    return steps + (sdks if settings.soak else 0)


def run_suite(
    settings: argparse.Namespace, progress: Progress, log: Callable[[str], None]
) -> dict[str, Any]:
    """Runs every measurement and returns the benchmark's document (see ``summary``)."""
    records: list[dict[str, Any]] = []
    soaks: list[dict[str, Any]] = []

    def measure(
        kind: str, side: str, point: tuple[int, int], repeat: int, run: Callable[[], Any]
    ) -> dict[str, Any]:
        where = f"{kind} {side} {point[0]}x{point[1]}"
        when = (
            f"{settings.soak:g} min" if kind == "soak" else f"repeat {repeat + 1}/{settings.repeat}"
        )
        progress.step(f"{where} ({when})")
        record = {"kind": kind, "side": side, "processes": point[0], "threads": point[1]}
        record["repeat"] = repeat
        try:
            record.update(run())
        except (MeasurementError, ChildError, WaitTimeout) as error:
            record["error"] = f"{type(error).__name__}: {error}"
            log(f"{where} failed: {record['error']}")
        return record

    reference, parts = settings.reference, settings.only
    with Bench(settings) as bench:
        for repeat in range(settings.repeat):
            drainers = sdk_sides(settings, repeat) if "throughput" in parts else []
            drainers += [CEILING_SIDE] if "ceiling" in parts else []
            for point in points(settings):
                for side in drainers:
                    run = partial(bench.drain, side, *point)
                    records.append(measure("drain", side.key, point, repeat, run))
            for shape in settings.work if "workflows" in parts else []:
                for point in points(settings):
                    for side in sdk_sides(settings, repeat):
                        run = partial(bench.drain, side, *point, SHAPES[shape])
                        record = measure("workflows", side.key, point, repeat, run)
                        records.append({**record, "work": shape})
            for concurrency in settings.async_concurrency if "async" in parts else []:
                for side in sdk_sides(settings, repeat):
                    run = partial(bench.async_run, side, concurrency)
                    records.append(measure("async", side.key, (1, concurrency), repeat, run))
            for side in sdk_sides(settings, repeat) if "latency" in parts else []:
                run = partial(bench.quiet, side, repeat)
                records.append(measure("quiet", side.key, reference, repeat, run))
            for target in ("fake", "flask") if "capacity" in parts else ():
                run = partial(bench.capacity, target)
                records.append(measure("capacity", target, reference, repeat, run))
            for side in sdk_sides(settings, repeat) if "kill" in parts else []:
                run = partial(bench.kill, side)
                records.append(measure("kill", side.key, reference, repeat, run))
        for side in sdk_sides(settings, 0) if settings.soak else []:
            soaks.append(measure("soak", side.key, reference, 0, partial(bench.soak, side)))
    progress.finish()
    return summary.build_document(setup(settings, records), records, soaks)


def check_python(path: str) -> str:
    """What ``path`` runs (Python and SDK versions); a clear error when it has no SDK."""
    try:
        # Run elsewhere: from this checkout, the current folder's metadata would be found too.
        done = subprocess.run(
            [path, str(HERE / "worker_main.py"), "--describe"],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tempfile.gettempdir(),
            env=procs.clean_environment(),
        )
    except OSError as error:
        raise ValueError(f"--compare-python {path}: cannot run it: {error}") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ValueError(
            f"--compare-python {path}: this interpreter cannot import conductor.client "
            f"({last}); give the python of a venv where a Conductor worker SDK is installed, "
            "e.g. python3 -m venv /work/official-venv && "
            "/work/official-venv/bin/pip install conductor-python==2.0.0"
        )
    described = json.loads(done.stdout)
    return f"Python {described['python']}, {described['sdk']}"


def setup(settings: argparse.Namespace, records: list[dict[str, Any]]) -> dict[str, Any]:
    """What was measured, on what: everything a reader needs to judge the figures."""

    def sdk_of(key: str) -> str | None:
        return next((r["sdk"] for r in records if r["side"] == key and r.get("sdk")), None)

    sides = {s.key: {"python": s.python, "sdk": sdk_of(s.key)} for s in sdk_sides(settings, 0)}
    client = "http.client, batch poll + update-v2 chain"
    sides[CEILING] = {"python": sys.executable, "client": client}
    output_only = ("json", "plot", "report", "workdir", "no_progress", "quick", "command")
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "machine": platform.machine(),
            "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        },
        "python": platform.python_version(),
        "server": {
            "backend": settings.server_wsgi,
            "threads": settings.server_threads or DEFAULT_THREADS,
            "process": "its own (python -m fake_server), reset between runs",
        },
        "task": {**task_input(settings), "description": describe_task(task_input(settings))},
        "tasks_per_drain": settings.tasks,
        "repeat": settings.repeat,
        "points": [list(point) for point in points(settings)],
        "reference": {"processes": settings.reference[0], "threads": settings.reference[1]},
        "settings": {k: v for k, v in vars(settings).items() if k not in output_only},
        "sides": sides,
        "passed_to_workers": PASSED_TO_WORKERS,
    }
