"""Finding workflows: running ones by name, correlated ones, and Conductor's search.

Conductor's search runs on its index (Elasticsearch, or a database); the fake answers from its
memory the part of it a worker author uses:

- ``query``: conditions on a workflow summary's fields (``workflowType``, ``workflowId``,
  ``status``, ``correlationId``, ``version``, ``priority``, ``startTime``, ``updateTime``,
  ``endTime``), each ``field = value``, ``field != value``, ``field > value``,
  ``field < value`` or ``field IN (a, b)``, joined by ``AND`` (or all by ``OR``); values may be
  quoted. Times compare in epoch milliseconds.
- ``freeText``: ``*`` for everything, else words each of which must appear in the workflow's
  id, name, correlation id, status, input or output.
- ``sort``: ``field`` or ``field:ASC|DESC``; ``start`` and ``size`` page the result.

Anything else is refused with 400 "not supported by the fake server: ..." rather than answered
with a wrong list.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable
from typing import Any

from fake_server.engine.errors import unsupported
from fake_server.engine.expressions import as_text
from fake_server.engine.models import Workflow
from fake_server.engine.state import EngineState

_SUMMARY_FIELDS: dict[str, Callable[[Workflow], Any]] = {
    "workflowType": lambda w: w.definition.name,
    "workflowId": lambda w: w.workflow_id,
    "status": lambda w: w.status,
    "correlationId": lambda w: w.correlation_id,
    "version": lambda w: w.definition.version,
    "priority": lambda w: w.priority,
    "startTime": lambda w: w.create_time,
    "updateTime": lambda w: w.update_time,
    "endTime": lambda w: w.end_time,
}
_CONDITION = re.compile(
    r"^\s*(?P<field>\w+)\s*(?:(?P<op>=|!=|>|<)\s*(?P<value>'[^']*'|\"[^\"]*\"|[^\s()]+)"
    r"|(?P<in>IN)\s*\((?P<values>[^)]*)\))\s*$",
    re.IGNORECASE,
)


def running_workflow_ids(
    state: EngineState,
    name: str,
    version: int = 1,
    start_time: int | None = None,
    end_time: int | None = None,
) -> list[str]:
    """Ids of workflows ``name`` at ``version`` that are running (or paused); with both times,
    those created between them instead, whatever their status (WorkflowService)."""
    workflows = [
        w
        for w in state.workflows.values()
        if w.definition.name == name and w.definition.version == version
    ]
    if start_time is not None and end_time is not None:
        return [w.workflow_id for w in workflows if start_time <= w.create_time <= end_time]
    return [w.workflow_id for w in workflows if not w.is_terminal]


def correlated(
    state: EngineState,
    name: str,
    correlation_id: str,
    include_closed: bool = False,
    include_tasks: bool = False,
) -> list[dict[str, Any]]:
    """Workflows ``name`` with ``correlation_id`` (ended ones only with ``include_closed``)."""
    found = [
        w
        for w in state.workflows.values()
        if w.definition.name == name
        and w.correlation_id == correlation_id
        and (include_closed or not w.is_terminal)
    ]
    return [_workflow_json(state, w, include_tasks) for w in found]


def search(
    state: EngineState,
    *,
    query: str | None = None,
    free_text: str = "*",
    start: int = 0,
    size: int = 100,
    sort: str | None = None,
) -> dict[str, Any]:
    """Conductor's ``SearchResult<WorkflowSummary>``: ``totalHits`` and a page of ``results``."""
    matches = _matcher(query)
    words = _free_text_words(free_text)
    # The index holds archived workflows too (removed, their last state kept).
    indexed = [*state.workflows.values(), *(w for w, _ in state.archived.values())]
    found = [
        w for w in indexed if matches(w) and all(word in _searchable_text(w) for word in words)
    ]
    if sort:
        found = _sorted(found, sort)
    page = found[max(start, 0) : max(start, 0) + max(size, 0)]
    return {"totalHits": len(found), "results": [summary(w) for w in page]}


def summary(workflow: Workflow) -> dict[str, Any]:
    """A WorkflowSummary: times as ISO text, input and output as Java prints a map."""
    body: dict[str, Any] = {
        "workflowType": workflow.definition.name,
        "version": workflow.definition.version,
        "workflowId": workflow.workflow_id,
        "priority": workflow.priority,
        "correlationId": workflow.correlation_id,
        "startTime": _iso(workflow.create_time),
        "updateTime": _iso(workflow.update_time),
        "status": workflow.status,
        "input": as_text(workflow.input),
        "output": as_text(workflow.output),
        "reasonForIncompletion": workflow.reason_for_incompletion,
        "failedReferenceTaskNames": "",
        "taskToDomain": dict(workflow.task_to_domain),
        "parentWorkflowId": workflow.parent_workflow_id or "",
    }
    if workflow.end_time:
        body["endTime"] = _iso(workflow.end_time)
        body["executionTime"] = workflow.end_time - workflow.create_time
    return {key: value for key, value in body.items() if value is not None}


def _workflow_json(state: EngineState, workflow: Workflow, include_tasks: bool) -> dict[str, Any]:
    tasks = [state.tasks[t] for t in workflow.task_ids] if include_tasks else None
    return workflow.to_json(tasks)


def _iso(epoch_ms: int) -> str:
    moment = datetime.datetime.fromtimestamp(epoch_ms / 1000, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


# ------------------------------------------------------------------ query
def _matcher(query: str | None) -> Callable[[Workflow], bool]:
    if query is None or not query.strip():
        return lambda workflow: True
    has_and = re.search(r"\sAND\s", query, re.IGNORECASE)
    has_or = re.search(r"\sOR\s", query, re.IGNORECASE)
    if (has_and and has_or) or "(" in re.sub(r"\bIN\s*\([^)]*\)", "", query, flags=re.I):
        raise unsupported("query", f"search query {query!r} (mixed AND/OR or parentheses)")
    parts = re.split(r"\s+(?:AND|OR)\s+", query, flags=re.IGNORECASE)
    conditions = [_condition(part, query) for part in parts]
    if has_or:
        return lambda workflow: any(condition(workflow) for condition in conditions)
    return lambda workflow: all(condition(workflow) for condition in conditions)


def _condition(text: str, query: str) -> Callable[[Workflow], bool]:
    match = _CONDITION.match(text)
    if match is None or match.group("field") not in _SUMMARY_FIELDS:
        raise unsupported("query", f"search query {query!r} (at {text.strip()!r})")
    read = _SUMMARY_FIELDS[match.group("field")]
    if match.group("in"):
        allowed = {_unquote(v) for v in match.group("values").split(",") if v.strip()}
        return lambda workflow: str(read(workflow)) in allowed
    op, value = match.group("op"), _unquote(match.group("value"))
    if op in ("=", "!="):
        expected = op == "="
        return lambda workflow: (str(read(workflow)) == value) is expected
    try:
        number = int(value)
    except ValueError:
        raise unsupported("query", f"search query {query!r} ({value!r} is not a number)") from None
    if op == ">":
        return lambda workflow: (read(workflow) or 0) > number
    return lambda workflow: (read(workflow) or 0) < number


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _free_text_words(free_text: str) -> list[str]:
    text = (free_text or "*").strip()
    if text in ("", "*"):
        return []
    if any(char in text for char in '*?:"()'):
        raise unsupported("freeText", f"search text {free_text!r} (plain words only)")
    return [word.lower() for word in text.split()]


def _searchable_text(workflow: Workflow) -> str:
    parts = [
        workflow.workflow_id,
        workflow.definition.name,
        workflow.correlation_id or "",
        workflow.status,
        json.dumps(workflow.input),
        json.dumps(workflow.output),
    ]
    return " ".join(parts).lower()


def _sorted(workflows: list[Workflow], sort: str) -> list[Workflow]:
    field, _, order = sort.partition(":")
    read = _SUMMARY_FIELDS.get(field.strip())
    if read is None or order.strip().upper() not in ("", "ASC", "DESC"):
        raise unsupported("sort", f"sort {sort!r}")
    return sorted(
        workflows,
        key=lambda w: (read(w) is None, read(w) if read(w) is not None else ""),
        reverse=order.strip().upper() == "DESC",
    )
