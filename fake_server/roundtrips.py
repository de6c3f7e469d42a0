"""Measure task round trips per second against the fake server, per WSGI backend.

    python -m fake_server.roundtrips --wsgi waitress werkzeug --clients 1 4 --seconds 5

For each backend, a server runs in its own process (``python -m fake_server --port 0``) with a
queue of ready tasks. Each client is a process with a plain ``requests.Session`` that, in a loop,
takes one task and completes it: ``poll+update`` = a batch poll (count 1, no wait) and then
``POST /tasks`` (two requests per task); ``update-v2`` = ``POST /tasks/update-v2``, whose answer
is the next task (one request per task). The figures are tasks completed per second and the
server process's CPU time per task (Linux: from /proc), the medians of ``--repeat`` runs.
Backends are measured side by side in one run: compare their ratio, the absolute numbers depend
on the (shared) machine.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence

import requests

from fake_server.wsgi import BACKENDS

TASK_TYPE = "roundtrip"
MODES = ("poll+update", "update-v2")


def run_client(url: str, mode: str, seconds: float, worker_id: str) -> int:
    """Complete tasks for ``seconds``; returns how many."""
    session = requests.Session()
    poll_url = f"{url}/tasks/poll/batch/{TASK_TYPE}"
    params = {"workerid": worker_id, "count": 1, "timeout": 0}
    done = 0
    task = None
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        if task is None:
            tasks = session.get(poll_url, params=params).json()
            if not tasks:
                continue
            task = tasks[0]
        result = {
            "taskId": task["taskId"],
            "workflowInstanceId": task["workflowInstanceId"],
            "workerId": worker_id,
            "status": "COMPLETED",
            "outputData": {"ok": True},
        }
        if mode == "update-v2":
            response = session.post(f"{url}/tasks/update-v2", json=result)
            task = response.json() if response.status_code == 200 else None
        else:
            session.post(f"{url}/tasks", json=result).raise_for_status()
            task = None
        done += 1
    return done


def start_server(backend: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "fake_server", "--port", "0", "--wsgi", backend],
        stdout=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline() if process.stdout else ""
    if "http://" not in line:
        process.kill()
        raise RuntimeError(f"the {backend} server did not start: {line!r}")
    return process, line.strip().rsplit(" ", 1)[-1]


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux only; None elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    backend: str, clients: int, mode: str, seconds: float, tasks: int
) -> tuple[float, float | None]:
    """Tasks per second, and the server's CPU milliseconds per task (None if unknown)."""
    process, url = start_server(backend)
    try:
        root = url.removesuffix("/api")
        requests.post(
            f"{root}/fake/tasks", json={"taskType": TASK_TYPE, "count": tasks}
        ).raise_for_status()
        context = multiprocessing.get_context("spawn")
        with context.Pool(clients) as pool:
            args = [(url, mode, seconds, f"client-{i}") for i in range(clients)]
            pool.apply(run_client, (url, mode, 0.2, "warm-up"))  # the pool's imports, off the clock
            cpu_before = cpu_seconds(process.pid)
            done = sum(pool.starmap(run_client, args))
            cpu_after = cpu_seconds(process.pid)
        cpu_ms = None
        if cpu_before is not None and cpu_after is not None and done:
            cpu_ms = (cpu_after - cpu_before) * 1000 / done
        return done / seconds, cpu_ms
    finally:
        process.terminate()
        process.wait(timeout=10)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fake_server.roundtrips", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--wsgi", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    parser.add_argument("--clients", nargs="+", type=int, default=[1, 4])
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--seconds", type=float, default=5.0, help="per run (default: %(default)s)")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per figure (default: %(default)s)"
    )
    parser.add_argument(
        "--tasks", type=int, default=100_000, help="queued tasks (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    print(
        f"python {sys.version.split()[0]}, {multiprocessing.cpu_count()} cores, "
        f"{args.seconds:g} s per run, median of {args.repeat}"
    )
    for mode in args.modes:
        for clients in args.clients:
            for backend in args.wsgi:
                runs = [
                    measure(backend, clients, mode, args.seconds, args.tasks)
                    for _ in range(args.repeat)
                ]
                rates = [rate for rate, _ in runs]
                costs = [cost for _, cost in runs if cost is not None]
                cpu = f"{statistics.median(costs):6.3f} ms" if costs else "   n/a   "
                shown = ", ".join(f"{rate:.0f}" for rate in rates)
                print(
                    f"{mode:12} clients={clients} {backend:9} "
                    f"{statistics.median(rates):8.0f} tasks/s  server CPU {cpu}/task  "
                    f"(runs: {shown})",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
