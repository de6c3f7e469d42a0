"""The routing table: every route of the fake server, once, with the handler that answers it.

A route is a method, a path in werkzeug's rule syntax (``<name>`` a path segment,
``<int:name>`` a number; each becomes a keyword argument of the handler) and a handler
``(context, request, **params) -> Reply``. When the server requires tokens, every route needs
one but those made with ``_open``: health, the token route, the console's sign-in page and its
static files (see :mod:`fake_server.http.signin`). The app answers every request from this
table (see :mod:`fake_server.http.app`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from fake_server.engine.errors import unsupported
from fake_server.http import (
    admin,
    conductor_api,
    console,
    metadata,
    signin,
    system,
    tasks,
    workflows,
)
from fake_server.http.wire import Context, Reply, Request

Handler = Callable[..., Reply]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    needs_token: bool = True

    @property
    def name(self) -> str:
        """What fault rules call the route: its handler's name (``poll``, ``batch_poll``,
        ``update``, ``update_v2``, ...)."""
        return self.handler.__name__

    @property
    def is_api(self) -> bool:
        """A route of Conductor's API (faults apply), not the admin API or the console."""
        return self.path.startswith("/api/")

    @property
    def is_page(self) -> bool:
        """A page of the console (a browser without a token goes to the sign-in page)."""
        return not self.path.startswith(("/api/", "/fake/"))

    @property
    def endpoint(self) -> str:
        """The route's name in the Flask app: ``"METHOD path"``, unique in the table."""
        return f"{self.method} {self.path}"


def _open(method: str, path: str, handler: Handler) -> Route:
    return Route(method, path, handler, needs_token=False)


ROUTES: tuple[Route, ...] = (
    # health and token
    _open("GET", "/health", system.health),
    _open("GET", "/api/health", system.health),
    _open("POST", "/api/token", system.token),
    # tasks: what a worker calls
    Route("GET", "/api/tasks/poll/<task_type>", tasks.poll),
    Route("GET", "/api/tasks/poll/batch/<task_type>", tasks.batch_poll),
    Route("POST", "/api/tasks", tasks.update),
    Route("POST", "/api/tasks/update-v2", tasks.update_v2),
    Route("GET", "/api/tasks/<task_id>", tasks.get_task),
    Route("POST", "/api/tasks/<task_id>/log", tasks.add_log),
    Route("GET", "/api/tasks/<task_id>/log", tasks.get_logs),
    Route("GET", "/api/tasks/queue/sizes", tasks.queue_sizes),
    Route("GET", "/api/tasks/queue/size", tasks.queue_size),
    Route("GET", "/api/tasks/queue/all", tasks.all_queue_sizes),
    Route("GET", "/api/tasks/queue/all/verbose", tasks.all_queue_details),
    Route("POST", "/api/tasks/queue/requeue/<task_type>", tasks.requeue_pending),
    Route("GET", "/api/tasks/queue/polldata", tasks.poll_data),
    Route("GET", "/api/tasks/queue/polldata/all", tasks.all_poll_data),
    Route("POST", "/api/tasks/<workflow_id>/<reference_name>/<status>", tasks.update_by_reference),
    Route(
        "POST",
        "/api/tasks/<workflow_id>/<reference_name>/<status>/sync",
        tasks.update_by_reference_sync,
    ),
    # the literal "signal" wins over an update by reference name, as on Conductor
    Route("POST", "/api/tasks/<workflow_id>/<status>/signal", tasks.signal),
    Route("POST", "/api/tasks/<workflow_id>/<status>/signal/sync", tasks.signal_sync),
    # metadata
    Route("POST", "/api/metadata/taskdefs", metadata.register_task_defs),
    Route("PUT", "/api/metadata/taskdefs", metadata.update_task_def),
    Route("GET", "/api/metadata/taskdefs", metadata.list_task_defs),
    Route("GET", "/api/metadata/taskdefs/<name>", metadata.get_task_def),
    Route("DELETE", "/api/metadata/taskdefs/<name>", metadata.delete_task_def),
    Route("POST", "/api/metadata/workflow", metadata.register_workflow_def),
    Route("POST", "/api/metadata/workflow/validate", metadata.validate_workflow_def),
    Route("PUT", "/api/metadata/workflow", metadata.upsert_workflow_defs),
    Route("GET", "/api/metadata/workflow", metadata.list_workflow_defs),
    Route("GET", "/api/metadata/workflow/names-and-versions", metadata.workflow_names_and_versions),
    Route("GET", "/api/metadata/workflow/names", metadata.workflow_names),
    Route("GET", "/api/metadata/workflow/latest-versions", metadata.latest_workflow_defs),
    Route("GET", "/api/metadata/workflow/<name>/versions", metadata.workflow_versions),
    Route("GET", "/api/metadata/workflow/<name>", metadata.get_workflow_def),
    Route("DELETE", "/api/metadata/workflow/<name>/<int:version>", metadata.delete_workflow_def),
    # workflows
    Route("POST", "/api/workflow", workflows.start),
    # the literal path wins over a start by name, as on Conductor
    Route("POST", "/api/workflow/test", workflows.test),
    Route("POST", "/api/workflow/execute/<name>/<version>", workflows.execute),
    Route("POST", "/api/workflow/<name>", workflows.start_by_name),
    Route("GET", "/api/workflow/<workflow_id>", workflows.get),
    Route("GET", "/api/workflow/<workflow_id>/status", workflows.status),
    Route("GET", "/api/workflow/<workflow_id>/tasks", workflows.tasks),
    Route("DELETE", "/api/workflow/<workflow_id>/terminate-remove", workflows.terminate_remove),
    Route("DELETE", "/api/workflow/<workflow_id>", workflows.terminate),
    Route("GET", "/api/workflow/search", workflows.search),
    Route("GET", "/api/workflow/running/<name>", workflows.running),
    Route("GET", "/api/workflow/<name>/correlated/<correlation_id>", workflows.correlated),
    Route("POST", "/api/workflow/<name>/correlated", workflows.correlated_batch),
    Route("POST", "/api/workflow/<workflow_id>/retry", workflows.retry),
    Route("POST", "/api/workflow/<workflow_id>/restart", workflows.restart),
    Route("POST", "/api/workflow/<workflow_id>/rerun", workflows.rerun),
    Route("PUT", "/api/workflow/<workflow_id>/pause", workflows.pause),
    Route("PUT", "/api/workflow/<workflow_id>/resume", workflows.resume),
    Route("PUT", "/api/workflow/<workflow_id>/skiptask/<reference_name>", workflows.skip_task),
    Route("POST", "/api/workflow/<workflow_id>/resetcallbacks", workflows.reset_callbacks),
    Route("DELETE", "/api/workflow/<workflow_id>/remove", workflows.remove),
    # the test-only admin API (see fake_server.http.admin)
    Route("POST", "/fake/reset", admin.reset),
    Route("POST", "/fake/tasks", admin.enqueue_tasks),
    Route("POST", "/fake/workflows", admin.start_workflows),
    Route("GET", "/fake/clock", admin.clock),
    Route("POST", "/fake/clock/advance", admin.advance_clock),
    Route("POST", "/fake/clock/time-skipping", admin.time_skipping),
    Route("GET", "/fake/stats", admin.stats),
    Route("GET", "/fake/state", admin.state),
    Route("GET", "/fake/diagnose", admin.diagnose),
    Route("GET", "/fake/faults", admin.faults),
    Route("POST", "/fake/faults", admin.add_fault),
    Route("DELETE", "/fake/faults", admin.clear_faults),
    Route("DELETE", "/fake/faults/<int:rule_id>", admin.remove_fault),
    Route("POST", "/fake/faults/seed", admin.seed_faults),
    Route("POST", "/fake/faults/outage", admin.outage),
    # the web console (see fake_server.http.console), and signing in to it
    _open("GET", "/signin", signin.form),
    _open("POST", "/signin", signin.submit),
    Route("POST", "/signout", signin.sign_out),
    Route("GET", "/", console.overview),
    Route("GET", "/workflows", console.workflows),
    Route("GET", "/workflows/<workflow_id>", console.workflow),
    Route("POST", "/workflows/<workflow_id>/actions/<action>", console.workflow_action),
    Route("GET", "/queues", console.queues),
    Route("GET", "/workers", console.workers),
    Route("GET", "/definitions", console.definitions),
    Route("GET", "/definitions/tasks", console.task_defs),
    Route("GET", "/definitions/workflows", console.workflow_defs),
    Route("GET", "/definitions/workflows/<name>", console.workflow_def),
    Route("GET", "/definitions/workflows/<name>/<int:version>", console.workflow_def),
    Route("GET", "/start", console.start_form),
    Route("POST", "/start", console.start_submit),
    Route("GET", "/diagnosis", console.diagnosis),
    Route("GET", "/faults", console.faults),
    Route("POST", "/faults", console.add_fault),
    Route("POST", "/faults/<int:rule_id>/remove", console.remove_fault),
    Route("POST", "/faults/clear", console.clear_faults),
    _open("GET", "/static/<filename>", console.static),
    Route("GET", "/fake/events", admin.events),
    Route("GET", "/fake/status-notifications", admin.status_notifications),
)


def refused_routes(answered: tuple[Route, ...]) -> tuple[Route, ...]:
    """A route for each of Conductor's that ``answered`` lacks and that the fake refuses (see
    :mod:`fake_server.http.conductor_api`): a 400 with the reason, not a 404 "no route"."""
    shapes = {(route.method, path_shape(route.path)) for route in answered}
    return tuple(
        Route(conductor.method, conductor.werkzeug_path, _refusal(conductor))
        for conductor in conductor_api.ROUTES
        if conductor.refused
        and (conductor.method, path_shape(conductor.werkzeug_path)) not in shapes
    )


def path_shape(path: str) -> str:
    """A path with its parameters unnamed: ``/api/tasks/<>`` for ``/api/tasks/<task_id>``."""
    return re.sub(r"<[^>]*>", "<>", path)


def _refusal(conductor: conductor_api.ConductorRoute) -> Handler:
    def refused(ctx: Context, request: Request, **params: str) -> Reply:
        what = f"{conductor.method} {conductor.path} ({conductor.refused})"
        raise unsupported(conductor.path, what)

    return refused


ROUTES += refused_routes(ROUTES)


def api_route_names(routes: Iterable[Route]) -> tuple[str, ...]:
    """What fault rules may name (see fake_server.http.faults): the API routes' names, but not
    the refusals of Conductor routes the fake does not answer."""
    return tuple(
        sorted({route.name for route in routes if route.is_api and route.name != "refused"})
    )
