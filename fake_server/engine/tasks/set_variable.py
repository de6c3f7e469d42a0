"""SET_VARIABLE: store its input in the workflow's variables (``${workflow.variables.x}``).

Each input key replaces the variable of that name. Variables above 256 KB in all (Conductor's
default limit) are refused: the task fails for good and the variables stay as they were.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from fake_server.engine.tasks.base import Runtime, SystemTask

if TYPE_CHECKING:
    from fake_server.engine.models import Task, Workflow

MAX_VARIABLES_KB = 256


class SetVariable(SystemTask):
    task_type = "SET_VARIABLE"

    def execute(self, rt: Runtime, workflow: Workflow, task: Task) -> bool:
        variables = {**workflow.variables, **task.input_data}
        size = len(json.dumps(variables).encode())
        if size > MAX_VARIABLES_KB * 1024:
            reason = (
                f"The variables payload size: {size} of workflow: {workflow.workflow_id} is "
                f"greater than the permissible limit: {MAX_VARIABLES_KB} kilobytes"
            )
            return self.finish(rt, task, "FAILED_WITH_TERMINAL_ERROR", reason)
        workflow.variables = variables
        return self.finish(rt, task, "COMPLETED")
