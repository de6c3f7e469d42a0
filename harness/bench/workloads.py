"""The shapes of work the benchmark drains: tasks that belong to no workflow (ad hoc), and the
worker tasks of three workflow shapes users run (one task, five in a line, a FORK of ten
branches). One place for them, so that the drains (:mod:`.runs`) and the engine's CPU profile
(:mod:`.engine_cpu`) measure the same thing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

ADHOC = "adhoc"


@dataclass(frozen=True)
class Shape:
    """A kind of work: its name on the command line, what it is, and for a workflow its
    definition (of worker tasks of ``task_type``) and how many worker tasks one run has."""

    name: str
    description: str
    tasks_per_workflow: int = 0  # 0: ad-hoc tasks, no workflow

    @property
    def is_workflow(self) -> bool:
        return self.tasks_per_workflow > 0

    def workflow_name(self) -> str:
        return f"bench_{self.name.replace('-', '_')}"

    def definition(self, task_type: str, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The workflow definition of this shape (only for a workflow shape); each of its
        worker tasks gets ``body`` in its input beside ``n`` (from the workflow's input, or
        the previous task's output)."""
        tasks = _TASKS[self.name](task_type)
        for task in _worker_tasks(tasks):
            task["inputParameters"].update(body or {})
        return {"name": self.workflow_name(), "version": 1, "tasks": tasks, "schemaVersion": 2}

    def workflows_for(self, tasks: int) -> int:
        """How many workflows make about ``tasks`` worker tasks (at least one)."""
        return max(1, round(tasks / self.tasks_per_workflow))


def _worker_tasks(tasks: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for task in tasks:
        if task["type"] == "SIMPLE":
            yield task
        for branch in task.get("forkTasks", []):
            yield from _worker_tasks(branch)


def _simple(task_type: str, ref: str, source: str) -> dict[str, Any]:
    return {
        "name": task_type,
        "taskReferenceName": ref,
        "type": "SIMPLE",
        "inputParameters": {"n": source},
    }


def _linear(task_type: str, length: int) -> list[dict[str, Any]]:
    refs = [f"step{index + 1}" for index in range(length)]
    sources = ["${workflow.input.n}", *(f"${{{ref}.output.done}}" for ref in refs[:-1])]
    return [_simple(task_type, ref, source) for ref, source in zip(refs, sources, strict=True)]


def _fork(task_type: str, branches: int) -> list[dict[str, Any]]:
    refs = [f"branch{index + 1}" for index in range(branches)]
    return [
        {
            "name": "fork",
            "taskReferenceName": "fork",
            "type": "FORK_JOIN",
            "forkTasks": [[_simple(task_type, ref, "${workflow.input.n}")] for ref in refs],
        },
        {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": refs},
    ]


_TASKS = {
    "workflow-1": lambda task_type: _linear(task_type, 1),
    "workflow-5": lambda task_type: _linear(task_type, 5),
    "fork-10": lambda task_type: _fork(task_type, 10),
}

SHAPES = {
    shape.name: shape
    for shape in (
        Shape(ADHOC, "ad-hoc tasks (no workflow)"),
        Shape("workflow-1", "one-task workflows", 1),
        Shape("workflow-5", "5-task linear workflows", 5),
        Shape("fork-10", "FORK of 10 branches, then a JOIN", 10),
    )
}
