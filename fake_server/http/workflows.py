"""Handlers of the workflow routes: start, get, status summary, terminate."""

from __future__ import annotations

from fake_server.http.wire import (
    EMPTY,
    Context,
    Reply,
    Request,
    bool_arg,
    int_arg,
    json_body,
    json_reply,
    text_reply,
)


def start(ctx: Context, request: Request) -> Reply:
    """``POST /workflow`` with a StartWorkflowRequest: the workflow id, as text."""
    return text_reply(ctx.engine.start_workflow(json_body(request)))


def start_by_name(ctx: Context, request: Request, name: str) -> Reply:
    """``POST /workflow/{name}``: the body is the input; the id, as text."""
    workflow_id = ctx.engine.start_workflow_by_name(
        name,
        json_body(request, required=False) or {},
        version=int_arg(request, "version"),
        correlation_id=request.arg("correlationId"),
        priority=int_arg(request, "priority"),
    )
    return text_reply(workflow_id)


def get(ctx: Context, request: Request, workflow_id: str) -> Reply:
    include_tasks = bool_arg(request, "includeTasks", True)
    return json_reply(ctx.engine.get_workflow(workflow_id, include_tasks))


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
