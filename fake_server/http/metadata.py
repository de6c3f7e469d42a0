"""Handlers of the metadata routes: task and workflow definitions."""

from __future__ import annotations

from fake_server.http.wire import (
    EMPTY,
    INTEGER,
    Context,
    Reply,
    Request,
    bool_arg,
    int_arg,
    json_body,
    json_reply,
)


def register_task_defs(ctx: Context, request: Request) -> Reply:
    ctx.engine.register_task_defs(json_body(request))
    return EMPTY


def update_task_def(ctx: Context, request: Request) -> Reply:
    ctx.engine.update_task_def(json_body(request))
    return EMPTY


def list_task_defs(ctx: Context, request: Request) -> Reply:
    return json_reply(ctx.engine.list_task_defs())


def get_task_def(ctx: Context, request: Request, name: str) -> Reply:
    return json_reply(ctx.engine.get_task_def(name))


def delete_task_def(ctx: Context, request: Request, name: str) -> Reply:
    ctx.engine.delete_task_def(name)
    return EMPTY


def register_workflow_def(ctx: Context, request: Request) -> Reply:
    """``POST /metadata/workflow``: 409 when it exists, unless ``overwrite=true``."""
    if bool_arg(request, "overwrite", False):
        ctx.engine.upsert_workflow_defs([json_body(request)])
    else:
        ctx.engine.register_workflow_def(json_body(request))
    return EMPTY


def validate_workflow_def(ctx: Context, request: Request) -> Reply:
    """``POST /metadata/workflow/validate``: 200 and no body when registering it would pass."""
    ctx.engine.validate_workflow_def(json_body(request))
    return EMPTY


def upsert_workflow_defs(ctx: Context, request: Request) -> Reply:
    stored = ctx.engine.upsert_workflow_defs(json_body(request))
    names = [workflow_def.name for workflow_def in stored]
    return json_reply({"bulkErrorResults": {}, "bulkSuccessfulResults": names})


def list_workflow_defs(ctx: Context, request: Request) -> Reply:
    return json_reply(ctx.engine.list_workflow_defs())


def get_workflow_def(ctx: Context, request: Request, name: str) -> Reply:
    return json_reply(
        ctx.engine.get_workflow_def(name, int_arg(request, "version", java_type=INTEGER))
    )


def delete_workflow_def(ctx: Context, request: Request, name: str, version: int) -> Reply:
    ctx.engine.delete_workflow_def(name, version)
    return EMPTY
