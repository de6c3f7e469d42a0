"""SUB_WORKFLOW: run another workflow as one task of this one.

``subWorkflowParam`` names the workflow (``name``, and ``version``: the latest when left out)
or holds its definition inline (``workflowDefinition``, an object or an expression giving
one). The child's input is the task's input; it inherits the parent's correlation id and
``taskToDomain`` (unless ``subWorkflowParam.taskToDomain`` gives its own), and knows its parent
(``parentWorkflowId``, ``parentWorkflowTaskId``). The task is IN_PROGRESS while the child runs,
with ``subWorkflowId`` on the task and in its output.

When the child ends, its output is added to the task's, and its status becomes the task's:
COMPLETED, FAILED, TERMINATED as CANCELED, TIMED_OUT; a failure's reason names the child
("Sub workflow <name>.<version>/<id> failure reason: ..."). A failed task fails the parent
unless it is optional (or retried, with a ``retryCount``). Ending the parent (terminate, a
failure elsewhere) terminates a child still running.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fake_server.engine.definitions import parse_workflow_def
from fake_server.engine.errors import ConductorError
from fake_server.engine.tasks.base import Runtime, SystemTask, TerminateWorkflow

if TYPE_CHECKING:
    from fake_server.engine.definitions import WorkflowTaskDef
    from fake_server.engine.models import Task, Workflow

CHILD_STATUS_TO_TASK = {
    "RUNNING": "IN_PROGRESS",
    "PAUSED": "IN_PROGRESS",
    "COMPLETED": "COMPLETED",
    "FAILED": "FAILED",
    "TERMINATED": "CANCELED",
    "TIMED_OUT": "TIMED_OUT",
}


class SubWorkflow(SystemTask):
    task_type = "SUB_WORKFLOW"
    initial_status = "SCHEDULED"

    def map(
        self,
        rt: Runtime,
        workflow: Workflow,
        workflow_task: WorkflowTaskDef,
        task_input: dict[str, Any],
        retry_count: int,
    ) -> list[Task]:
        param = dict(workflow_task.sub_workflow_param or {})
        inline = param.pop("workflowDefinition", None)
        resolved = rt.evaluate(param, workflow)
        if isinstance(inline, str):
            inline = rt.evaluate({"definition": inline}, workflow)["definition"]
        name = resolved.get("name")
        version = resolved.get("version")
        if isinstance(inline, dict):
            name = inline.get("name", name)
        elif version is None:
            try:
                version = rt.workflow_def(str(name), None).version
            except ConductorError:
                raise TerminateWorkflow(
                    f"The Task {name} defined as a sub-workflow has no workflow definition "
                    "available "
                ) from None
        values = {
            "subWorkflowName": name,
            "subWorkflowVersion": int(version) if version is not None else None,
            "subWorkflowTaskToDomain": resolved.get("taskToDomain"),
            "subWorkflowDefinition": inline,
            "priority": resolved.get("priority"),
            "workflowInput": task_input,
        }
        task = rt.new_task(
            workflow,
            workflow_task,
            task_type=self.task_type,
            status="SCHEDULED",
            input_data={k: v for k, v in values.items() if v is not None},
        )
        return [task]

    def start(self, rt: Runtime, workflow: Workflow, task: Task) -> None:
        values = task.input_data
        child_input = values.get("workflowInput") or dict(values)
        try:
            if values.get("subWorkflowDefinition") is not None:
                definition = parse_workflow_def(values["subWorkflowDefinition"])
                child_input = {**child_input, "_systemMetadata": {"dynamic": True}}
            else:
                definition = rt.workflow_def(
                    str(values.get("subWorkflowName")), values.get("subWorkflowVersion")
                )
        except ConductorError as error:
            self.finish(rt, task, "FAILED", error.message)
            return
        task_to_domain = values.get("subWorkflowTaskToDomain")
        if not isinstance(task_to_domain, dict):
            task_to_domain = dict(workflow.task_to_domain)
        priority = values.get("priority")
        task.start_time = task.start_time or rt.now_ms()
        rt.state.set_status(task, "IN_PROGRESS")
        child = rt.start_workflow(
            definition,
            child_input,
            correlation_id=workflow.correlation_id,
            task_to_domain=task_to_domain,
            priority=priority if isinstance(priority, int) else 0,
            parent=(workflow, task),
        )
        task.sub_workflow_id = child.workflow_id
        task.output_data = {**task.output_data, "subWorkflowId": child.workflow_id}
        self._follow(rt, task, child)

    def execute(self, rt: Runtime, workflow: Workflow, task: Task) -> bool:
        child = rt.state.workflows.get(task.sub_workflow_id or "")
        if child is None or not child.is_terminal:
            return False
        return self._follow(rt, task, child)

    def cancel(self, rt: Runtime, workflow: Workflow, task: Task) -> None:
        child = rt.state.workflows.get(task.sub_workflow_id or "")
        if child is None or child.is_terminal:
            return
        if workflow.reason_for_incompletion:
            reason = (
                "Parent workflow has been terminated with reason: "
                f"{workflow.reason_for_incompletion}"
            )
        else:
            reason = f"Parent workflow has been terminated with status {workflow.status}"
        rt.terminate_workflow(child, reason)

    def _follow(self, rt: Runtime, task: Task, child: Workflow) -> bool:
        """The task takes the child's status (and, once it ended, its output)."""
        if not child.is_terminal or task.is_terminal:
            return False
        task.output_data = {**task.output_data, **child.output}
        reason = None
        if child.status != "COMPLETED":
            reason = (
                f"Sub workflow {child.definition.name}.{child.definition.version}/"
                f"{child.workflow_id} failure reason: {child.reason_for_incompletion}"
            )
        return self.finish(rt, task, CHILD_STATUS_TO_TASK[child.status], reason)
