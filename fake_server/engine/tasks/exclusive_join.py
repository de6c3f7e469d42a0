"""EXCLUSIVE_JOIN: after a SWITCH or DECISION, go on with whichever case ran.

It completes with the output of the first task of ``joinOn`` (in that order) that ran and
ended, or of ``defaultExclusiveJoinTask`` when none of them ran; it fails when that task
failed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fake_server.engine.models import LOOP_DELIMITER
from fake_server.engine.tasks.base import Runtime, SystemTask, control_record

if TYPE_CHECKING:
    from fake_server.engine.definitions import WorkflowTaskDef
    from fake_server.engine.models import Task, Workflow


class ExclusiveJoin(SystemTask):
    task_type = "EXCLUSIVE_JOIN"
    built_in = True

    def map(
        self,
        rt: Runtime,
        workflow: Workflow,
        workflow_task: WorkflowTaskDef,
        task_input: dict[str, Any],
        retry_count: int,
    ) -> list[Task]:
        task_input = {
            "joinOn": list(workflow_task.join_on),
            "defaultExclusiveJoinTask": list(workflow_task.default_exclusive_join_task),
        }
        return [control_record(rt, workflow, workflow_task, self.task_type, task_input)]

    def execute(self, rt: Runtime, workflow: Workflow, task: Task) -> bool:
        join_on = [str(ref) for ref in task.input_data.get("joinOn") or ()]
        if task.loop_over_task:
            join_on = [f"{ref}{LOOP_DELIMITER}{task.iteration}" for ref in join_on]
        chosen = self._first_ran(rt, workflow, join_on)
        if chosen is None:
            defaults = [str(ref) for ref in task.input_data.get("defaultExclusiveJoinTask") or ()]
            chosen = self._first_ran(rt, workflow, defaults)
        if chosen is None or not chosen.is_terminal:
            return False
        if not chosen.is_successful:
            return self.finish(rt, task, "FAILED", chosen.reason_for_incompletion or "")
        task.output_data = dict(chosen.output_data)
        return self.finish(rt, task, "COMPLETED")

    @staticmethod
    def _first_ran(rt: Runtime, workflow: Workflow, refs: list[str]) -> Task | None:
        for ref in refs:
            task = rt.latest(workflow, ref)
            if task is not None and task.status != "SKIPPED":
                return task
        return None
