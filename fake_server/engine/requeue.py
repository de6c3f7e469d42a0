"""Requeueing the pending tasks of a type (``POST /tasks/queue/requeue/{taskType}``), as
Conductor's ExecutionService.requeuePendingTasks does it.

Every task of that type that has not ended (SCHEDULED, and IN_PROGRESS too) and is not run by
the server goes back into its queue (its domain's), due once what is left of its
``callbackAfterSeconds`` has passed since its last update; a task a worker holds is thereby
handed out again, to whichever worker polls next (its status stays IN_PROGRESS until then). It
is Conductor's repair for queue messages lost by its storage: the fake never loses one, but a
test can see what a requeue does to its workers.
"""

from __future__ import annotations

from fake_server.engine.models import Task
from fake_server.engine.state import EngineState
from fake_server.engine.tasks import SYSTEM_TASKS


def requeue_pending_tasks(state: EngineState, task_type: str) -> int:
    """Put the pending tasks of ``task_type`` back in their queues; how many were."""
    now = state.now_ms()
    count = 0
    for task in list(state.tasks.values()):
        if (task.task_def_name or task.task_type) != task_type or task.is_terminal:
            continue
        if task.task_type in SYSTEM_TASKS or state.in_test_run(task):
            continue
        state.dequeue(task)
        state.enqueue(task, now + _remaining_callback_seconds(task, now) * 1000)
        count += 1
    return count


def _remaining_callback_seconds(task: Task, now: int) -> int:
    """What is left of the task's callback since its last update, in whole seconds (Conductor's
    arithmetic). A task not yet handed out carries its start delay as its callback there."""
    callback = task.callback_after_seconds
    if not callback and not task.start_time:
        callback = task.start_delay_in_seconds
    return max(max(callback, 0) - (now - task.update_time) // 1000, 0)
