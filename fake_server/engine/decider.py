"""The decider: how a workflow starts, moves on after each task, and ends (Conductor's
``DeciderService`` and the decide loop of ``WorkflowExecutor``).

:func:`decide` looks at a workflow in passes until nothing changes:

1. each task that ended and was not looked at yet: a failure is retried while retries remain,
   else an optional task lets the workflow go on and any other ends it; a task that is done
   has its successors scheduled (:mod:`.blueprint` says which; inside a DO_WHILE they carry
   the iteration in their reference name, ``ref__N``);
2. each open system task is executed (:mod:`.tasks`): a JOIN looks at its branches, a
   DO_WHILE at its iteration, a WAIT at the clock...

A successful TERMINATE task ends the workflow as it says; when every task has ended and
nothing is left to schedule, the workflow completes with its ``outputParameters`` evaluated
(or the last task's output). A sub-workflow that ends hands its result to its SUB_WORKFLOW
task, and its parent is decided again.
"""

from __future__ import annotations

import copy
import logging
import uuid
from typing import Any

from fake_server.engine import (
    blueprint,
    boundary,
    payloads,
    retries,
    started_definitions,
    status_listener,
)
from fake_server.engine.definitions import TaskDef, WorkflowDef, WorkflowTaskDef, parse_workflow_def
from fake_server.engine.domains import resolve_domain
from fake_server.engine.errors import ConductorError, malformed
from fake_server.engine.expressions import evaluate
from fake_server.engine.models import LOOP_DELIMITER, Task, Workflow
from fake_server.engine.scheduling import (
    build_task,
    expression_context,
    record_task,
    require_user_defined_task_def,
    system_task_def,
    task_input,
    worker_task_def,
)
from fake_server.engine.scheduling import task_input as scheduling_input
from fake_server.engine.state import EngineState
from fake_server.engine.task_types import is_user_defined
from fake_server.engine.tasks import SYSTEM_TASKS, SystemTask
from fake_server.engine.tasks.base import TerminateWorkflow
from fake_server.engine.tasks.http import Http, HttpCall, HttpOutcome
from fake_server.engine.validation import Fields

log = logging.getLogger(__name__)

# Passes one call may make before it lets other requests in (a loop of system tasks only
# could otherwise hold the engine for ever); the rest runs on the next tick.
MAX_PASSES = 1000
# System tasks that go on while their workflow is paused (see _run_async_tasks_while_paused).
ASYNC_WHILE_PAUSED = ("WAIT",)

# The system task types whose mappers evaluate their input with the id of the task they
# create, so ``${CPEWF_TASK_ID}`` is that id (InlineTaskMapper, HTTPTaskMapper, ...); the other
# types see the input the decider evaluated without one, where it stays as written.
TASK_ID_IN_INPUT = frozenset(
    {
        "INLINE",
        "LAMBDA",
        "JSON_JQ_TRANSFORM",
        "HTTP",
        "WAIT",
        "HUMAN",
        "EVENT",
        "TERMINATE",
        "DO_WHILE",
    }
)

# The system tasks Conductor hands to its background system-task workers (asynchronous ones)
# and that its workflow test API does not run itself: in a test run they wait for mocked
# results, as worker tasks do (see :mod:`.workflow_testing`).
MOCKED_IN_TEST_RUNS = frozenset({"HTTP", "WAIT", "START_WORKFLOW"})


def start_workflow(
    state: EngineState, request: Any, *, test_run: bool = False, text_size: int | None = None
) -> Workflow:
    """Start a workflow from a StartWorkflowRequest; its first tasks are scheduled on return.
    A ``test_run`` is moved by mocked results only (see :mod:`.workflow_testing`).
    ``text_size``: the size in bytes of the JSON text the request was read from, when known
    (it bounds the input's size, which then needs no measuring)."""
    f = Fields(request, "StartWorkflowRequest")
    boundary.check_start_request(f)
    inline = f.data.get("workflowDef")
    if inline is not None:
        definition = parse_workflow_def(inline, f.where("workflowDef"))
    else:
        definition = state.workflow_def(f.string("name", required=True), f.integer("version"))
    task_to_domain = f.obj("taskToDomain", default={})
    for task_type, domain in task_to_domain.items():
        if not isinstance(domain, str):
            raise malformed(f"{f.where('taskToDomain')}.{task_type}", "must be a string", domain)
    return Decider(state).start_workflow(
        definition,
        f.obj("input", default={}),
        correlation_id=f.string("correlationId"),
        task_to_domain=dict(task_to_domain),
        priority=f.integer("priority", default=0, minimum=0, maximum=99),
        test_run=test_run,
        input_text_size=text_size,
    )


def decide(state: EngineState, workflow: Workflow) -> None:
    """Move ``workflow`` on as far as it can go now (see the module docstring)."""
    Decider(state).decide(workflow)


def task_ended(state: EngineState, task: Task) -> None:
    """``task`` got a final status (from a worker, a timeout, an update from outside): its
    workflow, if it has one, is decided again."""
    workflow = state.workflows.get(task.workflow_instance_id)
    if workflow is not None:
        decide(state, workflow)


def complete_task(state: EngineState, task: Task) -> None:
    """``task`` completed: its workflow (if it has one) goes on."""
    state.end_task(task, "COMPLETED")
    task_ended(state, task)


def fail(state: EngineState, task: Task, status: str, reason: str | None = None) -> None:
    """``task`` ended FAILED, FAILED_WITH_TERMINAL_ERROR or TIMED_OUT: its workflow decides
    whether to retry it."""
    state.end_task(task, status, reason)
    if task.workflow_instance_id in state.workflows:
        task_ended(state, task)
    elif retries.may_retry(task):  # a task of no workflow (the admin API's) is retried here
        retries.retry(state, task)


def end_workflow(
    state: EngineState,
    workflow: Workflow,
    status: str,
    reason: str | None,
    *,
    failed_task: Task | None = None,
) -> None:
    """The decider ends ``workflow`` (see :meth:`Decider.end_workflow`)."""
    Decider(state).end_workflow(workflow, status, reason, failed_task=failed_task)


def terminate(state: EngineState, workflow: Workflow, reason: str | None) -> None:
    """A terminate request (WorkflowExecutorOps.terminateWorkflow): a running or paused
    workflow ends TERMINATED with its open tasks canceled; a FAILED or TIMED_OUT one becomes
    TERMINATED with the new reason. No failure workflow is started."""
    if not workflow.is_terminal:
        Decider(state).end_workflow(workflow, "TERMINATED", reason, by_request=True)
        return
    workflow.status = "TERMINATED"
    workflow.reason_for_incompletion = reason
    workflow.end_time = workflow.update_time = state.now_ms()
    workflow.output = Decider(state).workflow_output(workflow)


class Decider:
    """The decider over one engine state; also what system tasks reach the engine through
    (:class:`~fake_server.engine.tasks.base.Runtime`)."""

    def __init__(self, state: EngineState) -> None:
        self.state = state

    def now_ms(self) -> int:
        return self.state.now_ms()

    # ---------------------------------------------------------------- starting
    def start_workflow(
        self,
        definition: WorkflowDef,
        workflow_input: dict[str, Any],
        *,
        correlation_id: str | None,
        task_to_domain: dict[str, str],
        priority: int,
        parent: tuple[Workflow, Task] | None = None,
        test_run: bool = False,
        input_text_size: int | None = None,
    ) -> Workflow:
        """``input_text_size``: the size of the JSON text ``workflow_input`` was read from, when
        known (see :func:`.payloads.oversized_workflow_input`)."""
        now = self.now_ms()
        definition = started_definitions.populate(self.state, definition)
        # ParametersUtils.getWorkflowInput: the definition's inputTemplate fills the keys the
        # input lacks (or holds null for); WorkflowExecutorOps.createWorkflowModel applies it
        # to a non-empty input only.
        workflow_input = dict(workflow_input)
        for key, value in definition.input_template.items() if workflow_input else ():
            if workflow_input.get(key) is None:
                workflow_input[key] = copy.deepcopy(value)
                input_text_size = None  # the input is no longer only what the text held
        workflow_id = str(uuid.uuid4())
        oversized = payloads.oversized_workflow_input(workflow_id, workflow_input, input_text_size)
        if oversized is not None:
            # ExecutionDAOFacade.createWorkflow fails (TerminateWorkflowException, a 500 at the
            # start request) and no workflow is left behind.
            log.error(oversized)
            raise ConductorError(oversized)
        workflow = Workflow(
            workflow_id=workflow_id,
            definition=definition,
            status="RUNNING",
            input=workflow_input,
            create_time=now,
            update_time=now,
            correlation_id=correlation_id,
            task_to_domain=task_to_domain,
            priority=priority,
        )
        workflow.variables = copy.deepcopy(definition.variables) if definition.variables else {}
        workflow.test_run = test_run
        if parent is not None:
            workflow.parent_workflow_id = parent[0].workflow_id
            workflow.parent_workflow_task_id = parent[1].task_id
            workflow.test_run = test_run or parent[0].test_run
        self.state.workflows[workflow.workflow_id] = workflow
        if definition.timeout_seconds:
            self.state.watch(
                now + definition.timeout_seconds * 1000, "workflow", workflow.workflow_id
            )
        log.info(
            "started workflow %s (%s v%s)",
            workflow.workflow_id,
            definition.name,
            definition.version,
        )
        status_listener.notify(self.state, workflow, "started")
        self.begin(workflow)
        return workflow

    def begin(self, workflow: Workflow) -> None:
        """Schedule the first task of a workflow that has none (a start, a restart, a rerun
        from the beginning) and decide it."""
        try:
            self.schedule(workflow, self.map_tasks(workflow, workflow.definition.tasks[0]))
        except TerminateWorkflow as stop:
            self.end_workflow(workflow, stop.status, stop.reason)
            return
        self.decide(workflow)

    # ---------------------------------------------------------------- deciding
    def decide(self, workflow: Workflow) -> None:
        if workflow.deciding:
            workflow.decide_again = True  # the decide already running makes another pass
            return
        workflow.deciding = True
        try:
            for _ in range(MAX_PASSES):
                workflow.decide_again = False
                if workflow.status == "PAUSED":
                    self._run_async_tasks_while_paused(workflow)
                    return
                if workflow.is_terminal:
                    return
                try:
                    changed = self._pass(workflow)
                except TerminateWorkflow as stop:
                    self.end_workflow(workflow, stop.status, stop.reason)
                    return
                if workflow.is_terminal:
                    return
                if not (changed or workflow.decide_again):
                    self._complete_if_done(workflow)
                    return
            # Still moving: let other requests in and go on at the next tick.
            self.decide_at(workflow, self.now_ms())
        finally:
            workflow.deciding = False

    def _run_async_tasks_while_paused(self, workflow: Workflow) -> None:
        """Conductor's AsyncSystemTaskExecutor runs a WAIT whatever its workflow's status (it
        skips only ended ones): a timed WAIT completes during a pause, while the decider, which
        returns at once for a PAUSED workflow, schedules what follows only after the resume."""
        for task in workflow.tasks.unsettled():
            if task.task_type in ASYNC_WHILE_PAUSED and not task.is_terminal and not task.retried:
                SYSTEM_TASKS[task.task_type].execute(self, workflow, task)

    def _pass(self, workflow: Workflow) -> bool:
        changed = False
        # Only tasks not yet settled can be acted on (see WorkflowTasks.unsettled): a pass
        # costs what is open, not every task the workflow ever had.
        unsettled = workflow.tasks.unsettled()
        for task in unsettled:
            if task.retried or task.executed or task.status == "SKIPPED" or not task.is_terminal:
                continue
            changed = True
            if not task.is_successful:
                if not self._after_failure(workflow, task):
                    return True  # the workflow ended
                if task.retried:
                    continue  # the new attempt leads on, not this one
            task.executed = True
            if task.task_type == "TERMINATE" and task.status == "COMPLETED":
                self._terminate_by_task(workflow, task)
                return True
            self.schedule(workflow, self._successors(workflow, task))
        # Nothing changed above: the open tasks are still those (the second pass of a decide).
        for task in workflow.tasks.unsettled() if changed else unsettled:
            handler = self.runner(workflow, task.task_type)
            if handler is not None and not task.is_terminal and not task.retried:
                changed = handler.execute(self, workflow, task) or changed
                if workflow.is_terminal:
                    return True
        return changed

    def _after_failure(self, workflow: Workflow, task: Task) -> bool:
        """A task ended without success: retried, or given up on. False when that ended the
        workflow."""
        if retries.may_retry(task):
            used_up = retries.total_time_used_up(self.state, task, self.now_ms())
            if used_up is not None:
                status = "TIMED_OUT" if task.status == "TIMED_OUT" else "FAILED"
                self.end_workflow(workflow, status, used_up, failed_task=task)
                return False
            attempt = retries.retry(self.state, task)
            handler = self.runner(workflow, attempt.task_type)
            if handler is not None:
                handler.start(self, workflow, attempt)
            return not workflow.is_terminal
        return self.give_up(workflow, task)

    def give_up(self, workflow: Workflow, task: Task) -> bool:
        """An optional task ends COMPLETED_WITH_ERRORS and the workflow goes on (True); any
        other task ends the workflow (False)."""
        if task.workflow_task_def is not None and task.workflow_task_def.optional:
            self.state.set_status(task, "COMPLETED_WITH_ERRORS")
            return True
        status = {"TIMED_OUT": "TIMED_OUT", "CANCELED": "TERMINATED"}.get(task.status, "FAILED")
        # DeciderService.retry names the workflow's status here, not the task's (and Java
        # writes a missing reason as null).
        task_reason = task.reason_for_incompletion
        reason = (
            f"Task {task.task_id} failed with status: {status} and reason: "
            f"'{'null' if task_reason is None else task_reason}'"
        )
        self.end_workflow(workflow, status, reason, failed_task=task)
        return False

    def _successors(self, workflow: Workflow, task: Task) -> list[Task]:
        """The tasks that follow ``task`` (Conductor's ``getNextTask``)."""
        if task.task_type in ("SWITCH", "DECISION") and task.input_data.get("hasChildren"):
            return []  # the chosen case's tasks lead on from its last one
        in_loop = task.loop_over_task and task.task_type != "DO_WHILE"
        reference_name = task.base_reference_name if in_loop else task.reference_task_name
        following = blueprint.next_task(workflow.definition, reference_name)
        while following is not None and self._is_skipped(workflow, following):
            following = blueprint.next_task(workflow.definition, following.task_reference_name)
        if following is None:
            return []
        if following.type == "DO_WHILE" and self.latest(workflow, following.task_reference_name):
            return []  # the end of a loop's body: the DO_WHILE decides what comes next
        tasks = self.map_tasks(workflow, following)
        if in_loop:
            tasks = self.in_iteration(workflow, tasks, task.iteration)
        return tasks

    def in_iteration(self, workflow: Workflow, tasks: list[Task], iteration: int) -> list[Task]:
        """``tasks`` renamed ``ref__N`` for iteration N of a loop (those already there left
        out)."""
        for task in tasks:
            task.reference_task_name = f"{task.reference_task_name}{LOOP_DELIMITER}{iteration}"
            task.iteration = iteration
        return [t for t in tasks if not self._has_started(workflow, t.reference_task_name)]

    def _is_skipped(self, workflow: Workflow, workflow_task: WorkflowTaskDef) -> bool:
        task = self.latest(workflow, workflow_task.task_reference_name)
        return task is not None and task.status == "SKIPPED"

    def _terminate_by_task(self, workflow: Workflow, task: Task) -> None:
        status = task.input_data.get("terminationStatus")
        reason = task.input_data.get("terminationReason") or (
            f"Workflow is {status} by TERMINATE task: {task.task_id}"
        )
        if status in ("FAILED", "TERMINATED"):
            self.end_workflow(workflow, status, reason, failed_task=task)
        else:
            self.end_workflow(workflow, "COMPLETED", reason)

    def _complete_if_done(self, workflow: Workflow) -> None:
        """Conductor's ``checkForWorkflowCompletion``: every task ended and every task of the
        workflow's own list has run."""
        tasks = workflow.tasks
        if any(not t.retried and not (t.is_terminal and t.executed) for t in tasks.unsettled()):
            return
        if all(
            any(not t.retried for t in tasks.named(wt.task_reference_name))
            for wt in workflow.definition.tasks
        ):
            self.end_workflow(workflow, "COMPLETED", None)

    # ---------------------------------------------------------------- mapping
    def map_tasks(
        self,
        workflow: Workflow,
        workflow_task: WorkflowTaskDef,
        retry_count: int = 0,
        task_input: dict[str, Any] | None = None,
    ) -> list[Task]:
        handler = SYSTEM_TASKS.get(workflow_task.type)
        if handler is None:
            if is_user_defined(workflow_task.type):
                require_user_defined_task_def(self.state, workflow_task)
            tasks = [self._worker_task(workflow, workflow_task, task_input)]
        else:
            task_def = system_task_def(self.state, workflow_task)
            # The mappers that give ${CPEWF_TASK_ID} the id of the task they create.
            task_id = str(uuid.uuid4()) if workflow_task.type in TASK_ID_IN_INPUT else None
            if task_input is None:
                task_input = scheduling_input(
                    self.state, workflow, workflow_task.input_parameters, task_def, task_id
                )
            tasks = handler.map(self, workflow, workflow_task, task_input, retry_count)
            if task_id is not None and tasks:
                tasks[0].task_id = task_id
        for task in tasks:
            task.retry_count = retry_count
        # Conductor's getTasksToBeScheduled: a reference name already running or ended is
        # not scheduled again (a fork's JOIN reached from the end of each branch).
        return [t for t in tasks if not self._has_started(workflow, t.reference_task_name)]

    def _worker_task(
        self,
        workflow: Workflow,
        workflow_task: WorkflowTaskDef,
        values: dict[str, Any] | None,
        task_def: TaskDef | None = None,
    ) -> Task:
        task_def = task_def or worker_task_def(self.state, workflow_task)
        task_id = str(uuid.uuid4())  # ${CPEWF_TASK_ID} in the input is this task's id
        if values is None:
            values = task_input(
                self.state, workflow, workflow_task.input_parameters, task_def, task_id
            )
        task = self.new_task(
            workflow,
            workflow_task,
            # a user-defined type is polled by its type, a SIMPLE task by its name
            task_type=workflow_task.type
            if is_user_defined(workflow_task.type)
            else workflow_task.name,
            status="SCHEDULED",
            input_data=values,
            task_id=task_id,
            task_def=task_def,
        )
        task.start_delay_in_seconds = workflow_task.start_delay
        task.domain = resolve_domain(
            workflow.task_to_domain, workflow_task.name, self.state.has_active_worker
        )
        return task

    def worker_task(
        self, workflow: Workflow, workflow_task: WorkflowTaskDef, task_def: TaskDef
    ) -> Task:
        """A task for workers of ``workflow_task.name`` (DYNAMIC resolves the name first)."""
        return self._worker_task(workflow, workflow_task, None, task_def)

    def new_task(
        self,
        workflow: Workflow,
        workflow_task: WorkflowTaskDef,
        *,
        task_type: str,
        status: str,
        input_data: dict[str, Any],
        reference_name: str | None = None,
        task_id: str | None = None,
        task_def: TaskDef | None = None,
    ) -> Task:
        """A task of ``workflow_task``, not recorded yet; ``task_id`` and ``task_def`` when the
        caller has them already (else a new id, and the definition the task type runs with)."""
        now = self.now_ms()
        if task_def is None:
            is_system = task_type in SYSTEM_TASKS
            task_def = (
                system_task_def(self.state, workflow_task)
                if is_system
                else worker_task_def(self.state, workflow_task)
            )
        task = build_task(
            self.state,
            task_type,
            task_def,
            workflow_instance_id=workflow.workflow_id,
            workflow=workflow,
            workflow_task=workflow_task,
            reference_task_name=reference_name or workflow_task.task_reference_name,
            input_data=input_data,
            domain=None,
            now=now,
            status=status,
            task_def_name=workflow_task.name,
            task_id=task_id,
        )
        if status == "IN_PROGRESS":
            task.start_time = now
        return task

    def evaluate(
        self, template: dict[str, Any], workflow: Workflow, task_def: TaskDef | None = None
    ) -> dict[str, Any]:
        return task_input(self.state, workflow, template, task_def, None)

    # ---------------------------------------------------------------- scheduling
    def schedule(self, workflow: Workflow, tasks: list[Task]) -> None:
        """Add ``tasks`` to ``workflow``: worker tasks are queued, system tasks started."""
        tasks = self._new_attempts(workflow, tasks)
        for task in tasks:
            record_task(self.state, workflow, task)
            if task.task_type not in SYSTEM_TASKS and not self._input_too_large(workflow, task):
                delay_ms = task.start_delay_in_seconds * 1000
                self.state.enqueue(task, task.scheduled_time + delay_ms)
        for task in tasks:
            handler = self.runner(workflow, task.task_type)
            if handler is not None and not task.is_terminal:
                handler.start(self, workflow, task)
            if workflow.is_terminal:
                return

    def _input_too_large(self, workflow: Workflow, task: Task) -> bool:
        """A worker task whose input is over the size limit is created failed for good, its
        input emptied, and never queued; the workflow's next pass gives up on it
        (ExecutionDAOFacade.createTasks with ExternalPayloadStorageUtils.failTask)."""
        oversized = payloads.oversized_task_payload(task, task.input_data)
        if oversized is None:
            return False
        log.error(oversized)
        task.input_data = {}
        self.state.end_task(task, "FAILED_WITH_TERMINAL_ERROR", oversized)
        workflow.decide_again = True
        return True

    def _new_attempts(self, workflow: Workflow, tasks: list[Task]) -> list[Task]:
        """Conductor's ``dedupAndAddTasks``: the same reference name and retry count twice is
        one task."""
        unique = []
        added = set()
        for task in tasks:
            key = (task.reference_task_name, task.retry_count)
            present = workflow.tasks.named(task.reference_task_name)
            if key not in added and all(t.retry_count != task.retry_count for t in present):
                added.add(key)
                unique.append(task)
        return unique

    # ---------------------------------------------------------------- lookups
    def runner(self, workflow: Workflow, task_type: str) -> SystemTask | None:
        """The system task type that runs tasks of ``task_type`` in ``workflow``; None for
        worker tasks, and in a test run for those that wait for mocked results there."""
        if workflow.test_run and task_type in MOCKED_IN_TEST_RUNS:
            return None
        return SYSTEM_TASKS.get(task_type)

    def tasks_of(self, workflow: Workflow) -> list[Task]:
        return list(workflow.tasks)

    def latest(self, workflow: Workflow, reference_name: str) -> Task | None:
        return workflow.tasks.latest(reference_name)

    def _has_started(self, workflow: Workflow, reference_name: str) -> bool:
        return any(
            t.status == "IN_PROGRESS" or t.is_terminal for t in workflow.tasks.named(reference_name)
        )

    def workflow_def(self, name: str, version: int | None) -> WorkflowDef:
        return self.state.workflow_def(name, version)

    # ---------------------------------------------------------------- ending
    def end_workflow(
        self,
        workflow: Workflow,
        status: str,
        reason: str | None,
        *,
        failed_task: Task | None = None,
        by_request: bool = False,
    ) -> None:
        """Give ``workflow`` its final status and output, cancel its open tasks; when the
        decider (not a terminate request) ends it without success, start its definition's
        ``failureWorkflow`` (WorkflowExecutorOps.terminateWorkflow)."""
        if workflow.is_terminal:
            return
        workflow.status = status
        workflow.reason_for_incompletion = reason
        workflow.end_time = workflow.update_time = self.now_ms()
        tasks = self.tasks_of(workflow)  # once: ending adds no task
        workflow.output = self._output(workflow, tasks)
        if failed_task is not None:
            workflow.failed_task_id = failed_task.task_id
        self._note_failed_tasks(workflow, tasks)
        for task in tasks:
            if not task.is_terminal:
                self.state.end_task(task, "CANCELED")
                handler = self.runner(workflow, task.task_type)
                if handler is not None:
                    handler.cancel(self, workflow, task)
        log.info("workflow %s %s%s", workflow.workflow_id, status, f": {reason}" if reason else "")
        status_listener.notify_end(self.state, workflow)
        failure_workflow = workflow.definition.failure_workflow
        if status != "COMPLETED" and not by_request and failure_workflow:
            self._start_failure_workflow(workflow, failure_workflow)
        if workflow.parent_workflow_id:
            self._tell_parent(workflow)

    def _note_failed_tasks(self, workflow: Workflow, tasks: list[Task]) -> None:
        """WorkflowExecutorOps.completeWorkflow and terminateWorkflow: the names of the tasks
        that FAILED join the workflow's failed names (which keep those of earlier ends)."""
        for task in tasks:
            if task.status in ("FAILED", "FAILED_WITH_TERMINAL_ERROR"):
                workflow.failed_reference_task_names.add(task.reference_task_name)
                workflow.failed_task_names.add(task.task_def_name)

    def terminate_workflow(self, workflow: Workflow, reason: str) -> None:
        self.end_workflow(workflow, "TERMINATED", reason, by_request=True)

    def _start_failure_workflow(self, workflow: Workflow, name: str) -> None:
        """Start ``name`` with Conductor's input: the failed workflow's input plus
        ``workflowId``, ``reason``, ``failureStatus``, ``failureTaskId`` and ``failedWorkflow``;
        its id, or why it did not start, goes to the output as ``conductor.failure_workflow``."""
        if name.startswith("$"):
            resolved = _failure_workflow_from_input(workflow, name)
            if resolved is None:
                return
            name = resolved
        failure_input = {
            **workflow.input,
            "workflowId": workflow.workflow_id,
            "reason": workflow.reason_for_incompletion,
            "failureStatus": workflow.status,
            "failedWorkflow": workflow.to_json(self.tasks_of(workflow)),
        }
        if workflow.failed_task_id is not None:
            failure_input["failureTaskId"] = workflow.failed_task_id
        try:
            definition = self.workflow_def(name, workflow.definition.failure_workflow_version)
            started = self.start_workflow(
                definition,
                failure_input,
                correlation_id=workflow.correlation_id,
                task_to_domain=dict(workflow.task_to_domain),
                priority=0,
            )
        except ConductorError as error:
            outcome = f"Error workflow {name} failed to start.  reason: {error.message}"
            log.warning("workflow %s: %s", workflow.workflow_id, outcome)
        else:
            outcome = started.workflow_id
        workflow.output = {**workflow.output, "conductor.failure_workflow": outcome}

    def workflow_output(self, workflow: Workflow) -> dict[str, Any]:
        return self._output(workflow, self.tasks_of(workflow))

    def _output(self, workflow: Workflow, tasks: list[Task]) -> dict[str, Any]:
        """Conductor's ``updateWorkflowOutput``: a successful TERMINATE's output, else the
        definition's outputParameters, else the last task's output."""
        for task in tasks:
            if task.task_type == "TERMINATE" and task.status == "COMPLETED":
                return dict(task.output_data)
        if workflow.definition.output_parameters:
            output: dict[str, Any] = evaluate(
                workflow.definition.output_parameters, expression_context(self.state, workflow)
            )
            return output
        return payloads.copy_payload(tasks[-1].output_data) if tasks else {}

    def _tell_parent(self, child: Workflow) -> None:
        parent = self.state.workflows.get(child.parent_workflow_id or "")
        task = self.state.tasks.get(child.parent_workflow_task_id or "")
        if parent is None or task is None or task.is_terminal or task.retried:
            return
        SYSTEM_TASKS["SUB_WORKFLOW"].execute(self, parent, task)
        self.decide(parent)

    # ---------------------------------------------------------------- time and calls
    def decide_at(self, workflow: Workflow, due_ms: int) -> None:
        self.state.watch(due_ms, "decide", workflow.workflow_id)

    def call_later(self, task: Task) -> None:
        task.http_pending = True
        self.state.outside_calls.append(task.task_id)


def _failure_workflow_from_input(workflow: Workflow, written: str) -> str | None:
    """WorkflowExecutorOps.decide's reading of a failureWorkflow that starts with ``$``: the
    workflow input named by its third dotted part, as written (``$workflow.input.x`` reads
    ``x``; ``${workflow.input.x}`` reads ``x}``, which no input has); None, and no failure
    workflow, when that input is not a non-blank string."""
    parts = written.split(".")
    value = workflow.input.get(parts[2]) if len(parts) > 2 else None
    if isinstance(value, str) and value.strip():
        return value
    log.warning(
        "workflow %s: no failure workflow started: failureWorkflow %r names input %r, which "
        "holds no workflow name (Conductor reads the form $workflow.input.name)",
        workflow.workflow_id,
        written,
        parts[2] if len(parts) > 2 else None,
    )
    return None


def next_wake(state: EngineState, workflow: Workflow) -> tuple[int, Task] | None:
    """The earliest time an open system task of ``workflow`` waits for on the clock alone (a
    WAIT's end, an HTTP retry's delay), with that task; None when none does."""
    earliest: tuple[int, Task] | None = None
    for task in workflow.tasks.unsettled():  # every open task is among them
        handler = SYSTEM_TASKS.get(task.task_type)
        if handler is None or task.is_terminal or task.retried:
            continue
        due = handler.wakes_at_ms(task)
        if due is not None and (earliest is None or due < earliest[0]):
            earliest = (due, task)
    return earliest


# ---------------------------------------------------------------- calls to the outside
def next_outside_call(state: EngineState) -> tuple[Task, HttpCall] | None:
    """The next HTTP call waiting for the lock to be released, ready to make (under the
    lock); None when there is none."""
    http = SYSTEM_TASKS["HTTP"]
    assert isinstance(http, Http)
    while state.outside_calls:
        task = state.tasks.get(state.outside_calls.pop(0))
        if task is None or not task.http_pending or task.is_terminal:
            continue
        task.http_pending = False
        workflow = state.workflows.get(task.workflow_instance_id)
        if workflow is None or workflow.is_terminal:
            continue
        decider = Decider(state)
        call = http.prepare(decider, task)
        if call is None:
            decider.decide(workflow)
            continue
        return task, call
    return None


def finish_outside_call(state: EngineState, task: Task, outcome: HttpOutcome) -> None:
    """Give ``task`` the outcome of its call (under the lock) and move its workflow on."""
    workflow = state.workflows.get(task.workflow_instance_id)
    if task.is_terminal or workflow is None or workflow.is_terminal:
        return
    http = SYSTEM_TASKS["HTTP"]
    assert isinstance(http, Http)
    decider = Decider(state)
    http.apply(decider, task, outcome)
    decider.decide(workflow)
