"""INLINE (and the older LAMBDA): compute a value in JavaScript, no worker needed.

INLINE evaluates its input ``expression`` with ``$`` bound to its input
(``evaluatorType`` ``javascript`` or ``graaljs``; ``value-param`` returns the input named by
the expression) and completes with ``{"result": value}``. A script that throws fails the task
for good (FAILED_WITH_TERMINAL_ERROR, reason and ``error`` output "Error evaluating the script
`...` at line N"); one that runs past four seconds fails it (FAILED, so it may be retried).
LAMBDA runs ``scriptExpression`` as the body of a function (``return`` gives the result).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fake_server.engine import scripts
from fake_server.engine.tasks.base import Runtime, SystemTask

if TYPE_CHECKING:
    from fake_server.engine.models import Task, Workflow

EVALUATORS = ("javascript", "graaljs", "value-param")


class Inline(SystemTask):
    task_type = "INLINE"

    def execute(self, rt: Runtime, workflow: Workflow, task: Task) -> bool:
        values = task.input_data
        evaluator = values.get("evaluatorType") or "javascript"
        expression = values.get("expression")
        if not isinstance(evaluator, str) or not evaluator.strip():
            return self._fail(
                rt,
                task,
                "Empty 'evaluatorType' in INLINE task's input "
                "parameters. A non-empty String value must be provided.",
            )
        if evaluator not in EVALUATORS:
            return self._fail(rt, task, f"Unknown evaluator '{evaluator}' in INLINE task.")
        if not isinstance(expression, str) or not expression.strip():
            return self._fail(
                rt,
                task,
                "Empty 'expression' in Inline task's input parameters. "
                "A non-empty String value must be provided.",
            )
        try:
            result: Any = (
                values.get(expression)
                if evaluator == "value-param"
                else scripts.evaluate(expression, values)
            )
        except scripts.ScriptError as error:
            status = "FAILED" if error.timed_out else "FAILED_WITH_TERMINAL_ERROR"
            return self.finish(rt, task, status, error.message, error=error.message)
        return self.finish(rt, task, "COMPLETED", result=result)

    def _fail(self, rt: Runtime, task: Task, reason: str) -> bool:
        return self.finish(rt, task, "FAILED_WITH_TERMINAL_ERROR", reason, error=reason)


class Lambda(SystemTask):
    task_type = "LAMBDA"

    def execute(self, rt: Runtime, workflow: Workflow, task: Task) -> bool:
        script = task.input_data.get("scriptExpression")
        if not isinstance(script, str) or not script.strip():
            reason = (
                "Empty 'scriptExpression' in Lambda task's input parameters. A non-empty "
                "String value must be provided."
            )
            return self.finish(rt, task, "FAILED", reason)
        try:
            result = scripts.evaluate(
                f"function scriptFun(){{{script}}} scriptFun();", task.input_data
            )
        except scripts.ScriptError as error:
            return self.finish(rt, task, "FAILED", error.message, error=error.message)
        return self.finish(rt, task, "COMPLETED", result=result)
