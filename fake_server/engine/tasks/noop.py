"""NOOP: completes at once and does nothing (a placeholder, e.g. an empty SWITCH case)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fake_server.engine.tasks.base import Runtime, SystemTask

if TYPE_CHECKING:
    from fake_server.engine.models import Task, Workflow


class Noop(SystemTask):
    task_type = "NOOP"

    def execute(self, rt: Runtime, workflow: Workflow, task: Task) -> bool:
        return self.finish(rt, task, "COMPLETED")
