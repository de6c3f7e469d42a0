"""The shape of an event listener: any object with some of these ``on_...`` methods.

A listener implements only the methods it needs (as in conductor-python 2.0.0); the protocol
is for type checkers and documentation. Pass listeners to ``TaskHandler(event_listeners=[...])``:
each worker process gets its own copy (they are pickled under the ``spawn`` start method), and
calls its methods from the threads that poll and execute, so a listener must be quick and
thread-safe. An exception raised by a listener is logged and otherwise ignored.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from conductor.client.event.task_runner_events import (
    PollCompleted,
    PollFailure,
    PollStarted,
    TaskExecutionCompleted,
    TaskExecutionFailure,
    TaskExecutionStarted,
    TaskUpdateFailure,
)


@runtime_checkable
class TaskRunnerEventsListener(Protocol):
    """Receives the events of a worker process (implement any subset of the methods)."""

    def on_poll_started(self, event: PollStarted) -> None: ...

    def on_poll_completed(self, event: PollCompleted) -> None: ...

    def on_poll_failure(self, event: PollFailure) -> None: ...

    def on_task_execution_started(self, event: TaskExecutionStarted) -> None: ...

    def on_task_execution_completed(self, event: TaskExecutionCompleted) -> None: ...

    def on_task_execution_failure(self, event: TaskExecutionFailure) -> None: ...

    def on_task_update_failure(self, event: TaskUpdateFailure) -> None: ...


__all__ = ["TaskRunnerEventsListener"]
