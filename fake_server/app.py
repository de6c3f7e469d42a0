"""The thin Flask layer: Conductor's routes mapped onto :class:`~fake_server.engine.Engine`.

Routes live under ``/api`` (plus ``/health`` at the root and the test-only ``/fake`` admin API,
see :mod:`fake_server.admin`). Every error, including unknown routes and wrong methods, answers
with Conductor's JSON error body. Ids are answered as ``text/plain``, like Conductor does.
The poll, batch poll and update routes are answered by :mod:`fake_server.hot_routes` before
Flask sees them (their views below still answer HEAD, and define what the hot routes imitate).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Flask, Response, current_app, got_request_exception, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from fake_server.auth import TokenAuthority
from fake_server.engine import Engine
from fake_server.engine.errors import ConductorError, invalid
from fake_server.engine.validation import Fields
from fake_server.hot_routes import HotRoutes
from fake_server.wire import (
    BATCH_POLL_DEFAULT_COUNT,
    BATCH_POLL_DEFAULT_TIMEOUT_MS,
    conductor_error_body,
    domain_or_none,
    error_body,
    http_error_message,
    log_access,
    parse_bool,
    parse_int,
    parse_json,
    to_json,
    unexpected_error_body,
)

HEALTHY = {"healthResults": [], "suppressedHealthResults": [], "healthy": True}
# Endpoints reachable without a token when authentication is on.
_OPEN_ENDPOINTS = {"api.token", "api.health", "health"}


def create_app(engine: Engine, auth: TokenAuthority | None = None) -> Flask:
    """A Flask app serving ``engine``; with ``auth``, API calls need a token."""
    # Imported here: the admin module imports helpers from this one.
    from fake_server.admin import admin

    app = Flask("fake_server")
    app.extensions["conductor_engine"] = engine
    app.extensions["conductor_auth"] = auth
    app.register_blueprint(api)
    app.register_blueprint(admin)
    app.add_url_rule("/health", "health", health)
    app.register_error_handler(ConductorError, conductor_error)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected_error)
    app.after_request(log_request)
    # The task routes a worker calls for every task are answered before Flask: see there.
    app.wsgi_app = HotRoutes(app, engine, auth)  # type: ignore[method-assign]
    return app


# ------------------------------------------------------------------ helpers
def engine() -> Engine:
    return current_app.extensions["conductor_engine"]


def json_response(value: Any, status: int = 200) -> Response:
    return Response(to_json(value), status, mimetype="application/json")


def text_response(value: str) -> Response:
    return Response(value, 200, mimetype="text/plain")


def empty_response(status: int = 200) -> Response:
    return Response(b"", status)


def json_body(*, required: bool = True) -> Any:
    """The request body parsed as JSON (whatever the Content-Type says)."""
    return parse_json(request.get_data(cache=True), required=required)


def int_arg(name: str, default: int | None = None) -> Any:
    return parse_int(name, request.args.get(name), default)


def bool_arg(name: str, default: bool) -> bool:
    return parse_bool(name, request.args.get(name), default)


def domain_arg() -> str | None:
    return domain_or_none(request.args.get("domain"))


def log_request(response: Response) -> Response:
    log_access(request.method, request.path, request.query_string, response.status_code)
    return response


# ------------------------------------------------------------------ error handlers
def conductor_error(error: ConductorError) -> Response:
    return json_response(conductor_error_body(error), error.status)


def http_error(error: HTTPException) -> Response:
    status = error.code or 500
    message = http_error_message(error, request.method, request.path)
    response = json_response(error_body(status, message), status)
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.headers["Allow"] = ", ".join(sorted(error.valid_methods))
    return response


def unexpected_error(error: Exception) -> Response:
    body = unexpected_error_body(error, request.method, request.path)
    # Flask sends this signal only for errors no handler caught; send it here too, so that an
    # embedding test harness can re-raise server bugs in the test that caused them.
    got_request_exception.send(current_app._get_current_object(), exception=error)
    return json_response(body, 500)


# ------------------------------------------------------------------ the /api routes
api = Blueprint("api", __name__, url_prefix="/api")


@api.before_request
def check_token() -> None:
    auth: TokenAuthority | None = current_app.extensions["conductor_auth"]
    if auth is not None and request.endpoint not in _OPEN_ENDPOINTS:
        auth.verify(request.headers.get("X-Authorization"))


@api.post("/token")
def token() -> Response:
    auth: TokenAuthority | None = current_app.extensions["conductor_auth"]
    if auth is None:
        # No authentication here: clients take a 404 to mean "no token needed".
        return json_response(error_body(404, "Authentication is not enabled"), 404)
    f = Fields(json_body(), "body")
    return json_response({"token": auth.issue(f.data.get("keyId"), f.data.get("keySecret"))})


@api.get("/health")
def health() -> Response:
    return json_response(HEALTHY)


# -- tasks (poll, batch_poll, update_task and update_task_v2: see fake_server.hot_routes)
@api.get("/tasks/poll/<task_type>")
def poll(task_type: str) -> Response:
    task = engine().poll(task_type, request.args.get("workerid"), domain_arg())
    return empty_response(204) if task is None else json_response(task)


@api.get("/tasks/poll/batch/<task_type>")
def batch_poll(task_type: str) -> Response:
    tasks = engine().batch_poll(
        task_type,
        request.args.get("workerid"),
        domain_arg(),
        count=int_arg("count", BATCH_POLL_DEFAULT_COUNT),
        timeout_ms=int_arg("timeout", BATCH_POLL_DEFAULT_TIMEOUT_MS),
    )
    return json_response(tasks)


@api.post("/tasks")
def update_task() -> Response:
    return text_response(engine().update_task(json_body()))


@api.post("/tasks/update-v2")
def update_task_v2() -> Response:
    task = engine().update_task_v2(json_body())
    return empty_response(204) if task is None else json_response(task)


@api.get("/tasks/<task_id>")
def get_task(task_id: str) -> Response:
    return json_response(engine().get_task(task_id))


@api.post("/tasks/<task_id>/log")
def add_task_log(task_id: str) -> Response:
    raw = request.get_data(as_text=True)
    line = raw
    if request.mimetype == "application/json":
        # Generated clients send the line JSON-encoded ("..."); keep its text.
        try:
            decoded = json.loads(raw)
        except ValueError:
            decoded = None
        if isinstance(decoded, str):
            line = decoded
    engine().add_task_log(task_id, line)
    return empty_response()


@api.get("/tasks/<task_id>/log")
def get_task_logs(task_id: str) -> Response:
    return json_response(engine().get_task_logs(task_id))


@api.get("/tasks/queue/sizes")
def queue_sizes() -> Response:
    return json_response(engine().queue_sizes(request.args.getlist("taskType")))


@api.get("/tasks/queue/all")
def all_queue_sizes() -> Response:
    return json_response(engine().all_queue_sizes())


@api.get("/tasks/queue/polldata")
def poll_data() -> Response:
    task_type = request.args.get("taskType")
    if not task_type:
        raise invalid("taskType", "query parameter is required")
    return json_response(engine().poll_data(task_type))


@api.get("/tasks/queue/polldata/all")
def all_poll_data() -> Response:
    return json_response(engine().all_poll_data())


# -- metadata
@api.post("/metadata/taskdefs")
def register_task_defs() -> Response:
    engine().register_task_defs(json_body())
    return empty_response()


@api.put("/metadata/taskdefs")
def update_task_def() -> Response:
    engine().update_task_def(json_body())
    return empty_response()


@api.get("/metadata/taskdefs")
def list_task_defs() -> Response:
    return json_response(engine().list_task_defs())


@api.get("/metadata/taskdefs/<name>")
def get_task_def(name: str) -> Response:
    return json_response(engine().get_task_def(name))


@api.delete("/metadata/taskdefs/<name>")
def delete_task_def(name: str) -> Response:
    engine().delete_task_def(name)
    return empty_response()


@api.post("/metadata/workflow")
def register_workflow_def() -> Response:
    if bool_arg("overwrite", False):
        engine().upsert_workflow_defs([json_body()])
    else:
        engine().register_workflow_def(json_body())
    return empty_response()


@api.put("/metadata/workflow")
def upsert_workflow_defs() -> Response:
    stored = engine().upsert_workflow_defs(json_body())
    names = [workflow_def.name for workflow_def in stored]
    return json_response({"bulkErrorResults": {}, "bulkSuccessfulResults": names})


@api.get("/metadata/workflow")
def list_workflow_defs() -> Response:
    return json_response(engine().list_workflow_defs())


@api.get("/metadata/workflow/<name>")
def get_workflow_def(name: str) -> Response:
    return json_response(engine().get_workflow_def(name, int_arg("version")))


@api.delete("/metadata/workflow/<name>/<int:version>")
def delete_workflow_def(name: str, version: int) -> Response:
    engine().delete_workflow_def(name, version)
    return empty_response()


# -- workflows
@api.post("/workflow")
def start_workflow() -> Response:
    return text_response(engine().start_workflow(json_body()))


@api.post("/workflow/<name>")
def start_workflow_by_name(name: str) -> Response:
    workflow_id = engine().start_workflow_by_name(
        name,
        json_body(required=False) or {},
        version=int_arg("version"),
        correlation_id=request.args.get("correlationId"),
        priority=int_arg("priority"),
    )
    return text_response(workflow_id)


@api.get("/workflow/<workflow_id>")
def get_workflow(workflow_id: str) -> Response:
    include_tasks = bool_arg("includeTasks", True)
    return json_response(engine().get_workflow(workflow_id, include_tasks))


@api.delete("/workflow/<workflow_id>")
def terminate_workflow(workflow_id: str) -> Response:
    engine().terminate_workflow(workflow_id, request.args.get("reason"))
    return empty_response()
