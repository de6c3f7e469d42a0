"""Workers and listeners for the runtime tests (module level: they must reach spawned
processes by reference)."""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, is_dataclass

from conductor.client.event.task_runner_events import TaskUpdateFailure
from conductor.client.http.models import Task


def ok(task: Task) -> dict:
    return {"n": task.input_data.get("n", 0)}


def fails(task: Task) -> dict:
    raise ValueError("refused")


def sleeps(task: Task) -> dict:
    time.sleep(float(task.input_data["seconds"]))
    return {"slept": task.input_data["seconds"]}


class FileListener:
    """Appends every event it receives to a file, one JSON object per line."""

    def __init__(self, path: str) -> None:
        self.path = path

    def _record(self, event: object) -> None:
        fields = asdict(event) if is_dataclass(event) and not isinstance(event, type) else {}
        row = {"event": type(event).__name__, "pid": os.getpid()}
        row.update({k: v for k, v in fields.items() if isinstance(v, (str, int, float))})
        if "cause" in fields:
            row["cause"] = type(fields["cause"]).__name__
        with open(self.path, "a", encoding="utf-8") as stream:
            stream.write(json.dumps(row) + "\n")

    on_poll_started = on_poll_completed = on_poll_failure = _record
    on_task_execution_started = on_task_execution_completed = _record
    on_task_execution_failure = on_task_update_failure = _record


async def sleeps_async(task: Task) -> dict:
    import asyncio

    await asyncio.sleep(float(task.input_data["seconds"]))
    return {"slept": task.input_data["seconds"]}


def reports_another_task(task: Task) -> object:
    from conductor.client.http.models import TaskResult

    return TaskResult(
        task_id="no-such-task",
        workflow_instance_id=task.workflow_instance_id,
        status="COMPLETED",  # a string, as 2.0.0 code may pass
    )


class Recorder:
    """Keeps the events it receives (for runners in the test's own process)."""

    def __init__(self) -> None:
        self.events: list[TaskUpdateFailure] = []

    def on_task_update_failure(self, event: TaskUpdateFailure) -> None:
        self.events.append(event)


async def reports_another_task_async(task: Task) -> object:
    return reports_another_task(task)
