"""Events of the worker runtime, for listeners passed as ``TaskHandler(event_listeners=...)``.

Import paths are those of conductor-python 2.0.0::

    from conductor.client.event.task_runner_events import TaskExecutionCompleted
    from conductor.client.event.listeners import TaskRunnerEventsListener
"""

from conductor.client.event.listeners import TaskRunnerEventsListener
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

__all__ = [
    "PollCompleted",
    "PollFailure",
    "PollStarted",
    "TaskExecutionCompleted",
    "TaskExecutionFailure",
    "TaskExecutionStarted",
    "TaskRunnerEvent",
    "TaskRunnerEventsListener",
    "TaskUpdateFailure",
]
