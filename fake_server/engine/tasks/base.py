"""What every system task type implements, and what the decider offers it.

A type's hooks mirror Conductor's mappers and ``WorkflowSystemTask``:

- ``map``: turn the workflow definition's task into task records when it is due (a SWITCH
  brings the first task of its chosen case, a FORK_JOIN its branches and its JOIN).
- ``start``: called once when a task of this type has been scheduled; a task that can finish at
  once finishes here by giving itself a final status.
- ``execute``: called on every pass of the decider while the task is open (for types that wait
  on something: a sub-workflow, the branches of a fork, a WAIT's time, a loop's iteration);
  returns True when it changed something.
- ``cancel``: called when the workflow ends before the task does, to undo what ``start`` set
  going (a sub-workflow is terminated).
- ``wakes_at_ms``: when an open task needs the decider again because of the clock alone (a
  WAIT's end); a type that calls ``rt.decide_at`` says when here, so that a time-skipping
  engine can jump there.

Hooks run under the engine's lock and reach the engine only through :class:`Runtime`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    from fake_server.engine.definitions import TaskDef, WorkflowDef, WorkflowTaskDef
    from fake_server.engine.models import Task, Workflow
    from fake_server.engine.state import EngineState


class TerminateWorkflow(Exception):  # noqa: N818 (Conductor's name for it)
    """Raised by a hook when the workflow cannot go on (Conductor's TerminateWorkflowException):
    the workflow ends with ``status`` and the message as its reason."""

    def __init__(self, reason: str, status: str = "FAILED") -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class Runtime(Protocol):
    """The decider, as the task types see it."""

    state: EngineState

    def now_ms(self) -> int: ...

    def evaluate(
        self, template: dict[str, Any], workflow: Workflow, task_def: TaskDef | None = None
    ) -> dict[str, Any]:
        """``template`` with its ``${...}`` expressions evaluated in ``workflow``."""

    def map_tasks(
        self,
        workflow: Workflow,
        workflow_task: WorkflowTaskDef,
        retry_count: int = 0,
        task_input: dict[str, Any] | None = None,
    ) -> list[Task]:
        """The task records ``workflow_task`` turns into now (not yet in the workflow)."""

    def new_task(
        self,
        workflow: Workflow,
        workflow_task: WorkflowTaskDef,
        *,
        task_type: str,
        status: str,
        input_data: dict[str, Any],
        reference_name: str | None = None,
    ) -> Task:
        """A record of ``workflow_task`` in ``workflow`` (not yet in the workflow)."""

    def worker_task(
        self, workflow: Workflow, workflow_task: WorkflowTaskDef, task_def: TaskDef
    ) -> Task:
        """A task for workers of ``workflow_task.name``, with ``task_def``."""

    def in_iteration(self, workflow: Workflow, tasks: list[Task], iteration: int) -> list[Task]:
        """``tasks`` renamed for iteration N of a DO_WHILE (``ref__N``)."""

    def schedule(self, workflow: Workflow, tasks: list[Task]) -> None:
        """Add ``tasks`` to ``workflow`` and set them going (queued for workers or started)."""

    def latest(self, workflow: Workflow, reference_name: str) -> Task | None:
        """The last task of ``workflow`` with that exact reference name."""

    def workflow_def(self, name: str, version: int | None) -> WorkflowDef: ...

    def start_workflow(
        self,
        definition: WorkflowDef,
        workflow_input: dict[str, Any],
        *,
        correlation_id: str | None,
        task_to_domain: dict[str, str],
        priority: int,
        parent: tuple[Workflow, Task] | None = None,
    ) -> Workflow: ...

    def terminate_workflow(self, workflow: Workflow, reason: str) -> None: ...

    def decide_at(self, workflow: Workflow, due_ms: int) -> None:
        """Run the decider on ``workflow`` again when the clock reaches ``due_ms``."""

    def call_later(self, task: Task) -> None:
        """Make ``task``'s outside call (HTTP) once the engine's lock is released."""


class SystemTask:
    """A system task type; subclasses override the hooks they need."""

    task_type: ClassVar[str]
    # Built-in types are never retried (Conductor's TaskType.isBuiltIn).
    built_in: ClassVar[bool] = False
    # The status a freshly mapped task has (Conductor's mappers give most IN_PROGRESS).
    initial_status: ClassVar[str] = "IN_PROGRESS"

    def map(
        self,
        rt: Runtime,
        workflow: Workflow,
        workflow_task: WorkflowTaskDef,
        task_input: dict[str, Any],
        retry_count: int,
    ) -> list[Task]:
        task = rt.new_task(
            workflow,
            workflow_task,
            task_type=self.task_type,
            status=self.initial_status,
            input_data=task_input,
        )
        return [task]

    def start(self, rt: Runtime, workflow: Workflow, task: Task) -> None:
        """Called once, right after the task joined its workflow."""

    def execute(self, rt: Runtime, workflow: Workflow, task: Task) -> bool:
        """Called while the task is open; True when it changed something."""
        return False

    def cancel(self, rt: Runtime, workflow: Workflow, task: Task) -> None:
        """Called when the workflow ends while the task is open (it is CANCELED already)."""

    def wakes_at_ms(self, task: Task) -> int | None:
        """When the open ``task`` moves on by the clock alone; None when only something else
        (an update, another task) moves it."""
        return None

    @staticmethod
    def finish(
        rt: Runtime, task: Task, status: str, reason: str | None = None, **output: Any
    ) -> bool:
        """Give ``task`` a final status (and add ``output`` to its output)."""
        if output:
            task.output_data = {**task.output_data, **output}
        rt.state.end_task(task, status, reason)
        return True


def control_record(
    rt: Runtime,
    workflow: Workflow,
    workflow_task: WorkflowTaskDef,
    task_type: str,
    input_data: dict[str, Any],
    status: str = "IN_PROGRESS",
) -> Task:
    """The record of a control-flow task (FORK, JOIN, SWITCH, ...): Conductor's mappers name
    it after its type, whatever the definition calls it."""
    task = rt.new_task(
        workflow, workflow_task, task_type=task_type, status=status, input_data=input_data
    )
    task.task_def_name = task_type
    return task
