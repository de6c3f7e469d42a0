"""Handlers of the metadata routes: task and workflow definitions."""

from __future__ import annotations

from typing import Any

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


# -- lighter listings of workflow definitions (MetadataServiceImpl)
def _summary(definition: dict[str, Any]) -> dict[str, Any]:
    """A WorkflowDefSummary: name, version, and the times when the definition carries them."""
    keys = ("name", "version", "createTime", "updateTime")
    return {key: definition[key] for key in keys if definition.get(key) is not None}


def _by_name(ctx: Context) -> dict[str, list[dict[str, Any]]]:
    """Every definition, grouped by name (sorted), each name's versions in ascending order."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for definition in ctx.engine.list_workflow_defs():
        grouped.setdefault(definition["name"], []).append(definition)
    return {
        name: sorted(defs, key=lambda d: d["version"]) for name, defs in sorted(grouped.items())
    }


def workflow_names_and_versions(ctx: Context, request: Request) -> Reply:
    """``GET /metadata/workflow/names-and-versions``: ``{name: [summary, ...]}``."""
    return json_reply({name: [_summary(d) for d in defs] for name, defs in _by_name(ctx).items()})


def workflow_names(ctx: Context, request: Request) -> Reply:
    """``GET /metadata/workflow/names``: the distinct names."""
    return json_reply(list(_by_name(ctx)))


def workflow_versions(ctx: Context, request: Request, name: str) -> Reply:
    """``GET /metadata/workflow/{name}/versions``: the summaries of one name's versions
    (none for an unknown name)."""
    return json_reply([_summary(d) for d in _by_name(ctx).get(name, [])])


def latest_workflow_defs(ctx: Context, request: Request) -> Reply:
    """``GET /metadata/workflow/latest-versions``: the latest version of each definition."""
    return json_reply([defs[-1] for defs in _by_name(ctx).values()])
