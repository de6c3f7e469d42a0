"""What the engine shows of itself: queue sizes, poll data, the admin API's stats and state."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fake_server.engine.clock import Clock, SkippingClock
from fake_server.engine.state import EngineState


def poll_data(state: EngineState, task_type: str | None = None) -> list[dict[str, Any]]:
    """Conductor's poll data: who last polled each queue (of ``task_type``, or all), when."""
    return [
        _poll_data_json(state, key)
        for key in state.poll_data
        if task_type is None or key[0] == task_type
    ]


def _poll_data_json(state: EngineState, key: tuple[str, str | None]) -> dict[str, Any]:
    task_type, domain = key
    body = {"queueName": task_type, "domain": domain, **state.poll_data[key]}
    return {name: value for name, value in body.items() if value is not None}


# The one shard of every queue, as Conductor's database queues name theirs.
QUEUE_SHARD = "a"


def queue_details_verbose(state: EngineState) -> dict[str, dict[str, dict[str, int]]]:
    """``GET /tasks/queue/all/verbose``: per queue, its one shard's ``size`` and ``uacked``
    (QueueDAO.queuesDetailVerbose). ``uacked`` counts messages popped and not yet acknowledged:
    Conductor acknowledges a task as the poll hands it out, and the fake does both at once, so
    there are never any."""
    return {
        queue: {QUEUE_SHARD: {"size": size, "uacked": 0}}
        for queue, size in state.queues.sizes().items()
    }


def stats(state: EngineState) -> dict[str, Any]:
    """The admin API's counters (see :mod:`fake_server.http.admin`)."""
    workflows: dict[str, int] = defaultdict(int)
    for workflow in state.workflows.values():
        workflows[workflow.status] += 1
    return {
        "now": state.now_ms(),
        "queues": {queue: dict(counts) for queue, counts in state.queue_counts.items()},
        "workers": {worker_id: s.to_json() for worker_id, s in state.workers.items()},
        "processes": [
            {"workerId": worker_id, "source": source, **s.to_json()}
            for (worker_id, source), s in state.processes.items()
        ],
        "pickupLatencyMs": state.latencies.to_json(),
        "workflows": dict(workflows),
        "tasks": len(state.tasks),
    }


def clock_kind(clock: Clock) -> str:
    """``"manual"``, ``"time-skipping"`` or ``"system"``."""
    if clock.is_manual:
        return "manual"
    return "time-skipping" if isinstance(clock, SkippingClock) else "system"


def workflow_summaries(state: EngineState) -> list[dict[str, Any]]:
    """Every workflow without its tasks, oldest first (what the console lists)."""
    return [workflow.to_json(None) for workflow in state.workflows.values()]


def snapshot(state: EngineState) -> dict[str, Any]:
    """Everything the engine holds, as JSON."""
    tasks = []
    for task in state.tasks.values():
        body = task.to_json()
        body["logs"] = list(task.logs)
        if task.queued:
            body["readyTime"] = task.ready_ms
        tasks.append(body)
    workflows = []
    for workflow in state.workflows.values():
        body = workflow.to_json(None)
        body["taskIds"] = list(workflow.task_ids)
        workflows.append(body)
    return {
        "now": state.now_ms(),
        "clock": clock_kind(state.clock),
        "taskDefs": [task_def.to_json() for task_def in state.task_defs.values()],
        "workflowDefs": [
            d.to_json() for versions in state.workflow_defs.values() for d in versions.values()
        ],
        "workflows": workflows,
        "tasks": tasks,
        "queues": {name: state.queues.contents(name) for name in state.queues.sizes()},
        "pollData": poll_data(state),
        "events": list(state.events),
    }
