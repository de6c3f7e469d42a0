"""TERMINATE: end the workflow here, with ``terminationStatus`` COMPLETED, FAILED or TERMINATED.

The task completes with ``workflowOutput`` as its output (an object as it is, anything else as
``{"output": value}``), which becomes the workflow's output; the workflow ends with that status
and ``terminationReason`` (default "Workflow is <status> by TERMINATE task: <id>") as its
reason, even when it completes. Tasks still open elsewhere (other branches of a fork) are
canceled, a running sub-workflow terminated; in a sub-workflow, the parent's SUB_WORKFLOW task
takes the status. The decider (:mod:`fake_server.engine.decider`) ends the workflow once the
task has completed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fake_server.engine.task_types import TERMINATION_STATUSES
from fake_server.engine.tasks.base import Runtime, SystemTask

if TYPE_CHECKING:
    from fake_server.engine.models import Task, Workflow


class Terminate(SystemTask):
    task_type = "TERMINATE"

    def execute(self, rt: Runtime, workflow: Workflow, task: Task) -> bool:
        if task.input_data.get("terminationStatus") not in TERMINATION_STATUSES:
            return self.finish(rt, task, "FAILED", "given termination status is not valid")
        output: Any = task.input_data.get("workflowOutput")
        if output is None:
            task.output_data = {}
        elif isinstance(output, dict):
            task.output_data = dict(output)
        else:
            task.output_data = {"output": output}
        return self.finish(rt, task, "COMPLETED")
