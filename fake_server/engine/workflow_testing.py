"""Conductor's workflow test API (``POST /workflow/test``, its WorkflowTestService): run a
workflow definition with mocked task results instead of workers, and answer the workflow.

A ``WorkflowTestRequest`` is a StartWorkflowRequest (a registered ``name`` and ``version``, or
an inline ``workflowDef``; ``input``, ``correlationId``, ``taskToDomain``, ``priority``) plus:

- ``taskRefToMockOutput``: for each task reference name, a list of mocked results
  (``status``, COMPLETED unless said otherwise; ``output``; optionally ``executionTime`` and
  ``queueWaitTime`` in milliseconds), used one at a time while the task is open: ``[FAILED,
  COMPLETED]`` fails the first attempt and completes the retry. Inside a DO_WHILE, a task's
  reference name carries its iteration (``ref__1``, ``ref__2``), as in the workflow's tasks.
- ``subWorkflowTestRequest``: for each SUB_WORKFLOW reference name, the mocks of the child
  workflow it starts (a WorkflowTestRequest of which only those two maps are read).

The workflow starts as any start does, with ``taskToDomain["*"]`` set to a domain of its own, as
Conductor does so that no worker picks its tasks; here its tasks are not queued at all. The
operators (:data:`OPERATORS`) run for real; so do the system tasks that Conductor runs while
deciding (INLINE's siblings JSON_JQ_TRANSFORM, LAMBDA, NOOP, EVENT end as soon as scheduled).
Every other task waits for a mock: worker tasks, HUMAN, and the asynchronous system tasks that
Conductor leaves to its system-task workers (HTTP, WAIT, START_WORKFLOW: never executed in a
test run). Retries follow the task definitions, without waiting for their delays.

The run then goes in rounds, as Conductor's loop does: when an open task other than an operator
has no entry in the mocks, the run stops there and the workflow stays RUNNING; otherwise each
open task takes the next mock of its reference name (a SUB_WORKFLOW task first drives its child
with its own mocks), and a task whose mocks are used up loses its entry (the next round stops
on it if it is still open). The run ends when the workflow ends, when no entry is left, or when
a round changed nothing (Conductor would go round to its limit of 20,000 with the same result).
Time does not move: a mock with ``executionTime`` or ``queueWaitTime`` sets the task's start and
scheduled times back by that much instead, so a ``timeoutSeconds`` it exceeds applies at once.
"""

from __future__ import annotations

import logging
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from fake_server.engine import decider, results
from fake_server.engine.errors import malformed
from fake_server.engine.models import RESULT_STATUSES, Task, Workflow
from fake_server.engine.state import EngineState
from fake_server.engine.timeouts import fire_due, task_timeout_due_ms
from fake_server.engine.validation import Fields

log = logging.getLogger(__name__)

# The task types Conductor's test service runs itself (its "operators"): they need no mock.
OPERATORS = frozenset(
    {
        "JOIN",
        "DO_WHILE",
        "SET_VARIABLE",
        "FORK",
        "INLINE",
        "TERMINATE",
        "DECISION",
        "DYNAMIC",
        "FORK_JOIN",
        "FORK_JOIN_DYNAMIC",
        "SWITCH",
        "SUB_WORKFLOW",
    }
)
# Conductor's loop limit; here a round that changes nothing ends the run long before.
MAX_ROUNDS = 20_000
_MOCK_KEYS = frozenset({"status", "output", "executionTime", "queueWaitTime"})
_TEST_KEYS = frozenset({"taskRefToMockOutput", "subWorkflowTestRequest"})


@dataclass(frozen=True)
class TaskMock:
    """One mocked result: what the task reports, and how long it pretends to have taken."""

    status: str = "COMPLETED"
    output: dict[str, Any] = field(default_factory=dict)
    execution_time_ms: int = 0
    queue_wait_time_ms: int = 0


@dataclass
class MockPlan:
    """The mocks of one workflow of a test run (used up as the run goes), and the plans of the
    sub-workflows its SUB_WORKFLOW tasks start, by reference name."""

    mocks: dict[str, deque[TaskMock]]
    sub_workflows: dict[str, MockPlan]


def run_test(state: EngineState, request: Any) -> Workflow:
    """Start the workflow of a WorkflowTestRequest and drive it with its mocks (see the module
    docstring); returns the workflow, ended or still RUNNING."""
    f = Fields(request, "WorkflowTestRequest")
    plan = parse_plan(f)
    # StartWorkflowRequest's @NotNull name holds for a test run too, inline definition or not.
    f.string("name", required=True)
    task_to_domain = f.obj("taskToDomain", default={})
    start = {key: value for key, value in f.data.items() if key not in _TEST_KEYS}
    start["taskToDomain"] = {**task_to_domain, "*": str(uuid.uuid4())}
    workflow = decider.start_workflow(state, start, test_run=True)
    log.info("workflow test run %s (%s)", workflow.workflow_id, workflow.definition.name)
    _drive(state, workflow, plan)
    return workflow


# ------------------------------------------------------------------ reading the request
def parse_plan(f: Fields) -> MockPlan:
    """The mocks and sub-workflow plans of a WorkflowTestRequest (null maps read as empty)."""
    mocks: dict[str, deque[TaskMock]] = {}
    for ref, entries in f.obj("taskRefToMockOutput", default={}).items():
        path = f"{f.where('taskRefToMockOutput')}.{ref}"
        if not isinstance(entries, list):
            raise malformed(path, "must be a list of task mocks", entries)
        mocks[ref] = deque(_parse_mock(entry, f"{path}[{i}]") for i, entry in enumerate(entries))
    sub_workflows = {
        ref: parse_plan(Fields(sub, f"{f.where('subWorkflowTestRequest')}.{ref}"))
        for ref, sub in f.obj("subWorkflowTestRequest", default={}).items()
    }
    return MockPlan(mocks, sub_workflows)


def _parse_mock(entry: Any, path: str) -> TaskMock:
    f = Fields(entry, path)
    unknown = sorted(set(f.data) - _MOCK_KEYS)
    if unknown:
        # Conductor ignores them too; a warning at least tells a typo ("outputData") apart.
        log.warning("%s: ignored %s (a task mock has %s)", path, unknown, sorted(_MOCK_KEYS))
    return TaskMock(
        status=f.choice("status", RESULT_STATUSES, default="COMPLETED"),
        output=dict(f.obj("output", default={})),
        execution_time_ms=f.integer("executionTime", default=0),
        queue_wait_time_ms=f.integer("queueWaitTime", default=0),
    )


# ------------------------------------------------------------------ driving the run
def _drive(state: EngineState, workflow: Workflow, plan: MockPlan) -> bool:
    """Rounds of mocks over ``workflow`` until it ends, runs out of mocks or stops moving;
    True when any mock was used (here or in a sub-workflow)."""
    used_any = False
    for _ in range(MAX_ROUNDS):
        open_tasks = [t for t in _tasks(state, workflow) if not t.is_terminal]
        unmocked = [
            t for t in open_tasks if _needs_mock(t) and t.reference_task_name not in plan.mocks
        ]
        if unmocked:
            log.info(
                "workflow test run %s stops at %s: no mocked result for it",
                workflow.workflow_id,
                ", ".join(t.reference_task_name for t in unmocked),
            )
            break
        used = False
        for task in open_tasks:
            if not task.is_terminal:  # an earlier mock of this round may have ended it
                used = _take_turn(state, workflow, task, plan) or used
        used_any = used_any or used
        if workflow.is_terminal or not plan.mocks or not used:
            break
    return used_any


def _take_turn(state: EngineState, workflow: Workflow, task: Task, plan: MockPlan) -> bool:
    """One open task's turn in a round; True when a mock was used."""
    ref = task.reference_task_name
    used = False
    sub_plan = plan.sub_workflows.get(ref)
    if task.task_type == "SUB_WORKFLOW" and sub_plan is not None:
        child = state.workflows.get(task.sub_workflow_id or "")
        if child is not None:
            used = _drive(state, child, sub_plan)
    queue = plan.mocks.get(ref)
    if not _needs_mock(task) or not queue:
        # The decider has already done what it can; an entry used up is dropped, so that the
        # next round stops on the task if it is still open.
        plan.mocks.pop(ref, None)
        return used
    _apply(state, task, queue.popleft())
    return True


def _needs_mock(task: Task) -> bool:
    return task.task_type not in OPERATORS


def _apply(state: EngineState, task: Task, mock: TaskMock) -> None:
    """Report ``mock`` for ``task`` as a worker would (Conductor builds the TaskResult from the
    task: its reason and worker stay, the mocked output is added to the task's)."""
    timed = mock.execution_time_ms > 0 or mock.queue_wait_time_ms > 0
    if timed:
        now = state.now_ms()
        task.scheduled_time = now - (mock.execution_time_ms + mock.queue_wait_time_ms)
        task.start_time = now - mock.execution_time_ms
    results.apply_result(
        state,
        {
            "workflowInstanceId": task.workflow_instance_id,
            "taskId": task.task_id,
            "status": mock.status,
            "reasonForIncompletion": task.reason_for_incompletion,
            "callbackAfterSeconds": task.callback_after_seconds,
            "workerId": task.worker_id,
            "outputData": {**task.output_data, **mock.output},
        },
    )
    if timed and not task.is_terminal and task.task_def.timeout_seconds:
        # Still open after taking that long: its timeoutSeconds may have run out already.
        state.watch(task_timeout_due_ms(task), "task", task.task_id)
        fire_due(state)


def _tasks(state: EngineState, workflow: Workflow) -> list[Task]:
    return [state.tasks[task_id] for task_id in workflow.task_ids]
