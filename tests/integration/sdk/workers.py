"""Workers for the SDK integration tests, at module top level so that they reach worker
processes under every start method."""

from __future__ import annotations

import asyncio
import os
import threading
import time

from conductor.client.context.task_context import TaskInProgress, get_task_context
from conductor.client.http.models import Task, TaskResult
from conductor.client.http.models.task_result_status import TaskResultStatus
from conductor.client.worker.exception import NonRetryableException
from conductor.client.worker.worker_interface import WorkerInterface


def with_task(task: Task) -> TaskResult:
    result = TaskResult(
        task_id=task.task_id,
        workflow_instance_id=task.workflow_instance_id,
        worker_id="function-worker",
    )
    result.add_output_data("style", "function")
    result.add_output_data("echo", task.input_data.get("word"))
    result.status = TaskResultStatus.COMPLETED
    return result


class ClassWorker(WorkerInterface):
    def execute(self, task: Task) -> TaskResult:
        result = self.get_task_result_from_task(task)
        result.add_output_data("style", "class")
        result.status = TaskResultStatus.COMPLETED
        return result


def greet(name: str, greeting: str = "Hello") -> dict:
    return {"message": f"{greeting}, {name}!"}


async def double_later(input: dict) -> dict:
    await asyncio.sleep(0.01)
    return {"double": input["n"] * 2}


def charge(input: dict) -> dict:
    raise ValueError(f"card {input.get('card')} declined")


def refuse(input: dict) -> dict:
    raise NonRetryableException("account closed")


def resumable(input: dict) -> object:
    """Long-running work: asks to be called again until its second execution."""
    context = get_task_context()
    context.add_log(f"execution {context.poll_count}")
    if context.poll_count < 2:
        return TaskInProgress(callback_after_seconds=0, output={"progress": 50})
    return {"progress": 100, "polls": context.poll_count}


def timed(input: dict) -> dict:
    """Sleeps, and says when and where it ran."""
    started = time.time()
    time.sleep(input.get("seconds", 0.3))
    return {
        "start": started,
        "end": time.time(),
        "pid": os.getpid(),
        "thread": threading.get_ident(),
    }


def whoami(input: dict) -> dict:
    return {"pid": os.getpid(), "domain": get_task_context().task.domain}


def process_info(input: dict) -> dict:
    with open("/proc/self/cmdline", "rb") as cmdline:
        command = cmdline.read().replace(b"\0", b" ").decode(errors="replace")
    return {"pid": os.getpid(), "ppid": os.getppid(), "cmdline": command}


def crash(input: dict) -> dict:
    """Ends its process the hard way, as a segfault in native code would."""
    os._exit(3)


class DiesAtStart(WorkerInterface):
    """A worker whose process dies as it starts (as a missing native library would make it)."""

    def apply_settings(self, settings: object) -> None:
        os._exit(4)

    def execute(self, task: Task) -> dict:
        return {}
