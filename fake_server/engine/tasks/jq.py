"""JSON_JQ_TRANSFORM: transform the task's input with a jq ``queryExpression``.

The query runs over the whole input (the other input keys are its data). The output is
``result`` (the first value the query gives, null when none) and ``resultList`` (all of them);
a query that does not compile or fails fails the task with the jq message (also in ``error``).
Runs with the ``jq`` package (jq's own C library); compiled queries are kept. A query that
uses what Conductor's jq (jackson-jq 0.0.13) lacks fails as it would there (see
:mod:`fake_server.engine.jackson_jq`).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from fake_server.engine import jackson_jq
from fake_server.engine.tasks.base import Runtime, SystemTask

if TYPE_CHECKING:
    from fake_server.engine.models import Task, Workflow


class JqMissing(Exception):
    """The jq package is not installed (the task fails with what to install)."""


class JsonJqTransform(SystemTask):
    task_type = "JSON_JQ_TRANSFORM"

    def start(self, rt: Runtime, workflow: Workflow, task: Task) -> None:
        query = task.input_data.get("queryExpression")
        if not isinstance(query, str):
            self.finish(rt, task, "FAILED", "Missing 'queryExpression' in input parameters")
            return
        try:
            results = _compiled(query).input_value(task.input_data).all()
        except JqMissing as missing:
            self.finish(rt, task, "FAILED", str(missing), error=str(missing))
            return
        except ValueError as error:
            message = str(error)
            self.finish(rt, task, "FAILED", message, error=message)
            return
        first: Any = results[0] if results else None
        self.finish(rt, task, "COMPLETED", result=first, resultList=results)


@functools.lru_cache(maxsize=1000)
def _compiled(query: str) -> Any:
    jackson_jq.check(query)  # a JqUnsupported is a ValueError: the task fails with it
    try:
        import jq
    except ImportError:
        raise JqMissing(
            "The fake server has no jq for this JSON_JQ_TRANSFORM task: "
            "pip install conductor-workers-testing (or jq alone)"
        ) from None
    return jq.compile(query)
