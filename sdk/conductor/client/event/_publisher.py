"""Hands worker events to the listeners of one worker process.

``publisher_for`` gives an ``EventPublisher`` when some listener handles some event, else
``NO_EVENTS``, a publisher that does nothing and says so (``active`` is false): a runner then
builds no event object and reads no clock for one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from conductor.client.event.task_runner_events import (
    PollCompleted,
    PollFailure,
    PollStarted,
    TaskExecutionCompleted,
    TaskExecutionFailure,
    TaskExecutionStarted,
    TaskRunnerEvent,
    TaskUpdateFailure,
)

logger = logging.getLogger(__name__)

# The listener method that receives each event type (conductor-python 2.0.0's names).
HANDLER_NAMES: dict[type[TaskRunnerEvent], str] = {
    PollStarted: "on_poll_started",
    PollCompleted: "on_poll_completed",
    PollFailure: "on_poll_failure",
    TaskExecutionStarted: "on_task_execution_started",
    TaskExecutionCompleted: "on_task_execution_completed",
    TaskExecutionFailure: "on_task_execution_failure",
    TaskUpdateFailure: "on_task_update_failure",
}


class EventPublisher:
    """Calls, for each event, the matching ``on_...`` method of every listener that has one."""

    active = True  # some listener receives events

    def __init__(self, listeners: Iterable[Any]) -> None:
        self.listeners = list(listeners)
        self._handlers: dict[type[TaskRunnerEvent], list[Callable[[Any], Any]]] = {}
        for event_type, name in HANDLER_NAMES.items():
            handlers = [getattr(listener, name, None) for listener in self.listeners]
            self._handlers[event_type] = [h for h in handlers if callable(h)]
        self._failed: set[tuple[int, type[TaskRunnerEvent]]] = set()

    def wants(self, event_type: type[TaskRunnerEvent]) -> bool:
        """Whether any listener receives events of ``event_type``."""
        return bool(self._handlers.get(event_type))

    def publish(self, event: TaskRunnerEvent) -> None:
        """Calls the listeners in registration order; a listener's exception is logged (once
        per listener and event type) and does not reach the others or the worker."""
        for handler in self._handlers.get(type(event), ()):
            try:
                handler(event)
            except Exception:
                key = (id(getattr(handler, "__self__", handler)), type(event))
                if key not in self._failed:
                    self._failed.add(key)
                    logger.exception(
                        "Event listener %r failed on %s (further failures of it on this event "
                        "are not logged)",
                        handler,
                        type(event).__name__,
                    )


def execution_event(
    task_type: str,
    worker_id: str,
    task: Any,
    error: BaseException | None,
    duration_ms: float,
    output_size: int | None,
) -> TaskRunnerEvent:
    """The event that ends an execution: ``TaskExecutionFailure`` when ``error`` failed it,
    else ``TaskExecutionCompleted`` with the size of the output as JSON (``output_size``, from
    ``conductor.client.http._encoding.encode_result``)."""
    if error is not None:
        return TaskExecutionFailure(
            task_type, task.task_id or "", worker_id, task.workflow_instance_id, error, duration_ms
        )
    return TaskExecutionCompleted(
        task_type,
        task.task_id or "",
        worker_id,
        task.workflow_instance_id,
        duration_ms,
        output_size,
    )


def update_failure_event(
    task_type: str, worker_id: str, task: Any, result: Any, error: BaseException
) -> TaskUpdateFailure:
    """The event of a result the server refused, or that was not delivered before stopping."""
    return TaskUpdateFailure(
        task_type, task.task_id or "", worker_id, task.workflow_instance_id, error, 0, result
    )


class _NoEvents(EventPublisher):
    """The publisher of a runner whose listeners handle no event: publishes nothing."""

    active = False

    def __init__(self) -> None:
        super().__init__(())

    def publish(self, event: TaskRunnerEvent) -> None:
        pass


NO_EVENTS: EventPublisher = _NoEvents()


def publisher_for(listeners: Iterable[Any] | None) -> EventPublisher:
    """A publisher for ``listeners``; ``NO_EVENTS`` when none of them handles any event."""
    publisher = EventPublisher(listeners or ())
    if not any(publisher.wants(event_type) for event_type in HANDLER_NAMES):
        return NO_EVENTS
    return publisher
