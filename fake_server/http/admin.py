"""Handlers of the test-only admin API, at the server root under ``/fake/`` (never ``/api``).

Tests and the harness use it to set up and inspect the fake server; a worker SDK never calls it.
When the server requires tokens, it needs one too (``X-Authorization``). Errors use Conductor's
error body; being the fake's own API, it answers every client mistake (malformed JSON included)
with 400 and a ``message`` that names the field and what fits (see
:mod:`fake_server.http.errors`).

``POST /fake/reset``
    Drop all state: definitions, workflows, tasks, queues, poll data, stats -> ``{"reset": true}``.

``POST /fake/tasks`` with ``{"taskType": "t", "count": 1, "domain": "d", "input": {...}}``
    Queue ``count`` (1..100000, default 1) SCHEDULED tasks of type ``t`` that belong to no
    workflow; ``domain`` and ``input`` are optional -> ``{"taskIds": [...],
    "workflowInstanceId": "adhoc-..."}``. The tasks share that synthetic
    ``workflowInstanceId``; the task you poll carries it, and updates send it back as usual.
    The task definition of ``t`` (if registered) applies: retries, timeouts, limits.

``POST /fake/workflows`` with ``{"request": {StartWorkflowRequest}, "count": 1}``
    Start ``count`` (1..100000, default 1) workflows of that request in one go, as ``POST
    /api/workflow`` would one at a time -> ``{"workflowIds": [...]}`` (what a benchmark
    pre-loads its queue with).

``GET /fake/clock`` -> ``{"now": ms, "manual": bool}``, and on a server started with time
    skipping ``"timeSkipping": {"enabled", "skips",
    "skippedMs", "lastSkip": null | {"from", "to", "reason"}, "underWay": null | "what keeps
    real time running", "nextTimer": null | {"dueTime", "what"}}``.

``POST /fake/clock/advance`` with ``{"ms": N}`` or ``{"seconds": S}``
    Move a manual or time-skipping clock forward and fire what comes due -> ``{"now": ms}``.
    A server on the system clock answers 409 (its time cannot be moved).

``POST /fake/clock/time-skipping`` with ``{"enabled": bool}``
    Switch time skipping on or off -> ``{"enabled": bool, "wasEnabled": bool}``. With it on,
    whenever nothing is under way (no task held by a worker, none ready to hand out) the clock
    jumps to the next timer (a retry delay, a callback, a start delay, a limit's push-back, a
    WAIT, a timeout). A server started without time skipping answers 409.

``GET /fake/stats``
    ``{"now", "tasks": n, "workflows": {status: n},
    "queues": {queue: {"scheduled", "inProgress", "completed", "failed", "timedOut", "canceled"}},
    "workers": {workerId: {"polls", "tasksHandedOut", "lastPollTime", "pollsByQueue"}},
    "pickupLatencyMs": {"all": summary, "byQueue": {queue: summary}}}`` (and ``"timeSkipping"``
    as in ``/fake/clock`` on a server started with time skipping) where a summary is
    ``{"count", "p50", "p95", "p99", "max", "mean"}`` (ms, ``null`` without samples) of the time
    from a task becoming ready (scheduled, or due after a delay or callback) to its hand-out.
    A queue is ``taskType`` or ``domain:taskType``; ``failed`` counts FAILED,
    FAILED_WITH_TERMINAL_ERROR and COMPLETED_WITH_ERRORS tasks; a worker without an id is ``""``.
    Also ``"retention": {"seconds", "removedWorkflows", "removedTasks", "removedWorkers",
    "removedStatusNotifications", "removedEvents", "removedStrayLogs"}`` (``seconds`` null:
    everything is kept) and the serving process's ``"memory": {"rssMb", "pythonBlocks",
    "cHeapInUseMb", "cHeapFreeMb"}`` (see :mod:`fake_server.process_memory`).

``GET /fake/state``
    Everything: ``{"now", "clock": "manual"|"system", "taskDefs", "workflowDefs", "workflows"
    (each with "taskIds"), "tasks" (each with "logs", and "readyTime" while queued),
    "queues": {queue: [task ids in hand-out order]}, "pollData", "events"}``.

``GET /fake/events``
    The messages EVENT tasks published (the fake server has no broker), oldest first:
    ``[{"queue", "messageId", "payload", "publishedTime"}]``.

``GET /fake/diagnose``
    The tasks that are not moving, and why: ``{"now", "findings": [{"cause", "message",
    "taskId", "taskType", "referenceTaskName", "status", "domain", "workflowId",
    "workflowName", "correlationId", "dueTime", "didYouMean"}], "polledQueues": {queue: ms}}``
    (see :mod:`fake_server.engine.diagnosis` for the causes).

``GET /fake/faults``; ``POST /fake/faults`` with a rule; ``DELETE /fake/faults`` (all);
``DELETE /fake/faults/<id>``; ``POST /fake/faults/seed`` with ``{"seed": n}``
    Faults injected on purpose into the API (see :mod:`fake_server.http.faults`). A rule is
    ``{"kind": "error"|"latency"|"hang"|"duplicate", "route": name or "*" | "path": glob,
    "probability": 0..1, "times": n}`` plus ``"status"`` and ``"after"`` (error), ``"ms"``
    (latency) or ``"seconds"`` (hang) -> 201 with the rule and its ``id``. The plan
    ``{"seed", "rules": [... "matched", "injected", "timesLeft"], "outages", "outage"}`` is also
    in ``/fake/stats`` under ``"faults"``. A reset clears it.

``POST /fake/faults/outage`` with ``{"seconds": s, "mode": "refuse"|"reset"}``
    Connections fail for ``s`` seconds, starting 0.1 s after the answer (202): refused (the
    port stops listening) or reset, the same on every HTTP server (see
    :mod:`fake_server.outage`).
"""

from __future__ import annotations

from typing import Any

from fake_server import process_memory
from fake_server.engine.errors import NotFoundError, invalid
from fake_server.engine.validation import Fields
from fake_server.http.faults import parse_outage
from fake_server.http.wire import Context, Reply, Request, json_body, json_reply


def reset(ctx: Context, request: Request) -> Reply:
    ctx.engine.reset()
    ctx.faults.clear()
    return json_reply({"reset": True})


def enqueue_tasks(ctx: Context, request: Request) -> Reply:
    f = Fields(json_body(request), "body")
    task_ids = ctx.engine.enqueue_tasks(
        f.string("taskType", required=True),
        f.integer("count", default=1),
        domain=f.string("domain"),
        task_input=f.obj("input", default={}),
    )
    workflow_instance_id = ctx.engine.get_task(task_ids[0])["workflowInstanceId"]
    return json_reply({"taskIds": task_ids, "workflowInstanceId": workflow_instance_id})


def start_workflows(ctx: Context, request: Request) -> Reply:
    """``POST /fake/workflows`` with ``{"request": StartWorkflowRequest, "count": N}``: N
    workflows started in one go; their ids."""
    f = Fields(json_body(request), "body")
    workflow_ids = ctx.engine.start_workflows(
        f.obj("request", default={}), f.integer("count", default=1), len(request.body())
    )
    return json_reply({"workflowIds": workflow_ids})


def clock(ctx: Context, request: Request) -> Reply:
    body: dict[str, Any] = {"now": ctx.engine.now_ms(), "manual": ctx.engine.clock.is_manual}
    skipping = ctx.engine.time_skipping()
    if skipping is not None:
        body["timeSkipping"] = skipping
    return json_reply(body)


def advance_clock(ctx: Context, request: Request) -> Reply:
    f = Fields(json_body(request), "body")
    ms = f.number("ms", default=-1.0, minimum=0)
    seconds = f.number("seconds", default=-1.0, minimum=0)
    if (ms < 0) == (seconds < 0):
        raise invalid("body", "give exactly one of 'ms' or 'seconds' (a number >= 0)")
    now = ctx.engine.advance_clock(ms if ms >= 0 else seconds * 1000)
    return json_reply({"now": now})


def time_skipping(ctx: Context, request: Request) -> Reply:
    enabled = Fields(json_body(request), "body").boolean("enabled", required=True)
    was_enabled = ctx.engine.set_time_skipping(enabled)
    return json_reply({"enabled": enabled, "wasEnabled": was_enabled})


def stats(ctx: Context, request: Request) -> Reply:
    memory = process_memory.figures()
    return json_reply({**ctx.engine.stats(), "faults": ctx.faults.to_json(), "memory": memory})


def state(ctx: Context, request: Request) -> Reply:
    return json_reply(ctx.engine.snapshot())


def events(ctx: Context, request: Request) -> Reply:
    return json_reply(ctx.engine.published_events())


def status_notifications(ctx: Context, request: Request) -> Reply:
    """``GET /fake/status-notifications``: what the workflow status listener of definitions
    with ``workflowStatusListenerEnabled`` was told, oldest first (see
    :mod:`fake_server.engine.status_listener`)."""
    return json_reply(ctx.engine.status_notifications())


def diagnose(ctx: Context, request: Request) -> Reply:
    return json_reply(ctx.engine.diagnose())


# -- faults (see fake_server.http.faults) ---------------------------------------------------------
def faults(ctx: Context, request: Request) -> Reply:
    return json_reply(ctx.faults.to_json())


def add_fault(ctx: Context, request: Request) -> Reply:
    return json_reply(ctx.faults.add(json_body(request), ctx.api_route_names), 201)


def clear_faults(ctx: Context, request: Request) -> Reply:
    ctx.faults.clear()
    return json_reply(ctx.faults.to_json())


def remove_fault(ctx: Context, request: Request, rule_id: int) -> Reply:
    if not ctx.faults.remove(rule_id):
        raise NotFoundError(f"No such fault rule: {rule_id}")
    return json_reply(ctx.faults.to_json())


def seed_faults(ctx: Context, request: Request) -> Reply:
    seed = Fields(json_body(request), "body").integer("seed")
    if seed is None:
        raise invalid("body.seed", "is required (an integer)")
    ctx.faults.set_seed(seed)
    return json_reply(ctx.faults.to_json())


def outage(ctx: Context, request: Request) -> Reply:
    mode, seconds = parse_outage(json_body(request))
    ctx.faults.begin_outage(mode, seconds)
    return json_reply({"outage": mode, "seconds": seconds}, 202)
