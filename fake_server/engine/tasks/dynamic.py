"""DYNAMIC: a worker task whose type is chosen at run time.

The input named by ``dynamicTaskNameParam`` names the task type; that type must have a
registered task definition (as on the real server), and the task runs as a worker task of it.
A missing name or definition fails the workflow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fake_server.engine.tasks.base import Runtime, SystemTask, TerminateWorkflow

if TYPE_CHECKING:
    from fake_server.engine.definitions import WorkflowTaskDef
    from fake_server.engine.models import Task, Workflow


class Dynamic(SystemTask):
    task_type = "DYNAMIC"

    def map(
        self,
        rt: Runtime,
        workflow: Workflow,
        workflow_task: WorkflowTaskDef,
        task_input: dict[str, Any],
        retry_count: int,
    ) -> list[Task]:
        param = workflow_task.dynamic_task_name_param or ""
        name = task_input.get(param)
        if name is None:
            raise TerminateWorkflow(
                "Cannot map a dynamic task based on the parameter and input. "
                f"Parameter= {param}, input= {task_input}"
            )
        task_def = workflow_task.task_definition or rt.state.task_defs.get(str(name))
        if task_def is None:
            raise TerminateWorkflow(
                f"Invalid task specified.  Cannot find task by name {name} in the task definitions"
            )
        resolved = workflow_task.with_changes(name=str(name), task_definition=task_def)
        return [rt.worker_task(workflow, resolved, task_def)]
