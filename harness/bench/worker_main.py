"""The worker side of every benchmark run: N worker processes x T threads of one task type.

    <python> worker_main.py --url URL --task TYPE --processes N --threads T [--id-prefix P]
    <python> worker_main.py --describe

Run *by path* with any interpreter whose environment has a Conductor worker SDK (this
project's, or another one with the same import paths), so it imports only ``conductor.client``
and the standard library. It makes N ``Worker`` objects (one process each) for one task
function, with ``thread_count=T`` and a distinct ``worker_id`` per process (so the server can
tell when every process polls), and passes nothing else: every other setting is the SDK's own
default. It starts them, prints one JSON line (``{"ready": true, "pid", "workers": [pids],
"sdk": "name version", "python"}``), and runs until its standard input closes (or SIGTERM or
SIGINT). ``--describe`` prints only ``{"sdk", "python"}``.

The task takes its body from its input: ``sleep_ms`` (wait, like I/O) and ``cpu_ms`` (keep
the CPU busy); with neither it returns at once (the trivial task). With ``--async`` the task
function is ``async def`` and awaits ``asyncio.sleep`` instead (an async worker).
"""

# No ``from __future__ import annotations``: conductor-python 2.0.0's async runner converts
# inputs to their annotations and needs real types there, not text.
import argparse
import asyncio
import importlib.metadata
import json
import os
import platform
import signal
import sys
import threading
import time

from conductor.client.automator.task_handler import TaskHandler
from conductor.client.configuration.configuration import Configuration
from conductor.client.worker.worker import Worker


def bench_task(sleep_ms: float = 0.0, cpu_ms: float = 0.0) -> dict[str, bool]:
    """The benchmark's task: optionally sleep, optionally spin, then report done."""
    if sleep_ms:
        time.sleep(sleep_ms / 1000.0)
    if cpu_ms:
        until = time.thread_time() + cpu_ms / 1000.0
        while time.thread_time() < until:
            pass
    return {"done": True}


async def bench_task_async(sleep_ms: float = 0.0, cpu_ms: float = 0.0) -> dict[str, bool]:
    """The benchmark's task for async workers: optionally await, optionally spin."""
    if sleep_ms:
        await asyncio.sleep(sleep_ms / 1000.0)
    if cpu_ms:
        until = time.thread_time() + cpu_ms / 1000.0
        while time.thread_time() < until:
            pass
    return {"done": True}


def sdk_description() -> str:
    """``distribution version`` of the package that provides ``conductor.client`` here."""
    names = importlib.metadata.packages_distributions().get("conductor", [])
    for name in names:
        try:
            return f"{name} {importlib.metadata.version(name)}"
        except importlib.metadata.PackageNotFoundError:
            continue
    return "conductor (unknown distribution)"


def worker_pids(handler: TaskHandler) -> list[int]:
    """The pids of the worker processes (the attribute's name differs between SDKs)."""
    for attribute in ("processes", "task_runner_processes"):
        processes = getattr(handler, attribute, None)
        if processes:
            return [process.pid for process in processes if process.pid]
    return []


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="the server's API base, ending in /api")
    parser.add_argument("--task", help="the task type to poll for")
    parser.add_argument("--processes", type=int, default=1, help="worker processes")
    parser.add_argument("--threads", type=int, default=1, help="thread_count of each worker")
    parser.add_argument("--id-prefix", default="bench", help="worker ids are PREFIX-1..N")
    parser.add_argument("--async", dest="use_async", action="store_true", help="async def task")
    parser.add_argument("--describe", action="store_true", help="print the SDK, and exit")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    described = {"sdk": sdk_description(), "python": platform.python_version()}
    if args.describe:
        print(json.dumps(described), flush=True)
        return 0
    workers = [
        Worker(
            task_definition_name=args.task,
            execute_function=bench_task_async if args.use_async else bench_task,
            worker_id=f"{args.id_prefix}-{index + 1}",
            thread_count=args.threads,
        )
        for index in range(args.processes)
    ]
    handler = TaskHandler(workers=workers, configuration=Configuration(server_api_url=args.url))
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    handler.start_processes()
    try:
        ready = {"ready": True, "pid": os.getpid(), "workers": worker_pids(handler)}
        print(json.dumps({**ready, **described}), flush=True)
        # The benchmark closes our stdin to stop us; a dead benchmark closes it too.
        threading.Thread(target=_stop_at_eof, args=(stop,), daemon=True).start()
        stop.wait()
    finally:
        handler.stop_processes()
    print(json.dumps({"stopped": True}), flush=True)
    return 0


def _stop_at_eof(stop: threading.Event) -> None:
    sys.stdin.read()
    stop.set()


if __name__ == "__main__":
    sys.exit(main())
