"""SWITCH and the older DECISION: where a workflow picks a case.

The case is picked when the task is scheduled (Conductor's SwitchTaskMapper): the expression
is evaluated over the task's input, the result turned into text (``null``, ``true``, ``3``)
and looked up in ``decisionCases``; the first task of that case is scheduled with the SWITCH.
No case by that name falls to ``defaultCase``; a case given as an empty list runs nothing (and
does not fall to the default). A case with no tasks, or no case and no default, goes straight
on to the task after the SWITCH.

``evaluatorType`` ``value-param`` reads the input parameter named by ``expression``;
``javascript`` and ``graaljs`` evaluate ``expression`` with ``$`` bound to the input. The task's
output is ``evaluationResult: [case]`` and ``selectedCase``; its input gains ``case``. A script
that fails fails the SWITCH (and, being a built-in type, the workflow).

DECISION reads ``caseValueParam`` or evaluates ``caseExpression``, outputs ``caseOutput``, and
falls to ``defaultCase`` for an empty case too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fake_server.engine import scripts
from fake_server.engine.tasks.base import (
    Runtime,
    SystemTask,
    TerminateWorkflow,
    control_record,
)

if TYPE_CHECKING:
    from fake_server.engine.definitions import WorkflowTaskDef
    from fake_server.engine.models import Task, Workflow


class Switch(SystemTask):
    task_type = "SWITCH"
    built_in = True

    def map(
        self,
        rt: Runtime,
        workflow: Workflow,
        workflow_task: WorkflowTaskDef,
        task_input: dict[str, Any],
        retry_count: int,
    ) -> list[Task]:
        task = control_record(rt, workflow, workflow_task, self.task_type, dict(task_input))
        try:
            case = scripts.as_text(self._evaluate(workflow_task, task_input))
        except scripts.ScriptError as error:
            task.status = "FAILED"
            task.reason_for_incompletion = error.message
            task.end_time = task.scheduled_time  # it ended as it was made
            return [task]
        task.input_data["case"] = case
        task.output_data = {"evaluationResult": [case], "selectedCase": case}
        chosen = workflow_task.decision_cases.get(case)
        if chosen is None:
            chosen = workflow_task.default_case
        return [task, *_first_of(rt, workflow, task, chosen, retry_count)]

    @staticmethod
    def _evaluate(workflow_task: WorkflowTaskDef, task_input: dict[str, Any]) -> Any:
        expression = workflow_task.expression or ""
        if workflow_task.evaluator_type == "value-param":
            return task_input.get(expression)
        return scripts.evaluate(expression, task_input)

    def execute(self, rt: Runtime, workflow: Workflow, task: Task) -> bool:
        return self.finish(rt, task, "COMPLETED")


class Decision(SystemTask):
    task_type = "DECISION"
    built_in = True

    def map(
        self,
        rt: Runtime,
        workflow: Workflow,
        workflow_task: WorkflowTaskDef,
        task_input: dict[str, Any],
        retry_count: int,
    ) -> list[Task]:
        # DecisionTaskMapper: the record's input holds the case (and hasChildren) only.
        task = control_record(rt, workflow, workflow_task, self.task_type, {})
        if workflow_task.case_expression:
            try:
                value = scripts.evaluate(workflow_task.case_expression, task_input)
            except scripts.ScriptError:
                raise TerminateWorkflow(
                    f"Error while evaluating script: {workflow_task.case_expression}"
                ) from None
        else:
            value = task_input.get(workflow_task.case_value_param or "")
        case = scripts.as_text(value)
        task.input_data["case"] = case
        task.output_data = {"caseOutput": [case]}
        chosen = workflow_task.decision_cases.get(case) or workflow_task.default_case
        return [task, *_first_of(rt, workflow, task, chosen, retry_count)]

    def execute(self, rt: Runtime, workflow: Workflow, task: Task) -> bool:
        return self.finish(rt, task, "COMPLETED")


def _first_of(
    rt: Runtime,
    workflow: Workflow,
    switch_task: Task,
    chosen: tuple[WorkflowTaskDef, ...],
    retry_count: int,
) -> list[Task]:
    """The first task of the chosen case, scheduled with the switch (which then leads on
    from the case's last task, not from itself)."""
    if not chosen:
        return []
    switch_task.input_data["hasChildren"] = "true"
    return rt.map_tasks(workflow, chosen[0], retry_count)
