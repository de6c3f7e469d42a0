"""The workflow status listener: what Conductor tells it, recorded where a test can read it.

A definition with ``workflowStatusListenerEnabled: true`` has Conductor call its
WorkflowStatusListener (WorkflowExecutorOps.notifyWorkflowStatusListener) when one of its
workflows starts, is paused, resumed, retried, restarted or rerun, completes, is terminated (any
end without success), and is finalized (after its open tasks were cancelled). The server's
listener is configured on the server (``conductor.workflow-status-listener.type``: a stub, an
archiver, a queue or Kafka publisher); ``workflowStatusListenerSink`` names where a publishing
listener sends it. The fake has no broker: it records each notification, in order, with the sink,
for the admin API (``GET /fake/status-notifications``) to show.
"""

from __future__ import annotations

from typing import Any

from fake_server.engine.models import Workflow
from fake_server.engine.state import EngineState

# WorkflowStatusListener.WorkflowEventType, as it is written in JSON (lower case).
EVENTS = (
    "started",
    "reran",
    "retried",
    "paused",
    "resumed",
    "restarted",
    "completed",
    "terminated",
    "finalized",
)


def enabled(workflow: Workflow) -> bool:
    return bool(workflow.definition.extra.get("workflowStatusListenerEnabled"))


def notify(state: EngineState, workflow: Workflow, event: str) -> None:
    """Record ``event`` for ``workflow`` when its definition enables the listener."""
    if not enabled(workflow):
        return
    notification: dict[str, Any] = {
        "event": event,
        "workflowId": workflow.workflow_id,
        "workflowName": workflow.definition.name,
        "workflowVersion": workflow.definition.version,
        "status": workflow.status,
        "correlationId": workflow.correlation_id,
        "sink": workflow.definition.extra.get("workflowStatusListenerSink"),
        "time": state.now_ms(),
    }
    state.status_notifications.append({k: v for k, v in notification.items() if v is not None})


def notify_end(state: EngineState, workflow: Workflow) -> None:
    """A workflow ended: ``completed`` or ``terminated`` (Conductor's terminateWorkflow serves
    every end without success), then ``finalized``."""
    if not enabled(workflow):
        return  # most definitions: no notification to build
    notify(state, workflow, "completed" if workflow.status == "COMPLETED" else "terminated")
    notify(state, workflow, "finalized")
