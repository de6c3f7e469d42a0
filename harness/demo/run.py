"""Runs the order-processing demo end to end and prints what happened.

Without ``CONDUCTOR_SERVER_URL`` it starts the embedded fake server; with it, it registers the
definitions on that server and runs the same workers against it.
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

import requests

from conductor.client.automator.task_handler import TaskHandler
from conductor.client.configuration.configuration import Configuration
from harness.admin import TERMINAL_WORKFLOW_STATUSES, AdminClient, AdminError
from harness.demo import workers as demo_workers_module
from harness.demo.definitions import TASK_DEFS, TASK_TO_DOMAIN, WORKFLOW_DEF, WORKFLOW_NAME
from harness.demo.explain import explain
from harness.report import format_table

ORDERS_ITEMS = [["book", "mug"], ["lamp"], ["plant", "book", "mug"], ["mug"]]


class DemoError(Exception):
    """A problem the user can fix, said in one line instead of a traceback."""


@contextmanager
def _server(out: TextIO) -> Iterator[str]:
    """Yields the API URL: the real server named by CONDUCTOR_SERVER_URL, else a fake one."""
    url = os.environ.get("CONDUCTOR_SERVER_URL")
    if url:
        try:  # the workers' own reading of the variable, and its check
            url = Configuration().server_api_url
        except ValueError as error:
            raise DemoError(str(error)) from None
        print(f"Using the Conductor server at {url}", file=out)
        yield url
        return
    from harness.server import ServerHandle

    with ServerHandle() as server:
        print(f"Started the embedded fake Conductor server at {server.url}", file=out)
        yield server.url


def run_demo(workflows: int = 20, *, timeout: float = 120.0, out: TextIO = sys.stdout) -> int:
    """Runs the demo; returns the exit code (0 when every workflow completed)."""
    with _server(out) as url, AdminClient(url) as admin:
        _register(admin, url)
        print(f"Registered {len(TASK_DEFS)} task definitions and '{WORKFLOW_NAME}'", file=out)
        handler = TaskHandler(
            workers=demo_workers_module.demo_workers(),
            configuration=Configuration(server_api_url=url),
            import_modules=[demo_workers_module.__name__],
        )
        with handler:
            handler.start_processes()
            print("Started the workers: function, class and annotated styles", file=out)
            started = time.monotonic()
            ids = [_start_order(admin, number) for number in range(1, workflows + 1)]
            finished = _wait_with_progress(admin, ids, timeout, out)
            elapsed = time.monotonic() - started
            handler.stop_processes()
        print(file=out)
        _print_results(finished, elapsed, out)
    completed = sum(1 for wf in finished.values() if wf.get("status") == "COMPLETED")
    return 0 if completed == len(ids) else 1


def _register(admin: AdminClient, url: str) -> None:
    """Registers the definitions; the first call to the server, so it says what is wrong with
    an unreachable server or a URL that is not Conductor's API."""
    try:
        admin.register_task_defs(TASK_DEFS)
    except requests.ConnectionError as error:
        raise DemoError(
            f"cannot reach the Conductor server at {url} (CONDUCTOR_SERVER_URL): "
            f"{connection_failure(error)}. Start that server, correct the variable, or unset "
            "it to run the demo on the embedded fake server."
        ) from None
    except AdminError as error:
        if error.status != 404:
            raise
        hint = "" if url.rstrip("/").endswith("/api") else " Is '/api' missing at its end?"
        raise DemoError(
            f"{url} (CONDUCTOR_SERVER_URL) is not a Conductor API: POST {url}/metadata/taskdefs "
            f"answered 404.{hint}"
        ) from None
    admin.register_workflow(WORKFLOW_DEF)


def connection_failure(error: BaseException) -> str:
    """The operating system's words for why a connection failed ("Connection refused"), found
    under the layers of requests and urllib3; else the error's own text."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OSError) and current.strerror:
            return current.strerror
        reason = getattr(current, "reason", None)
        nested = [arg for arg in current.args if isinstance(arg, BaseException)]
        pending += [current.__cause__, current.__context__, *nested]
        if isinstance(reason, BaseException):
            pending.append(reason)
    return str(error)


def _start_order(admin: AdminClient, number: int) -> str:
    order = {"orderId": f"order-{number:03d}", "items": ORDERS_ITEMS[number % len(ORDERS_ITEMS)]}
    return admin.start_workflow(WORKFLOW_NAME, order, task_to_domain=TASK_TO_DOMAIN)


def _wait_with_progress(
    admin: AdminClient, ids: list[str], timeout: float, out: TextIO
) -> dict[str, dict[str, Any]]:
    """Polls the workflows until all have ended (or the timeout), drawing a progress bar."""
    finished: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout
    while len(finished) < len(ids) and time.monotonic() < deadline:
        for workflow_id in ids:
            if workflow_id not in finished:
                workflow = admin.get_workflow(workflow_id)
                if workflow.get("status") in TERMINAL_WORKFLOW_STATUSES:
                    finished[workflow_id] = workflow
        _draw_progress(len(finished), len(ids), out)
        if len(finished) < len(ids):
            time.sleep(0.2)  # a progress refresh, not a synchronisation
    for workflow_id in ids:
        finished.setdefault(workflow_id, admin.get_workflow(workflow_id))
    return finished


def _draw_progress(done: int, total: int, out: TextIO) -> None:
    width = 30
    filled = width * done // max(total, 1)
    line = f"Workflows [{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
    if out.isatty():
        print("\r" + line, end="", file=out, flush=True)
    elif done == total:
        print(line, file=out)


def _task_row(task: dict[str, Any]) -> tuple[str, str, str, str]:
    domain = task.get("domain") or "(none)"
    return (task.get("taskType", "?"), task.get("workerId") or "-", domain, task.get("status", "?"))


def _print_results(workflows: dict[str, dict[str, Any]], elapsed: float, out: TextIO) -> None:
    statuses = Counter(str(wf.get("status")) for wf in workflows.values())
    tasks = [task for wf in workflows.values() for task in wf.get("tasks", [])]
    per_worker = Counter(_task_row(task) for task in tasks)
    retries = sum(1 for task in tasks if task.get("retriedTaskId"))
    rows = [[*key, count] for key, count in sorted(per_worker.items())]
    print(format_table(["task", "worker", "domain", "status", "tasks"], rows), file=out)
    print(file=out)
    summary: list[list[Any]] = [
        ["workflows", len(workflows)],
        *[[f"  {status.lower()}", count] for status, count in sorted(statuses.items())],
        ["tasks executed", len(tasks)],
        ["retried tasks", retries],
        ["wall time", f"{elapsed:.2f} s"],
        [
            "throughput",
            f"{len(workflows) / elapsed:.1f} workflows/s, {len(tasks) / elapsed:.1f} tasks/s",
        ],
    ]
    print(format_table(["result", "value"], summary), file=out)
    for workflow_id, workflow in workflows.items():
        if workflow.get("status") != "COMPLETED":
            reason = workflow.get("reasonForIncompletion") or "no reason given"
            print(f"  {workflow_id}: {workflow.get('status')}: {reason}", file=out)
    print(file=out)
    print(explain(workflows.values(), sys.modules[__name__]), file=out)
