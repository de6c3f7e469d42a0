"""The worker of the chaos tests: records each execution, sleeps as asked, doubles ``n``.

Every execution appends ``<task id> <pid>`` to the file named by ``CHAOS_EXECUTIONS`` (one short
write with O_APPEND: lines from several processes do not mix), so a test can tell which tasks
ran, where, and how often.
"""

from __future__ import annotations

import os
import threading
import time

from conductor.client.http.models import Task


def record(task_id: str | None) -> None:
    path = os.environ.get("CHAOS_EXECUTIONS")
    if path:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, f"{task_id} {os.getpid()}\n".encode())
        finally:
            os.close(fd)


def work(task: Task) -> dict:
    record(task.task_id)
    if task.input_data.get("wedge") and not task.retry_count:
        threading.Event().wait()  # wedged for good: only the server's timeout frees the task
    time.sleep(float(task.input_data.get("seconds", 0)))
    return {"doubled": 2 * task.input_data["n"]}
