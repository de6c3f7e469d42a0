"""The plain client loop, no SDK: the one-machine ceiling, and the load of the capacity runs.

    <python> raw_main.py --url URL --task TYPE --processes N --threads T [--get] [--seconds S]

Run by path, like ``worker_main.py``; it needs only the standard library. Each of N processes
runs T threads, each with one keep-alive ``http.client`` connection (about the least CPU a
Python client can spend on a request), in a tight loop: a batch poll for one task, then
``POST /tasks/update-v2`` with its result, whose answer is the next task (one request per task
at full load: the least any client can do). With ``--get`` it only sends ``GET URL`` (the
bare Flask route of the capacity runs).

Without ``--seconds`` it behaves like a worker: it prints a JSON ready line, long-polls
(0.25 s) while the queue is empty, and runs until its standard input closes. With ``--seconds
S`` it prints the ready line, waits for a line ``go`` on standard input, runs for S seconds
and exits. Either way it ends by printing ``{"tasks": n, "requests": r, "seconds": s}``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

IDLE_LONG_POLL_MS = 250  # short, so that stopping (which waits for the poll in flight) is quick


class Loop:
    """One thread's connection and counts."""

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

    def run(self, running: Callable[[], bool], wait_ms: int, get_only: bool) -> None:
        query = urllib.parse.urlencode({"workerid": self.worker_id, "count": 1, "timeout": wait_ms})
        task = None
        while running():
            if get_only:
                self.call("GET", "")
            elif task is None:
                tasks = self.call("GET", f"/tasks/poll/batch/{self.task}?{query}")
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


def run_process(args: argparse.Namespace, index: int, go: Any, stop: Any, results: Any) -> None:
    worker_id = f"{args.id_prefix}-{index + 1}"
    loops = [Loop(args.url, args.task, worker_id) for _ in range(args.threads)]
    if args.seconds:
        go.wait()
        deadline = time.monotonic() + args.seconds
        running, wait_ms = (lambda: time.monotonic() < deadline), 0
    else:
        running, wait_ms = (lambda: not stop.is_set()), IDLE_LONG_POLL_MS
    threads = [
        threading.Thread(target=loop.run, args=(running, wait_ms, args.get), daemon=True)
        for loop in loops
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put((sum(loop.tasks for loop in loops), sum(loop.requests for loop in loops)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="API base (with --get: the URL to get)")
    parser.add_argument("--task", default="bench", help="task type")
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--get", action="store_true", help="only GET the URL")
    parser.add_argument("--seconds", type=float, default=0.0, help="run this long after 'go'")
    parser.add_argument("--id-prefix", default="raw", help="worker ids are PREFIX-1..N")
    args = parser.parse_args(argv)
    go, stop = multiprocessing.Event(), multiprocessing.Event()
    results: multiprocessing.Queue[tuple[int, int]] = multiprocessing.Queue()
    processes = [
        multiprocessing.Process(target=run_process, args=(args, index, go, stop, results))
        for index in range(args.processes)
    ]
    for process in processes:
        process.start()
    ready = {"ready": True, "pid": os.getpid(), "workers": [p.pid for p in processes]}
    print(json.dumps(ready), flush=True)
    if args.seconds:
        sys.stdin.readline()  # "go"
        go.set()
    started = time.monotonic()
    if not args.seconds:
        sys.stdin.read()  # until the benchmark closes our standard input
        stop.set()
    totals = [results.get() for _ in processes]
    for process in processes:
        process.join()
    seconds = args.seconds or time.monotonic() - started
    done = {"tasks": sum(t for t, _ in totals), "requests": sum(r for _, r in totals)}
    print(json.dumps({**done, "seconds": seconds}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
