"""The whole benchmark: which runs, in which order, and the document of their results.

For each repeat, every sweep point is drained by each SDK in turn (the order alternates from
one repeat to the next, so a drift of the shared machine's load hits both alike) and by the
plain client loop; then, at the reference point, each SDK's idle cost and pick-up latency are
measured, and the servers' capacity. All runs share one fake server (its own process), reset
between runs. A failed run is recorded with its error and left out of the medians.
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from fake_server.wsgi import CLI_BACKEND, DEFAULT_THREADS
from harness.bench import runs, summary
from harness.bench.figures import MeasurementError
from harness.bench.procs import ChildError, clean_environment
from harness.bench.progress import Progress
from harness.bench.summary import OTHER, OURS, RAW_MIN, RAW_POLL_UPDATE, RAW_V2
from harness.waiting import WaitTimeout

# What can be measured; --only picks some (the soak is asked for with --soak).
PARTS = ("throughput", "ceiling", "latency", "capacity")
PASSED_TO_WORKERS = (
    "Worker(task_definition_name, execute_function, worker_id=<distinct per process>, "
    "thread_count=T) and TaskHandler(workers=..., configuration=Configuration("
    "server_api_url=URL)); every other setting is the SDK's default"
)


@dataclass
class BenchConfig:
    processes: list[int] = field(default_factory=lambda: [1, 2, 4])
    threads: list[int] = field(default_factory=lambda: [10])
    reference: tuple[int, int] = (4, 10)
    tasks: int = 6000
    body: runs.TaskBody = field(default_factory=runs.TaskBody)
    repeat: int = 3
    compare_python: str | None = None
    latency_samples: int = 100
    latency_gap_ms: float = 50.0
    idle_seconds: float = 5.0
    settle_seconds: float = runs.SETTLE_SECONDS
    capacity_seconds: float = 3.0
    soak_minutes: float | None = None
    soak_sample_seconds: float = 10.0
    drain_timeout: float = 600.0
    server_threads: int | None = None
    server_wsgi: str = CLI_BACKEND
    workdir: Path | None = None
    parts: tuple[str, ...] = PARTS

    def points(self) -> list[tuple[int, int]]:
        """The sweep (every processes x threads), with the reference point in it."""
        points = [(p, t) for t in self.threads for p in self.processes]
        if self.reference not in points:
            points.append(self.reference)
        return sorted(points, key=lambda point: (point[1], point[0]))


@dataclass
class Sides:
    ours: runs.WorkerSide
    other: runs.WorkerSide | None
    raw_min: runs.WorkerSide
    raw_v2: runs.WorkerSide
    raw_poll_update: runs.WorkerSide

    @classmethod
    def for_config(cls, config: BenchConfig) -> Sides:
        return cls(
            ours=runs.WorkerSide(OURS, sys.executable),
            other=runs.WorkerSide(OTHER, config.compare_python) if config.compare_python else None,
            raw_min=runs.WorkerSide(RAW_MIN, sys.executable, "update-v2", "http.client"),
            raw_v2=runs.WorkerSide(RAW_V2, sys.executable, "update-v2"),
            raw_poll_update=runs.WorkerSide(RAW_POLL_UPDATE, sys.executable, "poll+update"),
        )

    def sdks(self, repeat: int) -> list[runs.WorkerSide]:
        sides = [self.ours] + ([self.other] if self.other else [])
        return sides if repeat % 2 == 0 else sides[::-1]


def check_python(path: str) -> str:
    """The version of the SDK that ``path`` can import; a clear error when it cannot."""
    probe = (
        "import importlib.metadata as m, platform; "
        "import conductor.client.automator.task_handler, conductor.client.worker.worker; "
        "names = m.packages_distributions().get('conductor', []); "
        "print(platform.python_version(), *[n + ' ' + m.version(n) for n in names[:1]])"
    )
    try:
        # Run elsewhere: from this checkout, the current folder's metadata would be found too.
        done = subprocess.run(
            [path, "-c", probe],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tempfile.gettempdir(),
            env=clean_environment(),
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
    return done.stdout.strip()


def count_steps(config: BenchConfig) -> int:
    sdk_count = 2 if config.compare_python else 1
    points = len(config.points())
    per_repeat = {
        "throughput": points * sdk_count,
        "ceiling": points + 2,
        "latency": sdk_count,
        "capacity": 2,
    }
    steps = sum(per_repeat[part] for part in config.parts)
    return config.repeat * steps + (sdk_count if config.soak_minutes else 0)


def run_suite(
    config: BenchConfig, *, progress: Progress | None = None, log: Callable[[str], None] = print
) -> dict[str, Any]:
    """Runs every measurement and returns the benchmark's document (see ``summary``)."""
    sides = Sides.for_config(config)
    progress = progress or Progress(count_steps(config), enabled=False)
    records: list[dict[str, Any]] = []
    soaks: list[dict[str, Any]] = []
    reference_p, reference_t = config.reference

    def measure(
        kind: str, side: str, p: int, t: int, repeat: int, run: Callable[[], dict[str, Any]]
    ) -> None:
        progress.step(f"{kind} {side} {p}x{t} (repeat {repeat + 1}/{config.repeat})")
        record = {"kind": kind, "side": side, "processes": p, "threads": t, "repeat": repeat}
        try:
            record.update(run())
        except (MeasurementError, ChildError, WaitTimeout) as error:
            record["error"] = f"{type(error).__name__}: {error}"
            log(f"{kind} {side} {p}x{t} failed: {record['error']}")
        records.append(record)
        progress.advance()

    def drain(side: runs.WorkerSide, p: int, t: int) -> Callable[[], dict[str, Any]]:
        return lambda: runs.drain_run(context, side, p, t, config.tasks, config.body)

    def quiet(side: runs.WorkerSide, repeat: int) -> Callable[[], dict[str, Any]]:
        return lambda: runs.quiet_run(
            context,
            side,
            reference_p,
            reference_t,
            idle_seconds=config.idle_seconds,
            latency_samples=config.latency_samples,
            gap_ms=config.latency_gap_ms,
            body=config.body,
            seed=repeat,
            settle_seconds=config.settle_seconds,
        )

    def capacity(target: str) -> Callable[[], dict[str, Any]]:
        return lambda: runs.capacity_run(
            context, target, reference_p, reference_t, config.capacity_seconds
        )

    with runs.BenchContext(
        config.workdir,
        drain_timeout=config.drain_timeout,
        server_threads=config.server_threads,
        server_wsgi=config.server_wsgi,
    ) as context:
        for repeat in range(config.repeat):
            throughput = sides.sdks(repeat) if "throughput" in config.parts else []
            ceiling = [sides.raw_min] if "ceiling" in config.parts else []
            for p, t in config.points():
                for side in throughput + ceiling:
                    measure("drain", side.key, p, t, repeat, drain(side, p, t))
            if ceiling:
                for side in (sides.raw_v2, sides.raw_poll_update):
                    run = drain(side, reference_p, reference_t)
                    measure("drain", side.key, reference_p, reference_t, repeat, run)
            if "latency" in config.parts:
                for side in sides.sdks(repeat):
                    run = quiet(side, repeat)
                    measure("quiet", side.key, reference_p, reference_t, repeat, run)
            if "capacity" in config.parts:
                for target in ("fake", "flask"):
                    run = capacity(target)
                    measure("capacity", target, reference_p, reference_t, repeat, run)
        if config.soak_minutes:
            for side in sides.sdks(0):
                soaks.append(_soak(context, config, side, progress, log))
    progress.finish()
    return summary.build_document(setup(config, sides, records), records, soaks)


def _soak(
    context: runs.BenchContext,
    config: BenchConfig,
    side: runs.WorkerSide,
    progress: Progress,
    log: Callable[[str], None],
) -> dict[str, Any]:
    p, t = config.reference
    minutes = config.soak_minutes or 0.0
    progress.step(f"soak {side.key} {p}x{t} ({minutes:g} min)")
    try:
        soak = runs.soak_run(
            context,
            side,
            p,
            t,
            minutes=minutes,
            batch=config.tasks,
            sample_seconds=config.soak_sample_seconds,
            body=config.body,
        )
    except (MeasurementError, ChildError, WaitTimeout) as error:
        soak = {"error": f"{type(error).__name__}: {error}"}
        log(f"soak {side.key} failed: {soak['error']}")
    progress.advance()
    return {"side": side.key, "processes": p, "threads": t, **soak}


def setup(config: BenchConfig, sides: Sides, records: list[dict[str, Any]]) -> dict[str, Any]:
    """What was measured, on what: everything a reader needs to judge the figures."""

    def sdk_of(key: str) -> str | None:
        return next((r["sdk"] for r in records if r["side"] == key and r.get("sdk")), None)

    side_info = {
        OURS: {"python": sides.ours.python, "sdk": sdk_of(OURS)},
        RAW_MIN: {"python": sys.executable, "client": "http.client, batch poll + update-v2 chain"},
        RAW_V2: {"python": sys.executable, "client": "requests, batch poll + update-v2 chain"},
        RAW_POLL_UPDATE: {"python": sys.executable, "client": "requests, batch poll + POST /tasks"},
    }
    if sides.other:
        side_info[OTHER] = {"python": sides.other.python, "sdk": sdk_of(OTHER)}
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
            "backend": config.server_wsgi,
            "threads": config.server_threads or DEFAULT_THREADS,
            "process": "its own (python -m fake_server), reset between runs",
        },
        "task": {**asdict(config.body), "description": config.body.describe()},
        "tasks_per_drain": config.tasks,
        "repeat": config.repeat,
        "points": [list(point) for point in config.points()],
        "reference": {"processes": config.reference[0], "threads": config.reference[1]},
        "latency": {"samples": config.latency_samples, "gap_ms": config.latency_gap_ms},
        "idle_seconds": config.idle_seconds,
        "settle_seconds": config.settle_seconds,
        "capacity_seconds": config.capacity_seconds,
        "soak_minutes": config.soak_minutes,
        "parts": list(config.parts),
        "sides": side_info,
        "passed_to_workers": PASSED_TO_WORKERS,
    }
