"""EVENT: publish a message to ``sink``; the fake server has no broker, so the message is
recorded (the admin API's ``GET /fake/events``) and the task completes.

The task's output is Conductor's message: its input plus ``workflowInstanceId``,
``workflowType``, ``workflowVersion``, ``correlationId``, ``taskToDomain``, and
``event_produced``, the queue name (``conductor`` becomes ``conductor:<workflow>:<task ref>``,
``conductor:<name>`` becomes ``conductor:<workflow>:<name>``, other sinks stay as they are).
With ``asyncComplete`` the task stays IN_PROGRESS until an update from outside. A sink without
a ``type:`` prefix, or of a type Conductor has no provider for, fails the task, as there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fake_server.engine.tasks.base import Runtime, SystemTask

if TYPE_CHECKING:
    from fake_server.engine.definitions import WorkflowTaskDef
    from fake_server.engine.models import Task, Workflow


# The queue types of Conductor's event queue providers (conductor is built in; the others
# need their module configured on a real server). The fake records their messages alike.
QUEUE_TYPES = frozenset(
    {
        "conductor",
        "sqs",
        "kafka",
        "nats",
        "nats_stream",
        "jsm",
        "amqp",
        "amqp_queue",
        "amqp_exchange",
    }
)


def queue_problem(queue: str) -> str | None:
    """EventQueues.getQueue's refusal of a queue name: one without a ``type:`` prefix, or of a
    type no provider has; None when it names a queue."""
    queue_type, colon, _ = queue.partition(":")
    if not colon:
        return f"Illegal event {queue}"
    if queue_type not in QUEUE_TYPES:
        return f"Unknown queue type {queue_type}"
    return None


class Event(SystemTask):
    task_type = "EVENT"
    initial_status = "SCHEDULED"

    def map(
        self,
        rt: Runtime,
        workflow: Workflow,
        workflow_task: WorkflowTaskDef,
        task_input: dict[str, Any],
        retry_count: int,
    ) -> list[Task]:
        sink = rt.evaluate({"sink": workflow_task.sink}, workflow).get("sink")
        values = {**task_input, "sink": sink, "asyncComplete": workflow_task.async_complete}
        return super().map(rt, workflow, workflow_task, values, retry_count)

    def start(self, rt: Runtime, workflow: Workflow, task: Task) -> None:
        sink = str(task.input_data.get("sink") or "")
        if sink.startswith("conductor") and sink != "conductor" and ":" not in sink:
            self.finish(rt, task, "FAILED", f"Invalid / Unsupported sink specified: {sink}")
            return
        if sink == "conductor":
            queue = f"conductor:{workflow.definition.name}:{task.reference_task_name}"
        elif sink.startswith("conductor:"):
            queue = f"conductor:{workflow.definition.name}:{sink.removeprefix('conductor:')}"
        else:
            queue = sink
        message = {
            **task.input_data,
            "workflowInstanceId": workflow.workflow_id,
            "workflowType": workflow.definition.name,
            "workflowVersion": workflow.definition.version,
            "correlationId": workflow.correlation_id,
            "taskToDomain": dict(workflow.task_to_domain),
        }
        task.output_data = {**message, "event_produced": queue}
        problem = queue_problem(queue)
        if problem is not None:
            # Event.getQueue's words for what EventQueues.getQueue refuses.
            reason = f"Error loading queue:{queue}, for task:{task.task_id}, error: {problem}"
            self.finish(rt, task, "FAILED", reason)
            return
        rt.state.events.append(
            {
                "queue": queue,
                "messageId": task.task_id,
                "payload": dict(task.output_data),
                "publishedTime": rt.now_ms(),
            }
        )
        task.start_time = rt.now_ms()
        if task.input_data.get("asyncComplete"):
            rt.state.set_status(task, "IN_PROGRESS")
        else:
            self.finish(rt, task, "COMPLETED")
