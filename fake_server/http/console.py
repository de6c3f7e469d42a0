"""Handlers of the web console's pages, at the server root (``/``, ``/workflows/<id>``, ...).

Each page is rendered on the server from the engine's state (:mod:`fake_server.console.pages`
works out what it shows, the templates in ``fake_server/console/templates`` lay it out); a
small script reloads the page's content every few seconds. Links are plain URLs, so a page can
be shared (``/workflows/<id>``). When the server requires tokens, a browser signs in first
(see :mod:`fake_server.http.signin`).
"""

from __future__ import annotations

import functools
import json
import mimetypes
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from markupsafe import Markup

from fake_server.console import diagram, pages, render, static_file
from fake_server.engine.errors import ConductorError, NotFoundError
from fake_server.engine.tasks import SYSTEM_TASKS
from fake_server.http import console_actions
from fake_server.http.console_actions import json_object
from fake_server.http.wire import Context, Reply, Request

HTML = "text/html; charset=utf-8"
# The pages' own reload interval (the live switch in the header turns it off).
REFRESH_SECONDS = 2
# A list page shows this many rows at most (newest first); search narrows it.
MAX_LISTED = 200
NAV = (
    ("/", "Overview"),
    ("/workflows", "Workflows"),
    ("/queues", "Queues"),
    ("/workers", "Workers"),
    ("/definitions/tasks", "Definitions"),
    ("/start", "Start a workflow"),
    ("/diagnosis", "Diagnosis"),
    ("/faults", "Faults"),
)


def _page(
    ctx: Context,
    request: Request,
    template: str,
    section: str,
    *,
    refresh: bool = True,
    http_status: int = 200,
    **values: Any,
) -> Reply:
    now = ctx.engine.now_ms()
    root = _root_url(request)
    # A page answering a form (a refused action, a form with a mistake) sits at the form's
    # URL, which a reload cannot GET: it stays as it was sent.
    live = refresh and request.method in ("GET", "HEAD")
    html = render(
        template,
        nav=NAV,
        section=section,
        refresh_seconds=REFRESH_SECONDS if live else 0,
        now=now,
        manual_clock=ctx.engine.clock.is_manual,
        api_url=f"{root}/api",
        root_url=root,
        ago=lambda then: pages.ago(now, then),
        **values,
    )
    return Reply(http_status, html.encode(), HTML)


def same_site(handler: Callable[..., Reply]) -> Callable[..., Reply]:
    """For the console's forms: a form posted from a page of another site (its ``Origin`` is
    not this server) is refused, so that a web page open in the same browser cannot terminate
    workflows or inject faults on the developer's local server."""

    @functools.wraps(handler)
    def checked(ctx: Context, request: Request, **params: Any) -> Reply:
        origin = request.header("Origin")
        if origin and urlsplit(origin).netloc != request.header("Host"):
            message = f"Refused: the form was posted from {origin}, not from this console."
            return Reply(403, message.encode(), "text/plain; charset=utf-8")
        return handler(ctx, request, **params)

    return checked


def _root_url(request: Request) -> str:
    """``http://host:port`` as the browser reached the server."""
    scheme = request.environ.get("wsgi.url_scheme", "http")
    host = request.header("Host") or request.environ.get("SERVER_NAME", "localhost")
    return f"{scheme}://{host}"


def overview(ctx: Context, request: Request) -> Reply:
    workflows = ctx.engine.list_workflows()
    stats = ctx.engine.stats()
    return _page(
        ctx,
        request,
        "overview.html",
        "/",
        statuses=pages.WORKFLOW_STATUSES,
        workflow_total=len(workflows),
        workflow_counts=Counter(w["status"] for w in workflows),
        queues=pages.queue_rows(stats, ctx.engine.all_poll_data(), SYSTEM_TASKS),
        workers=pages.worker_rows(stats),
        findings=ctx.engine.diagnose()["findings"],
        faults=ctx.faults.to_json()["rules"],
        latest=pages.filter_workflows(workflows)[:10],
        retention=stats["retention"],
    )


def workflows(ctx: Context, request: Request) -> Reply:
    everything = ctx.engine.list_workflows()
    status = request.arg("status") or ""
    query = request.arg("q") or ""
    matched = pages.filter_workflows(everything, status=status, query=query)
    return _page(
        ctx,
        request,
        "workflows.html",
        "/workflows",
        statuses=pages.WORKFLOW_STATUSES,
        counts=Counter(w["status"] for w in everything),
        status=status,
        query=query,
        shown=matched[:MAX_LISTED],
        matched=len(matched),
        total=len(everything),
    )


def workflow(
    ctx: Context,
    request: Request,
    workflow_id: str,
    refused: tuple[str, str] | None = None,
) -> Reply:
    """A workflow's page; ``refused``: an action the engine refused just now, and why."""
    try:
        found = ctx.engine.get_workflow(workflow_id)
    except NotFoundError:
        return _page(
            ctx,
            request,
            "missing.html",
            "/workflows",
            http_status=404,
            what="workflow",
            id=workflow_id,
        )
    view = pages.workflow_view(
        found,
        ctx.engine.now_ms(),
        logs_of=lambda task_id: ctx.engine.get_task_logs(task_id),
        workflow_of=lambda child_id: _workflow_or_none(ctx, child_id),
    )
    family = {view.id, *pages.descendant_ids(view)}
    findings = [f for f in ctx.engine.diagnose()["findings"] if f.get("workflowId") in family]
    definition = ctx.engine.definition_of_workflow(workflow_id)
    ran = {str(task.get("referenceTaskName")) for task in found["tasks"]}
    return _page(
        ctx,
        request,
        "workflow.html",
        "/workflows",
        view=view,
        findings=findings,
        diagram=Markup(diagram.run_svg(definition, found["tasks"])),
        actions=console_actions.offered(view.status),
        can_set_status=console_actions.can_set_status,
        can_requeue=lambda task: console_actions.can_requeue(task, SYSTEM_TASKS),
        result_statuses=console_actions.TASK_RESULT_STATUSES,
        skippable=[ref for ref in pages.references_in(definition["tasks"]) if ref not in ran],
        done=request.arg("done") or "",
        refused=refused,
    )


def _form(request: Request) -> dict[str, str]:
    """The fields of a form the page posted (``application/x-www-form-urlencoded``)."""
    return dict(parse_qsl(request.body().decode("utf-8", "replace"), keep_blank_values=True))


@same_site
def workflow_action(ctx: Context, request: Request, workflow_id: str, action: str) -> Reply:
    """A button of the workflow's page (see :mod:`.console_actions`): done, the page again
    saying what happened; refused, the page with the API's error text."""
    try:
        done = console_actions.run(ctx.engine, workflow_id, action, _form(request))
    except (ValueError, ConductorError) as error:
        message = error.message if isinstance(error, ConductorError) else str(error)
        if isinstance(error, NotFoundError) and not _workflow_or_none(ctx, workflow_id):
            raise
        return workflow(ctx, request, workflow_id, refused=(action, message))
    return _redirect(f"/workflows/{quote(workflow_id)}?done={quote(done)}")


def _workflow_or_none(ctx: Context, workflow_id: str) -> dict[str, Any] | None:
    try:
        return ctx.engine.get_workflow(workflow_id)
    except NotFoundError:
        return None


def queues(ctx: Context, request: Request) -> Reply:
    rows = pages.queue_rows(ctx.engine.stats(), ctx.engine.all_poll_data(), SYSTEM_TASKS)
    return _page(ctx, request, "queues.html", "/queues", queues=rows, columns=pages.QUEUE_COLUMNS)


def workers(ctx: Context, request: Request) -> Reply:
    rows = pages.worker_rows(ctx.engine.stats())
    return _page(
        ctx,
        request,
        "workers.html",
        "/workers",
        workers=rows,
        active_within=pages.ACTIVE_WITHIN_MS,
        stopped_listed_for=pages.STOPPED_LISTED_FOR_MS,
    )


def definitions(ctx: Context, request: Request) -> Reply:
    """``/definitions``: the workflow definitions (the tasks' are one tab away)."""
    return _redirect("/definitions/workflows")


def _redirect(location: str) -> Reply:
    return Reply(303, b"", None, (("Location", location),))


def task_defs(ctx: Context, request: Request) -> Reply:
    defs = sorted(ctx.engine.list_task_defs(), key=lambda d: d["name"])
    return _page(ctx, request, "task_defs.html", "/definitions/tasks", task_defs=defs)


def workflow_defs(ctx: Context, request: Request) -> Reply:
    defs = _workflow_defs(ctx)
    return _page(ctx, request, "workflow_defs.html", "/definitions/tasks", workflow_defs=defs)


def workflow_def(ctx: Context, request: Request, name: str, version: int | None = None) -> Reply:
    """One workflow definition: its diagram and its JSON (the latest version without one)."""
    try:
        definition = ctx.engine.get_workflow_def(name, version)
    except NotFoundError:
        what = f"workflow definition {name}" + (f" version {version}" if version else "")
        return _page(
            ctx, request, "missing.html", "/definitions/tasks", http_status=404, what=what, id=""
        )
    versions = sorted(d["version"] for d in _workflow_defs(ctx) if d["name"] == name)
    return _page(
        ctx,
        request,
        "workflow_def.html",
        "/definitions/tasks",
        refresh=False,
        definition=definition,
        versions=versions,
        diagram=Markup(diagram.definition_svg(definition)),
    )


def _workflow_defs(ctx: Context) -> list[dict[str, Any]]:
    return sorted(ctx.engine.list_workflow_defs(), key=lambda d: (d["name"], d["version"]))


def start_form(ctx: Context, request: Request) -> Reply:
    defs = _workflow_defs(ctx)
    names = sorted({d["name"] for d in defs})
    name = request.arg("name") or (names[0] if names else "")
    form = {
        "name": name,
        "version": request.arg("version") or "",
        "correlationId": "",
        "input": _input_templates(defs).get(name, "{}"),
        "taskToDomain": "",
    }
    return _start_page(ctx, request, form, None)


def _input_templates(defs: list[dict[str, Any]]) -> dict[str, str]:
    """Per workflow name, the input its latest version declares, each key null, to fill in."""
    templates: dict[str, str] = {}
    for definition in defs:  # by name and version: the latest is the last of its name
        declared = definition.get("inputParameters") or []
        templates[definition["name"]] = json.dumps(dict.fromkeys(declared)) if declared else "{}"
    return templates


@same_site
def start_submit(ctx: Context, request: Request) -> Reply:
    """Starts the workflow the form describes and redirects to its page; a mistake shows on
    the form again, with what was typed."""
    fields = ("name", "version", "correlationId", "input", "taskToDomain")
    sent = _form(request)
    form = {key: sent.get(key, "") for key in fields}
    try:
        workflow_id = ctx.engine.start_workflow(_start_request(form))
    except (ValueError, ConductorError) as error:
        message = error.message if isinstance(error, ConductorError) else str(error)
        # The form again, with the mistake: a page that loaded (a 4xx would be a failed load
        # in the browser's console).
        return _start_page(ctx, request, form, message)
    return _redirect(f"/workflows/{quote(workflow_id)}")


def _start_page(
    ctx: Context,
    request: Request,
    form: dict[str, str],
    error: str | None,
    http_status: int = 200,
) -> Reply:
    defs = _workflow_defs(ctx)
    names = sorted({d["name"] for d in defs})
    return _page(
        ctx,
        request,
        "start.html",
        "/start",
        refresh=False,
        http_status=http_status,
        workflow_defs=defs,
        names=names,
        templates=_input_templates(defs),
        form=form,
        error=error,
    )


def _start_request(form: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": form["name"],
        "input": json_object(form["input"], "input") or {},
    }
    if form["version"].strip():
        try:
            body["version"] = int(form["version"])
        except ValueError:
            raise ValueError(f"version must be a whole number, not {form['version']!r}") from None
    if form["correlationId"].strip():
        body["correlationId"] = form["correlationId"].strip()
    if form["taskToDomain"].strip():
        body["taskToDomain"] = json_object(form["taskToDomain"], "task to domain") or {}
    return body


def diagnosis(ctx: Context, request: Request) -> Reply:
    findings = ctx.engine.diagnose()["findings"]
    return _page(ctx, request, "diagnosis.html", "/diagnosis", findings=findings)


def faults(
    ctx: Context,
    request: Request,
    form: dict[str, str] | None = None,
    error: str | None = None,
) -> Reply:
    return _page(
        ctx,
        request,
        "faults.html",
        "/faults",
        faults=ctx.faults.to_json(),
        routes=ctx.api_route_names,
        form=form or {"kind": "error", "route": "*", "status": "503"},
        error=error,
        done=request.arg("done") or "",
    )


@same_site
def add_fault(ctx: Context, request: Request) -> Reply:
    """The faults page's form: the rule added (as ``POST /fake/faults``), or the form again
    with the fault plan's words for what is wrong."""
    form = _form(request)
    try:
        rule = ctx.faults.add(console_actions.fault_spec(form), ctx.api_route_names)
    except (ValueError, ConductorError) as error:
        message = error.message if isinstance(error, ConductorError) else str(error)
        return faults(ctx, request, form, message)
    return _redirect("/faults?done=" + quote(f"Fault rule {rule['id']} added."))


@same_site
def remove_fault(ctx: Context, request: Request, rule_id: int) -> Reply:
    """A rule's remove button (as ``DELETE /fake/faults/{id}``)."""
    if not ctx.faults.remove(rule_id):
        return faults(ctx, request, error=f"No such fault rule: {rule_id}")
    return _redirect("/faults?done=" + quote(f"Fault rule {rule_id} removed."))


@same_site
def clear_faults(ctx: Context, request: Request) -> Reply:
    """The remove-all button (as ``DELETE /fake/faults``)."""
    ctx.faults.clear()
    return _redirect("/faults?done=" + quote("Every fault rule removed."))


def static(ctx: Context, request: Request, filename: str) -> Reply:
    """The console's stylesheet and script (nothing is fetched from outside the server)."""
    body = static_file(filename)
    if body is None:
        raise NotFoundError(f"No such console file: {filename}")
    content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    if content_type.startswith("text/") or content_type.endswith("javascript"):
        content_type += "; charset=utf-8"
    return Reply(200, body, content_type, (("Cache-Control", "no-cache"),))
