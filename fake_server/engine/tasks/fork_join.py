"""FORK_JOIN and JOIN: parallel branches and waiting for them.

A FORK_JOIN is scheduled as a FORK task (COMPLETED at once, its input the fork's input), the
first task of every branch, and the JOIN that follows the fork in the definition (a fork not
followed by a JOIN fails the workflow). Each branch then runs on by itself; the end of a branch
leads to the JOIN, which is already there.

A JOIN is open until every task in its ``joinOn`` has ended. Its output holds, by reference
name, the output of each task it joins on that has one (empty outputs are left out). A joined
task that failed and is not optional fails the JOIN (CANCELED when the only failures are
cancellations), with their reasons; an optional task that failed makes it
COMPLETED_WITH_ERRORS. Inside a DO_WHILE the names joined on carry the iteration (``ref__N``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fake_server.engine import blueprint
from fake_server.engine.models import LOOP_DELIMITER
from fake_server.engine.tasks.base import (
    Runtime,
    SystemTask,
    TerminateWorkflow,
    control_record,
)

if TYPE_CHECKING:
    from fake_server.engine.definitions import WorkflowTaskDef
    from fake_server.engine.models import Task, Workflow


class ForkJoin(SystemTask):
    """Schedules a FORK_JOIN of the definition (its record is a FORK task)."""

    task_type = "FORK_JOIN"
    built_in = True

    def map(
        self,
        rt: Runtime,
        workflow: Workflow,
        workflow_task: WorkflowTaskDef,
        task_input: dict[str, Any],
        retry_count: int,
    ) -> list[Task]:
        fork = control_record(rt, workflow, workflow_task, "FORK", task_input, "COMPLETED")
        fork.end_time = fork.start_time = rt.now_ms()
        tasks = [fork]
        for branch in workflow_task.fork_tasks:
            tasks.extend(rt.map_tasks(workflow, branch[0], retry_count))
        tasks.extend(rt.map_tasks(workflow, join_after(workflow, workflow_task), retry_count))
        return tasks


def join_after(workflow: Workflow, fork: WorkflowTaskDef) -> WorkflowTaskDef:
    """The JOIN that must follow a fork in the definition."""
    join = blueprint.next_task(workflow.definition, fork.task_reference_name)
    if join is None or join.type != "JOIN":
        raise TerminateWorkflow(
            "Fork task definition is not followed by a join task.  Check the blueprint"
        )
    return join


class Fork(SystemTask):
    """The record of a fork: COMPLETED from the start, nothing to run."""

    task_type = "FORK"
    built_in = True


class Join(SystemTask):
    task_type = "JOIN"
    built_in = True

    def map(
        self,
        rt: Runtime,
        workflow: Workflow,
        workflow_task: WorkflowTaskDef,
        task_input: dict[str, Any],
        retry_count: int,
    ) -> list[Task]:
        task_input = {"joinOn": list(workflow_task.join_on)}
        return [control_record(rt, workflow, workflow_task, self.task_type, task_input)]

    def execute(self, rt: Runtime, workflow: Workflow, task: Task) -> bool:
        join_on = [str(ref) for ref in task.input_data.get("joinOn") or ()]
        if task.loop_over_task:
            join_on = [f"{ref}{LOOP_DELIMITER}{task.iteration}" for ref in join_on]
        joined = [rt.latest(workflow, ref) for ref in join_on]
        all_ended = all(t is not None and t.is_terminal for t in joined)
        output = dict(task.output_data)
        optional_failures = []
        for ref, branch_task in zip(join_on, joined, strict=True):
            if branch_task is None:
                continue
            if branch_task.output_data:
                output[ref] = branch_task.output_data
            if not branch_task.is_successful and not _optional(branch_task):
                task.output_data = output
                return self._fail(rt, task, [t for t in joined if t is not None])
            if _optional(branch_task) and branch_task.status == "COMPLETED_WITH_ERRORS":
                optional_failures.append(f"{branch_task.task_def_name}/{branch_task.task_id}")
        task.output_data = output
        if not all_ended:
            return False
        if optional_failures:
            reason = " ".join(optional_failures) + " completed with errors"
            return self.finish(rt, task, "COMPLETED_WITH_ERRORS", reason)
        return self.finish(rt, task, "COMPLETED")

    def _fail(self, rt: Runtime, task: Task, joined: list[Task]) -> bool:
        failed = [t for t in joined if not t.is_successful]
        reason = " ".join(t.reason_for_incompletion for t in failed if t.reason_for_incompletion)
        real_failure = any(
            t.is_terminal and not _optional(t) and t.status != "CANCELED" for t in failed
        )
        return self.finish(rt, task, "FAILED" if real_failure else "CANCELED", reason)


def _optional(task: Task) -> bool:
    return task.workflow_task_def is not None and task.workflow_task_def.optional
