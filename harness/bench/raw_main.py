"""A plain client loop, no SDK: the one-machine ceiling and the servers' capacity.

    <python> raw_main.py --url URL --task TYPE --processes N --threads T --protocol P
                         [--client requests|http.client] [--seconds S]

Run by path, like ``worker_main.py``; it needs only ``requests`` and the standard library.
Each of N processes runs T threads, each with its own keep-alive connection (a
``requests.Session``, or with ``--client http.client`` the standard library's bare
``HTTPConnection``: the least CPU per request), in a tight loop:

- ``poll+update``: batch poll for one task, then ``POST /tasks`` with its result (two requests
  per task);
- ``update-v2``: batch poll for one task, then ``POST /tasks/update-v2``, whose answer is the
  next task (one request per task at full load: the least any client can do);
- ``get``: ``GET URL`` (a trivial route of a bare web app), nothing else.

Without ``--seconds`` it behaves like a worker: it prints a JSON ready line, long-polls (0.25 s)
while the queue is empty, and runs until its standard input closes. With ``--seconds S`` it
prints the ready line, waits for a line ``go`` on standard input, runs for S seconds, and exits.
Either way it ends by printing ``{"tasks": n, "requests": r, "seconds": s}`` (summed over
every thread).
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
from typing import Any

import requests

PROTOCOLS = ("poll+update", "update-v2", "get")
# Short, so that stopping (which waits for the poll in flight) is quick.
IDLE_LONG_POLL_MS = 250


class RequestsTransport:
    """``requests.Session``: what a plain client written with the usual library costs."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()

    def get(self, path: str, params: dict[str, Any] | None = None) -> tuple[int, bytes]:
        response = self.session.get(self.base + path, params=params, timeout=30)
        return response.status_code, response.content

    def post(self, path: str, body: dict[str, Any]) -> tuple[int, bytes]:
        response = self.session.post(self.base + path, json=body, timeout=30)
        return response.status_code, response.content


class HttpClientTransport:
    """``http.client`` on one keep-alive connection: about the least CPU a Python client
    can spend on a request, so the loop built on it is the one-machine ceiling."""

    def __init__(self, base: str) -> None:
        parts = urllib.parse.urlsplit(base)
        self.prefix = parts.path.rstrip("/")
        self.host = parts.netloc
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        self.headers = {"Host": self.host, "Accept": "application/json"}

    def _send(self, method: str, path: str, body: bytes | None) -> tuple[int, bytes]:
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = "application/json"
        self.connection.request(method, self.prefix + path, body=body, headers=headers)
        response = self.connection.getresponse()
        return response.status, response.read()

    def get(self, path: str, params: dict[str, Any] | None = None) -> tuple[int, bytes]:
        query = "?" + urllib.parse.urlencode(params) if params else ""
        return self._send("GET", path + query, None)

    def post(self, path: str, body: dict[str, Any]) -> tuple[int, bytes]:
        return self._send("POST", path, json.dumps(body).encode())


TRANSPORTS = {"requests": RequestsTransport, "http.client": HttpClientTransport}


class Loop:
    """One thread's loop; counts what it did."""

    def __init__(self, url: str, task: str, protocol: str, client: str, worker_id: str) -> None:
        self.protocol = protocol
        self.worker_id = worker_id
        self.http = TRANSPORTS[client](url)
        self.poll_path = f"/tasks/poll/batch/{task}"
        self.tasks = 0
        self.requests = 0

    def poll(self, wait_ms: int) -> dict[str, Any] | None:
        params = {"workerid": self.worker_id, "count": 1, "timeout": wait_ms}
        self.requests += 1
        status, body = self.http.get(self.poll_path, params)
        _check(status, body)
        tasks = json.loads(body)
        return tasks[0] if tasks else None

    def complete(self, task: dict[str, Any]) -> dict[str, Any] | None:
        """Reports the task COMPLETED; returns the next task when the protocol brings one."""
        result = {
            "taskId": task["taskId"],
            "workflowInstanceId": task["workflowInstanceId"],
            "workerId": self.worker_id,
            "status": "COMPLETED",
            "outputData": {"done": True},
        }
        self.requests += 1
        self.tasks += 1
        if self.protocol == "update-v2":
            status, body = self.http.post("/tasks/update-v2", result)
            _check(status, body)
            return json.loads(body) if status == 200 and body else None
        _check(*self.http.post("/tasks", result))
        return None

    def run(self, running: Any, wait_ms: int) -> None:
        if self.protocol == "get":
            while running():
                self.requests += 1
                _check(*self.http.get(""))
            return
        task = None
        while running():
            if task is None:
                task = self.poll(wait_ms)
                if task is None:
                    continue
            task = self.complete(task)


def _check(status: int, body: bytes) -> None:
    if status >= 400:
        raise RuntimeError(f"the server answered {status}: {body[:300]!r}")


def run_process(args: argparse.Namespace, index: int, go: Any, stop: Any, results: Any) -> None:
    loops = [
        Loop(args.url, args.task, args.protocol, args.client, f"{args.id_prefix}-{index + 1}")
        for _ in range(args.threads)
    ]
    if args.seconds:
        go.wait()
        deadline = time.monotonic() + args.seconds

        def running() -> bool:
            return time.monotonic() < deadline

        wait_ms = 0
    else:

        def running() -> bool:
            return not stop.is_set()

        wait_ms = IDLE_LONG_POLL_MS
    threads = [
        threading.Thread(target=loop.run, args=(running, wait_ms), daemon=True) for loop in loops
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put((sum(loop.tasks for loop in loops), sum(loop.requests for loop in loops)))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="API base (or, for get, the URL to get)")
    parser.add_argument("--task", default="bench", help="task type")
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--protocol", choices=PROTOCOLS, default="update-v2")
    parser.add_argument("--client", choices=sorted(TRANSPORTS), default="requests")
    parser.add_argument("--seconds", type=float, default=0.0, help="run this long after 'go'")
    parser.add_argument("--id-prefix", default="raw", help="worker ids are PREFIX-1..N")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    go = multiprocessing.Event()
    stop = multiprocessing.Event()
    results: Any = multiprocessing.Queue()
    processes = [
        multiprocessing.Process(target=run_process, args=(args, index, go, stop, results))
        for index in range(args.processes)
    ]
    for process in processes:
        process.start()
    ready = {"ready": True, "pid": os.getpid(), "workers": [p.pid for p in processes]}
    print(json.dumps(ready), flush=True)
    started = time.monotonic()
    if args.seconds:
        sys.stdin.readline()  # "go"
        go.set()
        started = time.monotonic()
    else:
        sys.stdin.read()  # until the benchmark closes our stdin
        stop.set()
    totals = [results.get() for _ in processes]
    seconds = args.seconds or time.monotonic() - started
    for process in processes:
        process.join()
    tasks = sum(t for t, _ in totals)
    done = {"tasks": tasks, "requests": sum(r for _, r in totals), "seconds": seconds}
    print(json.dumps(done), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
