"""Handlers of the workflow routes: start, get, status summary, terminate, the operations that
re-drive a workflow, finding workflows, and the test API."""

from __future__ import annotations

import json
import logging
import re
import uuid

from fake_server.engine import signals
from fake_server.engine.errors import malformed
from fake_server.engine.validation import require_list, require_object
from fake_server.http.wire import (
    EMPTY,
    INTEGER,
    LONG,
    NO_CONTENT,
    Context,
    Reply,
    Request,
    bool_arg,
    int_arg,
    int_path,
    json_body,
    json_reply,
    text_reply,
)

log = logging.getLogger(__name__)


def start(ctx: Context, request: Request) -> Reply:
    """``POST /workflow`` with a StartWorkflowRequest: the workflow id, as text."""
    return text_reply(ctx.engine.start_workflow(json_body(request), len(request.body())))


def start_by_name(ctx: Context, request: Request, name: str) -> Reply:
    """``POST /workflow/{name}``: the body is the input; the id, as text."""
    workflow_id = ctx.engine.start_workflow_by_name(
        name,
        json_body(request, required=False) or {},
        version=int_arg(request, "version", java_type=INTEGER),
        correlation_id=request.arg("correlationId"),
        priority=int_arg(request, "priority"),
        text_size=len(request.body()),
    )
    return text_reply(workflow_id)


def execute(ctx: Context, request: Request, name: str, version: str) -> Reply:
    """``POST /workflow/execute/{name}/{version}`` (WorkflowResource.executeWorkflow): start the
    StartWorkflowRequest of the body (an inline ``workflowDef`` allowed) as ``name`` at
    ``version`` (0: the latest), wait up to ``waitForSeconds`` (0 or absent: 10) for it to end
    or block (``waitUntilTaskRef``: comma-separated references whose end counts as blocking),
    and answer a SignalResponse shaped by ``returnStrategy``. ``consistency`` is read and not
    used, as on Conductor OSS (DURABLE, SYNCHRONOUS and REGION_DURABLE all behave the same)."""
    number = int_path("version", version, java_type=INTEGER)
    wait_seconds = int_arg(request, "waitForSeconds", java_type=INTEGER) or (
        signals.DEFAULT_EXECUTE_WAIT_SECONDS
    )
    strategy = signals.return_strategy(request.arg("returnStrategy"))
    request_id = (request.arg("requestId") or "").strip() or str(uuid.uuid4())
    refs = (request.arg("waitUntilTaskRef") or "").strip()
    task_refs = [ref.strip() for ref in refs.split(",")] if refs else []
    start_request = require_object(json_body(request), "body")
    signals.mark_dynamic(start_request)
    start_request["name"] = name
    start_request["version"] = number or None
    workflow_id = ctx.engine.start_workflow(start_request)
    answer = ctx.engine.await_signal_response(
        workflow_id, task_refs, strategy, request_id, wait_seconds
    )
    return json_reply(answer)


def get(ctx: Context, request: Request, workflow_id: str) -> Reply:
    include_tasks = bool_arg(request, "includeTasks", True)
    return json_reply(ctx.engine.get_workflow(workflow_id, include_tasks))


def tasks(ctx: Context, request: Request, workflow_id: str) -> Reply:
    """``GET /workflow/{id}/tasks`` (WorkflowResource.getExecutionStatusTaskList): a page
    (``start``, ``count``: 0 and 15) of the workflow's tasks, those with a ``status`` among the
    given ones (any case) when given, as ``{"totalHits", "results"}``."""
    start = int_arg(request, "start", 0, java_type=INTEGER)
    count = int_arg(request, "count", 15, java_type=INTEGER)
    wanted = {s.upper() for value in request.arg_list("status") for s in value.split(",") if s}
    found = ctx.engine.get_workflow(workflow_id, True)["tasks"]
    if wanted:
        found = [task for task in found if task["status"] in wanted]
    first = min(max(start, 0), len(found))
    return json_reply({"totalHits": len(found), "results": found[first : first + max(count, 0)]})


def status(ctx: Context, request: Request, workflow_id: str) -> Reply:
    """``GET /workflow/{id}/status``: Conductor's WorkflowStatus summary: id and status, the
    correlation id when there is one, output and variables only when asked for."""
    workflow = ctx.engine.get_workflow(workflow_id, False)
    summary = {"workflowId": workflow["workflowId"], "status": workflow["status"]}
    if workflow.get("correlationId"):
        summary["correlationId"] = workflow["correlationId"]
    if bool_arg(request, "includeOutput", False):
        summary["output"] = workflow.get("output") or {}
    if bool_arg(request, "includeVariables", False):
        summary["variables"] = workflow.get("variables") or {}
    return json_reply(summary)


def terminate(ctx: Context, request: Request, workflow_id: str) -> Reply:
    ctx.engine.terminate_workflow(workflow_id, request.arg("reason"))
    return EMPTY


def terminate_remove(ctx: Context, request: Request, workflow_id: str) -> Reply:
    """``DELETE /workflow/{id}/terminate-remove`` (WorkflowServiceImpl.terminateRemove):
    terminate, then remove; a COMPLETED workflow cannot be terminated, so it stays (409)."""
    ctx.engine.terminate_workflow(workflow_id, request.arg("reason"))
    ctx.engine.remove_workflow(workflow_id, bool_arg(request, "archiveWorkflow", True))
    return EMPTY


# -- re-driving a workflow (see fake_server.engine.workflow_ops)
# Retry, restart and reset callbacks answer 204 on Conductor (@ResponseStatus NO_CONTENT).
def retry(ctx: Context, request: Request, workflow_id: str) -> Reply:
    resume = bool_arg(request, "resumeSubworkflowTasks", False)
    ctx.engine.retry_workflow(workflow_id, resume_subworkflow_tasks=resume)
    return NO_CONTENT


def restart(ctx: Context, request: Request, workflow_id: str) -> Reply:
    latest = bool_arg(request, "useLatestDefinitions", False)
    ctx.engine.restart_workflow(workflow_id, latest)
    return NO_CONTENT


def rerun(ctx: Context, request: Request, workflow_id: str) -> Reply:
    """``POST /workflow/{id}/rerun`` with a RerunWorkflowRequest: the id, as text."""
    return text_reply(ctx.engine.rerun_workflow(workflow_id, json_body(request)))


def pause(ctx: Context, request: Request, workflow_id: str) -> Reply:
    ctx.engine.pause_workflow(workflow_id)
    return EMPTY


def resume(ctx: Context, request: Request, workflow_id: str) -> Reply:
    ctx.engine.resume_workflow(workflow_id)
    return EMPTY


def skip_task(ctx: Context, request: Request, workflow_id: str, reference_name: str) -> Reply:
    """``PUT /workflow/{id}/skiptask/{ref}``. Conductor binds its SkipTaskRequest from query
    parameters (Spring's data binding: ``taskInput[key]=value``, ``taskOutput[key]=value``,
    values as text) and never reads a body: neither does the fake, which says so in its log."""
    if request.body().strip():
        log.warning(
            "PUT %s: the body is ignored, as Conductor ignores it; it reads the skipped task's "
            "input and output from query parameters (taskInput[key]=..., taskOutput[key]=...)",
            request.path,
        )
    ctx.engine.skip_task(workflow_id, reference_name, _skip_task_request(request))
    return EMPTY


_MAP_ENTRY = re.compile(r"^(taskInput|taskOutput)\[(['\"]?)(.*)\2\]$")


def _skip_task_request(request: Request) -> dict[str, dict[str, str]]:
    skip: dict[str, dict[str, str]] = {"taskInput": {}, "taskOutput": {}}
    for name, value in request.arg_items():
        entry = _MAP_ENTRY.match(name)
        if entry is not None:
            skip[entry.group(1)][entry.group(3)] = value
    return skip


def reset_callbacks(ctx: Context, request: Request, workflow_id: str) -> Reply:
    ctx.engine.reset_callbacks(workflow_id)
    return NO_CONTENT


def remove(ctx: Context, request: Request, workflow_id: str) -> Reply:
    archive = bool_arg(request, "archiveWorkflow", True)
    ctx.engine.remove_workflow(workflow_id, archive)
    return EMPTY


# -- finding workflows (see fake_server.engine.search)
def running(ctx: Context, request: Request, name: str) -> Reply:
    ids = ctx.engine.running_workflows(
        name,
        int_arg(request, "version", 1),
        int_arg(request, "startTime", java_type=LONG),
        int_arg(request, "endTime", java_type=LONG),
    )
    return json_reply(ids)


def correlated(ctx: Context, request: Request, name: str, correlation_id: str) -> Reply:
    workflows = ctx.engine.correlated_workflows(
        name,
        correlation_id,
        bool_arg(request, "includeClosed", False),
        bool_arg(request, "includeTasks", False),
    )
    return json_reply(workflows)


def correlated_batch(ctx: Context, request: Request, name: str) -> Reply:
    """``POST /workflow/{name}/correlated`` with a list of correlation ids: ``{id: [workflow,
    ...]}`` for each (WorkflowServiceImpl.getWorkflows, one lookup per id)."""
    include_closed = bool_arg(request, "includeClosed", False)
    include_tasks = bool_arg(request, "includeTasks", False)
    answer = {}
    for index, value in enumerate(require_list(json_body(request), "body")):
        if isinstance(value, (dict, list)) or value is None:
            raise malformed(f"body[{index}]", "must be a string", value)
        # Jackson reads a number or a boolean into a String as its JSON text.
        correlation_id = value if isinstance(value, str) else json.dumps(value)
        answer[correlation_id] = ctx.engine.correlated_workflows(
            name, correlation_id, include_closed, include_tasks
        )
    return json_reply(answer)


def search(ctx: Context, request: Request) -> Reply:
    result = ctx.engine.search_workflows(
        query=request.arg("query"),
        free_text=request.arg("freeText") or "*",
        start=int_arg(request, "start", 0),
        size=int_arg(request, "size", 100),
        sort=request.arg("sort"),
    )
    return json_reply(result)


# -- the test API (see fake_server.engine.workflow_testing)
def test(ctx: Context, request: Request) -> Reply:
    """``POST /workflow/test`` with a WorkflowTestRequest: the workflow run on its mocked task
    results, with its tasks (see :mod:`fake_server.engine.workflow_testing`)."""
    return json_reply(ctx.engine.test_workflow(json_body(request)))
