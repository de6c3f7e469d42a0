"""The failed attempts of a run's tasks, in a worker author's terms: which task and attempt, its
reason (``reasonForIncompletion``) and the last lines of its task logs (where this repository's
SDK puts the traceback of a worker that raised). Appended to the harness's failure messages."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

FAILED_TASK_STATUSES = ("FAILED", "FAILED_WITH_TERMINAL_ERROR", "TIMED_OUT")
MAX_ATTEMPTS = 10  # more would bury the first failure, which is usually the cause
LOG_LINES = 8

TaskLogs = Callable[[str], list[str]]


def failed_attempts(tasks: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [task for task in tasks if task.get("status") in FAILED_TASK_STATUSES]


def describe_attempt(task: Mapping[str, Any]) -> str:
    """One line: ``charge (ref charge, attempt 2, FAILED, worker w1, task <id>): <reason>``."""
    name = task.get("taskDefName") or task.get("taskType")
    attempt = int(task.get("retryCount") or 0) + 1
    worker = f", worker {task['workerId']}" if task.get("workerId") else ""
    reason = task.get("reasonForIncompletion") or "no reason given"
    return (
        f"{name} (ref {task.get('referenceTaskName')}, attempt {attempt}, {task.get('status')}"
        f"{worker}, task {task.get('taskId')}): {reason}"
    )


def describe_failed_attempts(tasks: Iterable[Mapping[str, Any]], task_logs: TaskLogs) -> str:
    """Lines to append to a failure message (empty when no attempt failed): each failed
    attempt, then the last lines of its logs as ``task_logs(task_id)`` gives them."""
    failed = failed_attempts(tasks)
    if not failed:
        return ""
    lines = ["", "failed attempts (reason, then the last lines of the task's logs):"]
    for task in failed[:MAX_ATTEMPTS]:
        lines.append(f"  - {describe_attempt(task)}")
        logged = [line for text in task_logs(str(task.get("taskId"))) for line in text.splitlines()]
        lines += [f"      | {line}" for line in logged[-LOG_LINES:]]
    if len(failed) > MAX_ATTEMPTS:
        lines.append(f"  ... and {len(failed) - MAX_ATTEMPTS} more failed attempts")
    return "\n".join(lines)
