"""What the demo showed, in words, from what really happened in the run.

Each statement is built from the finished workflows (who ran which task, in which domain, which
attempts failed), so the explanation stays true when the demo or the SDK changes.
"""

from __future__ import annotations

import inspect
import os
import sys
import textwrap
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from harness.demo import definitions, workers
from harness.report import format_table


@dataclass(frozen=True)
class WorkerStyle:
    style: str
    task_type: str
    code: Callable[..., Any] | type
    how: str


STYLES = [
    WorkerStyle("function", "demo_validate_order", workers.validate_order, "Worker(...) function"),
    WorkerStyle("class", "demo_charge_payment", workers.ChargePaymentWorker, "WorkerInterface"),
    WorkerStyle(
        "annotation",
        "demo_reserve_inventory",
        workers.reserve_inventory,
        "@WorkerTask, found by import_modules",
    ),
    WorkerStyle("function", "demo_ship_order", workers.ship_order, "Worker(...) function"),
]

CHARGE = "demo_charge_payment"
SHIP = "demo_ship_order"


def explain(workflows: Iterable[dict[str, Any]], run_module: Any) -> str:
    """The demo's closing text: what it showed, where the code is, what to run next
    (``run_module``: the module that ran the demo, shown as "this run")."""
    tasks = [task for workflow in workflows for task in workflow.get("tasks", [])]
    sections = [
        "What the demo showed",
        _styles(),
        _domain(tasks),
        _failure_and_retry(tasks),
        _instances(tasks),
        "",
        "Where the code is",
        _indent(
            format_table(
                ["file", "what"],
                [
                    [where(workers), "the workers, one per style"],
                    [where(definitions), "task definitions (retries), workflow, taskToDomain"],
                    [where(run_module), "this run: server, workers, workflows, this text"],
                ],
            )
        ),
        "",
        "What to run next",
        _indent(
            format_table(
                ["command", "what"],
                [
                    [f"{_python()} -m harness demo --workflows 200", "the same, more workflows"],
                    ["make serve", "a fake server of your own at http://127.0.0.1:8080/api"],
                    ["", "and its console: open http://127.0.0.1:8080/ to watch runs"],
                    ["examples/README.md", "the guide's examples, one folder each"],
                    ["README.md, 'Testing your workers'", "test your workers with pytest"],
                ],
            )
        ),
    ]
    return "\n".join(sections)


def where(code: Any) -> str:
    """``path:line`` of a module, class or function, relative to the working directory when
    it lies below it (a clone of this repository), else absolute (an installed package). A
    decorated function is shown where it is written, not where its decorator's wrapper is."""
    code = inspect.unwrap(code) if callable(code) else code
    path = inspect.getsourcefile(code) or "?"
    relative = os.path.relpath(path)
    shown = path if relative.startswith("..") else relative
    if inspect.ismodule(code):
        return shown
    return f"{shown}:{inspect.getsourcelines(code)[1]}"


def _styles() -> str:
    rows = [[s.style, s.task_type, s.how, where(s.code)] for s in STYLES]
    table = format_table(["style", "task", "written as", "code"], rows)
    return "- Three worker styles, each in its own process:\n" + _indent(table, 4)


def _domain(tasks: list[dict[str, Any]]) -> str:
    [(task_type, domain)] = definitions.TASK_TO_DOMAIN.items()
    routed = [t for t in tasks if t.get("taskType") == task_type and t.get("status") == "COMPLETED"]
    in_domain = sum(1 for t in routed if t.get("domain") == domain)
    worker_ids = sorted({t.get("workerId") or "?" for t in routed if t.get("domain") == domain})
    return _paragraph(
        f"- A task domain: the workflows' taskToDomain sent {task_type} to domain '{domain}';"
        f" {in_domain} of {len(routed)} completed there, polled by {', '.join(worker_ids) or '-'}."
    )


def _failure_and_retry(tasks: list[dict[str, Any]]) -> str:
    charges = [t for t in tasks if t.get("taskType") == CHARGE]
    failed = [t for t in charges if t.get("status") == "FAILED"]
    retried = [t for t in charges if t.get("retriedTaskId") or t.get("retryCount")]
    retried_ok = sum(1 for t in retried if t.get("status") == "COMPLETED")
    reasons = Counter(t.get("reasonForIncompletion") or "no reason" for t in failed)
    reason = f" ('{reasons.most_common(1)[0][0]}')" if reasons else ""
    return _paragraph(
        f"- A deliberate failure and its retry: each charge fails on its first attempt{reason}"
        f" and the server schedules a retry, as its task definition allows; {len(failed)}"
        f" attempts failed, {retried_ok} of {len(retried)} retries completed. The FAILED rows"
        " above are those first attempts: no workflow failed because of them."
    )


def _instances(tasks: list[dict[str, Any]]) -> str:
    done = Counter(
        t.get("workerId") or "?"
        for t in tasks
        if t.get("taskType") == SHIP and t.get("status") == "COMPLETED"
    )
    shares = ", ".join(f"{worker} took {count}" for worker, count in sorted(done.items()))
    instances = sorted(
        w.get_identity() for w in workers.demo_workers() if w.get_task_definition_name() == SHIP
    )
    idle = [worker for worker in instances if worker not in done]
    note = f" ({', '.join(idle)} found the queue empty each time it polled)" if idle else ""
    return _paragraph(
        f"- Two instances of one worker: {SHIP} ran in {len(instances)} processes polling one"
        f" queue: {shares or 'none completed'}{note}."
    )


def _python() -> str:
    """How to name this interpreter on a command line typed in the working directory."""
    relative = os.path.relpath(sys.executable)
    return "python" if relative.startswith("..") else relative


def _paragraph(text: str) -> str:
    return textwrap.fill(text, width=100, subsequent_indent="  ")


def _indent(text: str, spaces: int = 2) -> str:
    return "\n".join(" " * spaces + line if line else line for line in text.splitlines())
