"""Helpers for the fake server's unit tests: a stand-in worker and definition builders."""

from __future__ import annotations

from typing import Any

from fake_server.engine import Engine


class Worker:
    """Polls and updates through the engine, as a worker would over HTTP."""

    def __init__(self, engine: Engine, worker_id: str = "worker-1", domain: str | None = None):
        self.engine = engine
        self.worker_id = worker_id
        self.domain = domain

    def poll(self, task_type: str) -> dict[str, Any] | None:
        return self.engine.poll(task_type, self.worker_id, self.domain)

    def take(self, task_type: str) -> dict[str, Any]:
        task = self.poll(task_type)
        assert task is not None, f"no {task_type} task ready for {self.worker_id}"
        return task

    def update(self, task: dict[str, Any], status: str, **fields: Any) -> str:
        return self.engine.update_task(result(task, status, workerId=self.worker_id, **fields))


def result(task: dict[str, Any], status: str | None, **fields: Any) -> dict[str, Any]:
    """A TaskResult for ``task``."""
    body = {"taskId": task["taskId"], "workflowInstanceId": task["workflowInstanceId"], **fields}
    if status is not None:
        body["status"] = status
    return body


def sequence(name: str, *task_types: str, **fields: Any) -> dict[str, Any]:
    """A workflow definition running one SIMPLE task per type, in order (ref = type)."""
    tasks = [{"name": t, "taskReferenceName": t} for t in task_types]
    return {"name": name, "tasks": tasks, **fields}


def start(engine: Engine, definition: dict[str, Any], **request: Any) -> str:
    """Register ``definition`` (replacing any) and start a workflow of it."""
    engine.upsert_workflow_defs([definition])
    return engine.start_workflow({"name": definition["name"], **request})


def statuses(engine: Engine, workflow_id: str) -> list[tuple[str, str]]:
    """(referenceTaskName, status) of each task of a workflow, in order."""
    workflow = engine.get_workflow(workflow_id)
    return [(t["referenceTaskName"], t["status"]) for t in workflow["tasks"]]
