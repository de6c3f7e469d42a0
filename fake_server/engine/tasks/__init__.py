"""System task types (SWITCH, FORK_JOIN, DO_WHILE, SUB_WORKFLOW, INLINE, WAIT, ...): one module
per type, each a :class:`SystemTask`.

A system task is run by the server instead of a worker. Like Conductor's
``WorkflowSystemTask``, each type has the same small interface, over the engine's state
(:class:`~fake_server.engine.state.EngineState`) and runs under the engine's lock:

- ``start``: called once when a task of this type is scheduled; a task that can finish at once
  (INLINE, SWITCH, TERMINATE) finishes here by giving itself a final status.
- ``execute``: called again while the task is open (for types that wait on something: a
  sub-workflow, the branches of a fork, a WAIT's time); returns True when it changed the task.
- ``cancel``: called when the task's workflow ends before the task does (terminated, timed out,
  failed), to undo what ``start`` set going (e.g. terminate a sub-workflow).

``SYSTEM_TASKS`` maps each task type to its implementation; a type that is not in it runs as a
worker task (SIMPLE).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from fake_server.engine.models import Task, Workflow
    from fake_server.engine.state import EngineState


class SystemTask(Protocol):
    """One system task type (see the module docstring)."""

    task_type: str

    def start(self, state: EngineState, workflow: Workflow, task: Task) -> None: ...

    def execute(self, state: EngineState, workflow: Workflow, task: Task) -> bool: ...

    def cancel(self, state: EngineState, workflow: Workflow, task: Task) -> None: ...


SYSTEM_TASKS: dict[str, SystemTask] = {}
