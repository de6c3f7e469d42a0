"""Conductor OSS's REST API, route by route, as its controllers declare it (conductor-oss/
conductor, ``rest/.../controllers/*Resource.java`` and the scheduler module's), and why the fake
refuses the routes it does not answer.

The routing table (:mod:`fake_server.http.routes`) answers a route of this list by a handler,
or refuses it with a 400 "not supported by the fake server: <reason>" (a user must not be told
"no such route" for a route Conductor has); ``docs/coverage.md`` is generated from both
(:mod:`fake_server.http.coverage`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConductorRoute:
    resource: str  # the controller class
    method: str
    path: str  # in Spring's syntax: {name} a path segment
    # Why the fake refuses it; None for a route the routing table answers.
    refused: str | None = None

    @property
    def werkzeug_path(self) -> str:
        return self.path.replace("{", "<").replace("}", ">")


BROKER = "needs a message broker (event queues), which the fake server does not have"
BULK = "bulk operations are not built: call the route for one workflow, once per workflow"
EXTERNAL_STORAGE = (
    "external payload storage is not supported: payloads stay inline (sizes over Conductor's "
    "limits are refused as Conductor refuses them)"
)
FILES = "workflow-scoped files need a file store, which the fake server does not have"
SCHEDULER = "schedules (Conductor's scheduler module) are not supported"
NOT_BUILT = "not built yet"

_A, _EN, _EV, _H = "AdminResource", "EnvironmentResource", "EventResource", "HealthCheckResource"
_M, _Q, _S, _T = "MetadataResource", "QueueAdminResource", "SecretResource", "TaskResource"
_WB, _WM, _W = "WorkflowBulkResource", "WorkflowMessageQueueResource", "WorkflowResource"
_F, _V, _SC, _SB = "FileResource", "VersionResource", "SchedulerResource", "SchedulerBulkResource"

ROUTES: tuple[ConductorRoute, ...] = (
    ConductorRoute(_H, "GET", "/health"),
    ConductorRoute(_H, "GET", "/api/health"),
    # WorkflowResource
    ConductorRoute(_W, "POST", "/api/workflow"),
    ConductorRoute(_W, "POST", "/api/workflow/{name}"),
    ConductorRoute(_W, "POST", "/api/workflow/execute/{name}/{version}"),
    ConductorRoute(_W, "GET", "/api/workflow/{name}/correlated/{correlationId}"),
    ConductorRoute(_W, "POST", "/api/workflow/{name}/correlated"),
    ConductorRoute(_W, "GET", "/api/workflow/{workflowId}/tasks"),
    ConductorRoute(_W, "GET", "/api/workflow/{workflowId}"),
    ConductorRoute(_W, "GET", "/api/workflow/{workflowId}/status"),
    ConductorRoute(_W, "DELETE", "/api/workflow/{workflowId}/remove"),
    ConductorRoute(_W, "GET", "/api/workflow/running/{name}"),
    ConductorRoute(
        _W,
        "PUT",
        "/api/workflow/decide/{workflowId}",
        "the fake decides a workflow whenever something changes it; there is no decider queue",
    ),
    ConductorRoute(_W, "PUT", "/api/workflow/{workflowId}/pause"),
    ConductorRoute(_W, "PUT", "/api/workflow/{workflowId}/resume"),
    ConductorRoute(_W, "PUT", "/api/workflow/{workflowId}/skiptask/{taskReferenceName}"),
    ConductorRoute(_W, "POST", "/api/workflow/{workflowId}/rerun"),
    ConductorRoute(_W, "POST", "/api/workflow/{workflowId}/restart"),
    ConductorRoute(_W, "POST", "/api/workflow/{workflowId}/retry"),
    ConductorRoute(_W, "POST", "/api/workflow/{workflowId}/resetcallbacks"),
    ConductorRoute(_W, "DELETE", "/api/workflow/{workflowId}"),
    ConductorRoute(_W, "DELETE", "/api/workflow/{workflowId}/terminate-remove"),
    ConductorRoute(_W, "GET", "/api/workflow/search"),
    ConductorRoute(_W, "GET", "/api/workflow/search-v2", NOT_BUILT),
    ConductorRoute(_W, "GET", "/api/workflow/search-by-tasks", NOT_BUILT),
    ConductorRoute(_W, "GET", "/api/workflow/search-by-tasks-v2", NOT_BUILT),
    ConductorRoute(_W, "GET", "/api/workflow/externalstoragelocation", EXTERNAL_STORAGE),
    ConductorRoute(_W, "GET", "/api/workflow/external-storage-location", EXTERNAL_STORAGE),
    ConductorRoute(_W, "POST", "/api/workflow/test"),
    # WorkflowMessageQueueResource
    ConductorRoute(
        _WM,
        "POST",
        "/api/workflow/{workflowId}/messages",
        "workflow message queues (PULL_WORKFLOW_MESSAGES tasks) are not supported",
    ),
    # WorkflowBulkResource
    ConductorRoute(_WB, "PUT", "/api/workflow/bulk/pause", BULK),
    ConductorRoute(_WB, "PUT", "/api/workflow/bulk/resume", BULK),
    ConductorRoute(_WB, "POST", "/api/workflow/bulk/restart", BULK),
    ConductorRoute(_WB, "POST", "/api/workflow/bulk/retry", BULK),
    ConductorRoute(_WB, "POST", "/api/workflow/bulk/terminate", BULK),
    ConductorRoute(_WB, "DELETE", "/api/workflow/bulk/remove", BULK),
    ConductorRoute(_WB, "DELETE", "/api/workflow/bulk/terminate-remove", BULK),
    ConductorRoute(_WB, "POST", "/api/workflow/bulk/search", BULK),
    # TaskResource
    ConductorRoute(_T, "GET", "/api/tasks/poll/{tasktype}"),
    ConductorRoute(_T, "GET", "/api/tasks/poll/batch/{tasktype}"),
    ConductorRoute(_T, "POST", "/api/tasks"),
    ConductorRoute(_T, "POST", "/api/tasks/update-v2"),
    ConductorRoute(_T, "POST", "/api/tasks/{workflowId}/{taskRefName}/{status}"),
    ConductorRoute(_T, "POST", "/api/tasks/{workflowId}/{taskRefName}/{status}/sync"),
    ConductorRoute(_T, "POST", "/api/tasks/{workflowId}/{status}/signal"),
    ConductorRoute(_T, "POST", "/api/tasks/{workflowId}/{status}/signal/sync"),
    ConductorRoute(_T, "POST", "/api/tasks/{taskId}/log"),
    ConductorRoute(_T, "GET", "/api/tasks/{taskId}/log"),
    ConductorRoute(_T, "GET", "/api/tasks/{taskId}"),
    ConductorRoute(_T, "GET", "/api/tasks/queue/sizes"),
    ConductorRoute(_T, "GET", "/api/tasks/queue/size"),
    ConductorRoute(_T, "GET", "/api/tasks/queue/all/verbose"),
    ConductorRoute(_T, "GET", "/api/tasks/queue/all"),
    ConductorRoute(_T, "GET", "/api/tasks/queue/polldata"),
    ConductorRoute(_T, "GET", "/api/tasks/queue/polldata/all"),
    ConductorRoute(_T, "POST", "/api/tasks/queue/requeue/{taskType}"),
    ConductorRoute(_T, "GET", "/api/tasks/search", NOT_BUILT),
    ConductorRoute(_T, "GET", "/api/tasks/search-v2", NOT_BUILT),
    ConductorRoute(_T, "GET", "/api/tasks/externalstoragelocation", EXTERNAL_STORAGE),
    ConductorRoute(_T, "GET", "/api/tasks/external-storage-location", EXTERNAL_STORAGE),
    # MetadataResource
    ConductorRoute(_M, "POST", "/api/metadata/workflow"),
    ConductorRoute(_M, "POST", "/api/metadata/workflow/validate"),
    ConductorRoute(_M, "PUT", "/api/metadata/workflow"),
    ConductorRoute(_M, "GET", "/api/metadata/workflow/{name}"),
    ConductorRoute(_M, "GET", "/api/metadata/workflow"),
    ConductorRoute(_M, "GET", "/api/metadata/workflow/names-and-versions"),
    ConductorRoute(_M, "GET", "/api/metadata/workflow/names"),
    ConductorRoute(_M, "GET", "/api/metadata/workflow/{name}/versions"),
    ConductorRoute(_M, "GET", "/api/metadata/workflow/latest-versions"),
    ConductorRoute(_M, "DELETE", "/api/metadata/workflow/{name}/{version}"),
    ConductorRoute(_M, "POST", "/api/metadata/taskdefs"),
    ConductorRoute(_M, "PUT", "/api/metadata/taskdefs"),
    ConductorRoute(_M, "GET", "/api/metadata/taskdefs"),
    ConductorRoute(_M, "GET", "/api/metadata/taskdefs/{tasktype}"),
    ConductorRoute(_M, "DELETE", "/api/metadata/taskdefs/{tasktype}"),
    # EventResource
    ConductorRoute(_EV, "POST", "/api/event", BROKER),
    ConductorRoute(_EV, "PUT", "/api/event", BROKER),
    ConductorRoute(_EV, "DELETE", "/api/event/{name}", BROKER),
    ConductorRoute(_EV, "GET", "/api/event", BROKER),
    ConductorRoute(_EV, "GET", "/api/event/{event}", BROKER),
    # QueueAdminResource
    ConductorRoute(_Q, "GET", "/api/queue/size", BROKER),
    ConductorRoute(_Q, "GET", "/api/queue/", BROKER),
    ConductorRoute(_Q, "POST", "/api/queue/update/{workflowId}/{taskRefName}/{status}", BROKER),
    ConductorRoute(_Q, "POST", "/api/queue/update/{workflowId}/task/{taskId}/{status}", BROKER),
    # AdminResource
    ConductorRoute(
        _A,
        "GET",
        "/api/admin/config",
        "the fake server's configuration is its own options (fake-conductor --help)",
    ),
    ConductorRoute(
        _A,
        "GET",
        "/api/admin/task/{tasktype}",
        "the fake server's admin API shows queues and tasks instead: GET /fake/state",
    ),
    ConductorRoute(
        _A,
        "POST",
        "/api/admin/sweep/requeue/{workflowId}",
        "the fake decides a workflow whenever something changes it; there is no sweeper",
    ),
    ConductorRoute(
        _A,
        "POST",
        "/api/admin/consistency/verifyAndRepair/{workflowId}",
        "the fake keeps one in-memory state: its store and queues cannot drift apart",
    ),
    ConductorRoute(_A, "GET", "/api/admin/queues", BROKER),
    # EnvironmentResource, SecretResource, VersionResource
    ConductorRoute(_EN, "GET", "/api/environment", NOT_BUILT),
    ConductorRoute(_EN, "GET", "/api/environment/{key}", NOT_BUILT),
    ConductorRoute(
        _S,
        "GET",
        "/api/secrets",
        "secrets are the fake server's CONDUCTOR_SECRET_<NAME> environment variables",
    ),
    ConductorRoute(_V, "GET", "/api/version", "the fake server is not a Conductor release"),
    # FileResource
    ConductorRoute(_F, "POST", "/api/files", FILES),
    ConductorRoute(_F, "GET", "/api/files/{workflowId}/{fileId}/upload-url", FILES),
    ConductorRoute(_F, "PUT", "/api/files/content/{workflowId}/{fileId}", FILES),
    ConductorRoute(_F, "GET", "/api/files/content/{workflowId}/{fileId}", FILES),
    ConductorRoute(_F, "POST", "/api/files/{workflowId}/{fileId}/upload-complete", FILES),
    ConductorRoute(_F, "GET", "/api/files/{workflowId}/{fileId}/download-url", FILES),
    ConductorRoute(_F, "GET", "/api/files/{workflowId}/{fileId}", FILES),
    ConductorRoute(_F, "POST", "/api/files/{workflowId}/{fileId}/multipart", FILES),
    ConductorRoute(
        _F, "GET", "/api/files/{workflowId}/{fileId}/multipart/{uploadId}/part/{partNumber}", FILES
    ),
    ConductorRoute(
        _F, "POST", "/api/files/{workflowId}/{fileId}/multipart/{uploadId}/complete", FILES
    ),
    ConductorRoute(_F, "DELETE", "/api/files/{workflowId}/{fileId}/multipart/{uploadId}", FILES),
    # SchedulerResource, SchedulerBulkResource
    ConductorRoute(_SC, "POST", "/api/scheduler/schedules", SCHEDULER),
    ConductorRoute(_SC, "GET", "/api/scheduler/schedules", SCHEDULER),
    ConductorRoute(_SC, "GET", "/api/scheduler/schedules/search", SCHEDULER),
    ConductorRoute(_SC, "GET", "/api/scheduler/schedules/{name}", SCHEDULER),
    ConductorRoute(_SC, "DELETE", "/api/scheduler/schedules/{name}", SCHEDULER),
    ConductorRoute(_SC, "PUT", "/api/scheduler/schedules/{name}/pause", SCHEDULER),
    ConductorRoute(_SC, "PUT", "/api/scheduler/schedules/{name}/resume", SCHEDULER),
    ConductorRoute(_SC, "GET", "/api/scheduler/nextFewSchedules", SCHEDULER),
    ConductorRoute(_SC, "GET", "/api/scheduler/admin/requeue", SCHEDULER),
    ConductorRoute(_SC, "GET", "/api/scheduler/admin/pause", SCHEDULER),
    ConductorRoute(_SC, "GET", "/api/scheduler/admin/resume", SCHEDULER),
    ConductorRoute(_SC, "GET", "/api/scheduler/search/executions", SCHEDULER),
    ConductorRoute(_SB, "PUT", "/api/scheduler/bulk/pause", SCHEDULER),
    ConductorRoute(_SB, "PUT", "/api/scheduler/bulk/resume", SCHEDULER),
)
