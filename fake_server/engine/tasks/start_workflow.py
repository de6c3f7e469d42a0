"""START_WORKFLOW: start another workflow and go on without waiting for it.

The input ``startWorkflow`` is a StartWorkflowRequest (``name``, ``version``, ``input``,
``correlationId``, ``taskToDomain``, ``priority``, or an inline ``workflowDef``); the new
workflow inherits this one's correlation id and ``taskToDomain`` when the request has none.
The task completes at once with the new ``workflowId`` in its output; a request that cannot
start fails it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fake_server.engine.definitions import parse_workflow_def
from fake_server.engine.errors import ConductorError
from fake_server.engine.tasks.base import Runtime, SystemTask

if TYPE_CHECKING:
    from fake_server.engine.models import Task, Workflow


class StartWorkflow(SystemTask):
    task_type = "START_WORKFLOW"
    initial_status = "SCHEDULED"

    def start(self, rt: Runtime, workflow: Workflow, task: Task) -> None:
        request = task.input_data.get("startWorkflow")
        if request is None:
            self.finish(rt, task, "FAILED", "Missing 'startWorkflow' in input data.")
            return
        if not isinstance(request, dict):
            self.finish(rt, task, "FAILED", "Error reading StartWorkflowRequest. Not an object")
            return
        try:
            if isinstance(request.get("workflowDef"), dict):
                definition = parse_workflow_def(request["workflowDef"])
            else:
                definition = rt.workflow_def(str(request.get("name")), request.get("version"))
        except ConductorError as error:
            self.finish(rt, task, "FAILED", error.message)
            return
        task_to_domain = request.get("taskToDomain") or dict(workflow.task_to_domain)
        priority = request.get("priority")
        started = rt.start_workflow(
            definition,
            dict(request.get("input") or {}),
            correlation_id=request.get("correlationId") or workflow.correlation_id,
            task_to_domain=task_to_domain,
            priority=priority if isinstance(priority, int) else 0,
        )
        self.finish(rt, task, "COMPLETED", workflowId=started.workflow_id)
