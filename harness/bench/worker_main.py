"""The worker side of every benchmark run: N worker processes x T threads of one task type.

    <python> worker_main.py --url URL --task TYPE --processes N --threads T [--id-prefix P]
    <python> worker_main.py --plain --url URL --task TYPE --processes N --threads T [--get]
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

``--plain`` runs the plain client loop instead, no SDK (the ceiling, and the load of the
capacity runs): each of the N processes runs T threads, each with one keep-alive
``http.client`` connection (about the least CPU a Python client can spend on a request), in a
tight loop: a batch poll for one task, then ``POST /tasks/update-v2`` with its result, whose
answer is the next task (one request per task at full load: the least any client can do); a
short long poll while the queue is empty. With ``--get`` it only sends ``GET URL`` (the bare
Flask route of the capacity runs). When it stops it prints ``{"tasks", "requests",
"seconds"}``: what its loops did, and how long they ran (averaged over its processes).
"""

# No ``from __future__ import annotations``: conductor-python 2.0.0's async runner converts
# inputs to their annotations and needs real types there, not text.
import argparse
import asyncio
import http.client
import importlib.metadata
import json
import multiprocessing
import os
import platform
import signal
import sys
import threading
import time
import urllib.parse
from typing import Any

PLAIN_LONG_POLL_MS = 250  # short, so that stopping (which waits for the poll in flight) is quick


def bench_task(sleep_ms: float = 0.0, cpu_ms: float = 0.0) -> dict[str, bool]:
    """The benchmark's task: optionally sleep, optionally spin, then report done."""
    if sleep_ms:
        time.sleep(sleep_ms / 1000.0)
    return spin(cpu_ms)


async def bench_task_async(sleep_ms: float = 0.0, cpu_ms: float = 0.0) -> dict[str, bool]:
    """The benchmark's task for async workers: optionally await, optionally spin."""
    if sleep_ms:
        await asyncio.sleep(sleep_ms / 1000.0)
    return spin(cpu_ms)


def spin(cpu_ms: float) -> dict[str, bool]:
    """Keeps this thread's CPU busy for ``cpu_ms``; the task's output."""
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


def worker_pids(handler: Any) -> list[int]:
    """The pids of the worker processes (the attribute's name differs between SDKs)."""
    for attribute in ("processes", "task_runner_processes"):
        processes = getattr(handler, attribute, None)
        if processes:
            return [process.pid for process in processes if process.pid]
    return []


def run_sdk(args: argparse.Namespace, described: dict[str, str]) -> None:
    function = bench_task_async if args.use_async else bench_task
    serve_until_stopped(function, args, described)


def serve_until_stopped(function: Any, args: argparse.Namespace, described: dict[str, str]) -> None:
    """Runs ``function`` for ``args.task`` in ``args.processes`` worker processes x
    ``args.threads`` threads (worker ids ``args.id_prefix``-1..N), prints the ready line, and
    stops them when standard input closes or a signal comes."""
    from conductor.client.automator.task_handler import TaskHandler
    from conductor.client.configuration.configuration import Configuration
    from conductor.client.worker.worker import Worker

    workers = [
        Worker(
            task_definition_name=args.task,
            execute_function=function,
            worker_id=f"{args.id_prefix}-{index + 1}",
            thread_count=args.threads,
        )
        for index in range(args.processes)
    ]
    handler = TaskHandler(workers=workers, configuration=Configuration(server_api_url=args.url))
    stop = stop_on_signals()
    handler.start_processes()
    try:
        ready = {"ready": True, "pid": os.getpid(), "workers": worker_pids(handler)}
        wait_for_stop(stop, {**ready, **described})
    finally:
        handler.stop_processes()
    print(json.dumps({"stopped": True}), flush=True)


class PlainLoop:
    """One thread of the plain loop: its connection and counts."""

    def __init__(self, url: str, task: str, worker_id: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self.connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
        self.path, self.task, self.worker_id = parts.path.rstrip("/"), task, worker_id
        self.tasks = self.requests = 0

    def call(self, method: str, path: str, body: Any = None) -> Any:
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(body).encode()
        self.requests += 1
        self.connection.request(method, self.path + path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        if response.status >= 400:
            raise RuntimeError(f"the server answered {response.status}: {data[:300]!r}")
        return json.loads(data) if data and response.status == 200 and path else None

    def run(self, stop: Any, get_only: bool) -> None:
        query = {"workerid": self.worker_id, "count": 1, "timeout": PLAIN_LONG_POLL_MS}
        poll = f"/tasks/poll/batch/{self.task}?{urllib.parse.urlencode(query)}"
        task = None
        while not stop.is_set():
            if get_only:
                self.call("GET", "")
            elif task is None:
                tasks = self.call("GET", poll)
                task = tasks[0] if tasks else None
            else:
                result = {
                    "taskId": task["taskId"],
                    "workflowInstanceId": task["workflowInstanceId"],
                    "workerId": self.worker_id,
                    "status": "COMPLETED",
                    "outputData": {"done": True},
                }
                self.tasks += 1
                task = self.call("POST", "/tasks/update-v2", result)


def plain_process(args: argparse.Namespace, index: int, stop: Any, results: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches us too: the parent stops us
    loops = [
        PlainLoop(args.url, args.task, f"{args.id_prefix}-{index + 1}") for _ in range(args.threads)
    ]
    threads = [threading.Thread(target=loop.run, args=(stop, args.get)) for loop in loops]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tasks, requests = sum(loop.tasks for loop in loops), sum(loop.requests for loop in loops)
    results.put((tasks, requests, time.monotonic() - started))


def run_plain(args: argparse.Namespace) -> None:
    stop = multiprocessing.Event()
    results: multiprocessing.Queue[tuple[int, int, float]] = multiprocessing.Queue()
    processes = [
        multiprocessing.Process(target=plain_process, args=(args, index, stop, results))
        for index in range(args.processes)
    ]
    for process in processes:
        process.start()
    ready = {"ready": True, "pid": os.getpid(), "workers": [p.pid for p in processes]}
    try:
        wait_for_stop(stop_on_signals(), ready)
    finally:
        stop.set()
    totals = [results.get() for _ in processes]
    for process in processes:
        process.join()
    done = {"tasks": sum(t[0] for t in totals), "requests": sum(t[1] for t in totals)}
    print(json.dumps({**done, "seconds": sum(t[2] for t in totals) / len(totals)}), flush=True)


def stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return stop


def wait_for_stop(stop: threading.Event, ready: dict[str, Any]) -> None:
    """Prints the ready line, then returns once standard input closes (the benchmark closes it
    to stop us; a dead benchmark closes it too) or ``stop`` is set."""
    print(json.dumps(ready), flush=True)
    threading.Thread(target=_stop_at_eof, args=(stop,), daemon=True).start()
    stop.wait()


def _stop_at_eof(stop: threading.Event) -> None:
    # The descriptor, not sys.stdin: a worker process restarted after a kill is forked while
    # this thread waits, and multiprocessing closes sys.stdin in it, which must not be locked.
    while os.read(0, 4096):
        pass
    stop.set()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="the server's API base, ending in /api (--get: the URL)")
    parser.add_argument("--task", help="the task type to poll for")
    parser.add_argument("--processes", type=int, default=1, help="worker processes")
    parser.add_argument("--threads", type=int, default=1, help="thread_count of each worker")
    parser.add_argument("--id-prefix", default="bench", help="worker ids are PREFIX-1..N")
    parser.add_argument("--async", dest="use_async", action="store_true", help="async def task")
    parser.add_argument("--plain", action="store_true", help="the plain client loop, no SDK")
    parser.add_argument("--get", action="store_true", help="plain loop: only GET the URL")
    parser.add_argument("--describe", action="store_true", help="print the SDK, and exit")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.plain:
        run_plain(args)
        return 0
    described = {"sdk": sdk_description(), "python": platform.python_version()}
    if args.describe:
        print(json.dumps(described), flush=True)
    else:
        run_sdk(args, described)
    return 0


if __name__ == "__main__":
    sys.exit(main())
