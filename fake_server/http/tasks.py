"""Handlers of the task routes: polls, updates, a task, its logs, queue sizes, poll data."""

from __future__ import annotations

import json
import uuid

from fake_server.engine import signals
from fake_server.engine.errors import NotFoundError, invalid
from fake_server.http.wire import (
    BATCH_POLL_DEFAULT_COUNT,
    BATCH_POLL_DEFAULT_TIMEOUT_MS,
    EMPTY,
    LONG,
    NO_CONTENT,
    Context,
    Reply,
    Request,
    domain_arg,
    int_arg,
    json_body,
    json_reply,
    required_arg,
    text_reply,
)

# What this project's SDK sends as its process (see poll_source); a longer value is cut.
PROCESS_HEADER = "X-Conductor-Process"
MAX_PROCESS_LENGTH = 40


def poll(ctx: Context, request: Request, task_type: str) -> Reply:
    task = ctx.engine.poll(
        task_type, request.arg("workerid"), domain_arg(request), source=poll_source(request)
    )
    return NO_CONTENT if task is None else json_reply(task)


def batch_poll(ctx: Context, request: Request, task_type: str) -> Reply:
    tasks = ctx.engine.batch_poll(
        task_type,
        request.arg("workerid"),
        domain_arg(request),
        count=int_arg(request, "count", BATCH_POLL_DEFAULT_COUNT),
        timeout_ms=int_arg(request, "timeout", BATCH_POLL_DEFAULT_TIMEOUT_MS),
        source=poll_source(request),
    )
    return json_reply(tasks)


def poll_source(request: Request) -> str:
    """Where a poll came from, to tell worker processes apart (the console's workers page):
    processes of one host share their worker id (the host name by default). The address, and
    the process id this project's SDK sends (``X-Conductor-Process``); without it (another
    SDK), the connection's port when the HTTP server says it (waitress does, granian not)."""
    address = request.environ.get("REMOTE_ADDR") or "?"
    process = (request.header(PROCESS_HEADER) or "").strip()[:MAX_PROCESS_LENGTH]
    if process:
        return f"{address} pid {process}"
    port = request.environ.get("REMOTE_PORT")
    return f"{address}:{port}" if port else str(address)


def update(ctx: Context, request: Request) -> Reply:
    """``POST /tasks``: the task id, as text."""
    result = json_body(request)
    return text_reply(ctx.engine.update_task(result, len(request.body())))


def update_v2(ctx: Context, request: Request) -> Reply:
    """``POST /tasks/update-v2``: the worker's next task of the same type, or 204."""
    result = json_body(request)
    task = ctx.engine.update_task_v2(result, len(request.body()), source=poll_source(request))
    return NO_CONTENT if task is None else json_reply(task)


def get_task(ctx: Context, request: Request, task_id: str) -> Reply:
    """``GET /tasks/{taskId}``; 404 in TaskResource.getTask's words for an unknown one."""
    try:
        return json_reply(ctx.engine.get_task(task_id))
    except NotFoundError:
        raise NotFoundError(f"Task not found for taskId: {task_id}") from None


def add_log(ctx: Context, request: Request, task_id: str) -> Reply:
    line = request.text()
    if request.mimetype == "application/json":
        # Generated clients send the line JSON-encoded ("..."); keep its text.
        try:
            decoded = json.loads(line)
        except ValueError:
            decoded = None
        if isinstance(decoded, str):
            line = decoded
    ctx.engine.add_task_log(task_id, line)
    return EMPTY


def get_logs(ctx: Context, request: Request, task_id: str) -> Reply:
    """The task's logs; 204 when there are none (TaskResource.getTaskLogs)."""
    logs = ctx.engine.get_task_logs(task_id)
    return json_reply(logs) if logs else NO_CONTENT


def update_by_reference(
    ctx: Context, request: Request, workflow_id: str, reference_name: str, status: str
) -> Reply:
    """``POST /tasks/{workflowId}/{taskRefName}/{status}``: the body is output to merge; the
    task id as text (empty when no such task is pending, as Conductor answers)."""
    task_id = ctx.engine.update_task_by_reference(
        workflow_id, reference_name, status, json_body(request), request.arg("workerid")
    )
    return text_reply(task_id or "")


def update_by_reference_sync(
    ctx: Context, request: Request, workflow_id: str, reference_name: str, status: str
) -> Reply:
    """The same, answering with the workflow (and tasks); 404 when no such task is pending."""
    task_id = ctx.engine.update_task_by_reference(
        workflow_id, reference_name, status, json_body(request), request.arg("workerid")
    )
    if task_id is None:
        raise NotFoundError(
            f"Found no running task {reference_name} of workflow {workflow_id} to update"
        )
    return json_reply(ctx.engine.get_workflow(workflow_id, True))


def signal(ctx: Context, request: Request, workflow_id: str, status: str) -> Reply:
    """``POST /tasks/{workflowId}/{status}/signal`` (TaskResource.signalWorkflowTaskAsync):
    the workflow's blocked task (its first open WAIT, in it or a running sub-workflow) gets
    ``status`` and the body merged into its output; 200 without a body, whether or not a task
    was blocked."""
    ctx.engine.signal_task(workflow_id, status, json_body(request, required=False))
    return EMPTY


def signal_sync(ctx: Context, request: Request, workflow_id: str, status: str) -> Reply:
    """``POST /tasks/{workflowId}/{status}/signal/sync``: the same, then wait up to
    ``timeoutMillis`` (5000) for the workflow to end or block again and answer a
    SignalResponse shaped by ``returnStrategy``; 404 when nothing was blocked."""
    strategy = signals.return_strategy(request.arg("returnStrategy"))
    timeout_ms = int_arg(request, "timeoutMillis", signals.DEFAULT_SIGNAL_WAIT_MS, java_type=LONG)
    task_id = ctx.engine.signal_task(workflow_id, status, json_body(request, required=False))
    if task_id is None:
        raise NotFoundError(f"Found no blocked task in workflow {workflow_id} to signal")
    answer = ctx.engine.await_signal_response(
        workflow_id, [], strategy, str(uuid.uuid4()), timeout_ms / 1000
    )
    return json_reply(answer)


def queue_size(ctx: Context, request: Request) -> Reply:
    """``GET /tasks/queue/size?taskType=&domain=``: one number."""
    task_type = required_arg(request, "taskType")
    return json_reply(ctx.engine.queue_size(task_type, request.arg("domain")))


def queue_sizes(ctx: Context, request: Request) -> Reply:
    return json_reply(ctx.engine.queue_sizes(request.arg_list("taskType")))


def all_queue_sizes(ctx: Context, request: Request) -> Reply:
    return json_reply(ctx.engine.all_queue_sizes())


def all_queue_details(ctx: Context, request: Request) -> Reply:
    """``GET /tasks/queue/all/verbose``: ``{queue: {shard: {"size", "uacked"}}}``."""
    return json_reply(ctx.engine.all_queue_details())


def requeue_pending(ctx: Context, request: Request, task_type: str) -> Reply:
    """``POST /tasks/queue/requeue/{taskType}``: how many tasks were requeued, as text."""
    return text_reply(str(ctx.engine.requeue_pending_tasks(task_type)))


def poll_data(ctx: Context, request: Request) -> Reply:
    task_type = required_arg(request, "taskType")
    if not task_type:  # TaskService.getPollData's @NotEmpty
        raise invalid("taskType", "TaskType cannot be null or empty.", task_type)
    return json_reply(ctx.engine.poll_data(task_type))


def all_poll_data(ctx: Context, request: Request) -> Reply:
    return json_reply(ctx.engine.all_poll_data())
