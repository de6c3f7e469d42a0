"""Builders for workflow definitions with system tasks (the engine tests of each type)."""

from __future__ import annotations

from typing import Any

from fake_server.engine import Engine


def simple(ref: str, **fields: Any) -> dict[str, Any]:
    """A worker task whose type and reference name are ``ref``."""
    return {"name": ref, "taskReferenceName": ref, **fields}


def system(task_type: str, ref: str, **fields: Any) -> dict[str, Any]:
    return {"name": ref, "taskReferenceName": ref, "type": task_type, **fields}


def workflow(name: str, *tasks: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"name": name, "tasks": list(tasks), **fields}


def by_ref(engine: Engine, workflow_id: str) -> dict[str, dict[str, Any]]:
    """The tasks of a workflow by reference name (the latest attempt of each)."""
    return {t["referenceTaskName"]: t for t in engine.get_workflow(workflow_id)["tasks"]}


def types_and_statuses(engine: Engine, workflow_id: str) -> list[tuple[str, str, str]]:
    """(referenceTaskName, taskType, status) of each task, in order."""
    tasks = engine.get_workflow(workflow_id)["tasks"]
    return [(t["referenceTaskName"], t["taskType"], t["status"]) for t in tasks]
