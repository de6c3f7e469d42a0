"""The fake server's engine: definitions, workflows, tasks, queues, timeouts. No HTTP here.

Every public method is thread safe: all state sits behind one lock, and a long poll waits on a
condition of that lock. Time comes only from the injected clock. Timeouts fire in :meth:`tick`,
which every public method runs first and which a server calls on a short background timer;
an engine alone starts no thread, so tests with a :class:`ManualClock` stay deterministic.

Public methods take and return plain JSON-like values (camelCase keys, as on the wire); the
returned objects share data with the engine and must be treated as read-only.
"""

from __future__ import annotations

import dataclasses
import functools
import heapq
import itertools
import logging
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any, TypeVar

from fake_server.clock import Clock, SystemClock
from fake_server.definitions import (
    TaskDef,
    WorkflowDef,
    WorkflowTaskDef,
    default_task_def,
    parse_task_def,
    parse_workflow_def,
    retry_delay_seconds,
)
from fake_server.domains import ACTIVE_WORKER_WINDOW_MS, queue_name, resolve_domain
from fake_server.errors import ConflictError, NotFoundError, invalid
from fake_server.expressions import evaluate
from fake_server.models import RESULT_STATUSES, Task, Workflow
from fake_server.queues import TaskQueues
from fake_server.stats import PickupLatencies, WorkerStats
from fake_server.validation import Fields, check_range, require_list

log = logging.getLogger(__name__)

MAX_LONG_POLL_MS = 5000
# A batch poll asking for more gets this many: bounds the work one request can cause.
MAX_BATCH_POLL_COUNT = 1000
MAX_ADHOC_TASKS = 100_000
MAX_REASON_LENGTH = 500
ADHOC_PREFIX = "adhoc-"

_T = TypeVar("_T")


def _synchronized(method: Callable[..., _T]) -> Callable[..., _T]:
    """Run a public method under the engine lock, after firing what is due."""

    @functools.wraps(method)
    def wrapper(self: Engine, *args: Any, **kwargs: Any) -> _T:
        with self._lock:
            self._tick_locked()
            return method(self, *args, **kwargs)

    return wrapper


class Engine:
    """An in-memory Conductor: see the module docstring."""

    def __init__(self, clock: Clock | None = None, *, long_poll: bool = True) -> None:
        self.clock: Clock = clock if clock is not None else SystemClock()
        # False imitates a server without long polling: batch polls answer at once, so a
        # worker's own polling interval shows in how often it polls.
        self.long_poll = long_poll
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._wake_generation = 0
        self._reset_state()
        self.clock.subscribe(self._on_clock_moved)

    # ----------------------------------------------------------------- lifecycle
    def _reset_state(self) -> None:
        self._task_defs: dict[str, TaskDef] = {}
        self._workflow_defs: dict[str, dict[int, WorkflowDef]] = {}
        self._workflows: dict[str, Workflow] = {}
        self._tasks: dict[str, Task] = {}
        self._queues = TaskQueues()
        self._poll_data: dict[tuple[str, str | None], dict[str, Any]] = {}
        self._workers: dict[str, WorkerStats] = defaultdict(WorkerStats)
        self._latencies = PickupLatencies()
        self._in_progress: dict[str, int] = defaultdict(int)  # per taskDefName
        # Task counts per queue and stats bucket, kept as statuses change: stats() stays cheap.
        self._queue_counts: dict[str, dict[str, int]] = {}
        self._handouts: dict[str, deque[int]] = defaultdict(deque)  # per taskDefName, for rate
        self._deadlines: list[tuple[int, int, str, str]] = []  # (due ms, seq, kind, id)
        self._sequence = itertools.count()

    def close(self) -> None:
        """Detach from the clock and release every waiting long poll."""
        self.clock.unsubscribe(self._on_clock_moved)
        self.wake_waiters()

    def wake_waiters(self) -> None:
        """End every long poll in progress now (they answer with what they have: nothing)."""
        with self._lock:
            self._wake_generation += 1
            self._changed.notify_all()

    def _on_clock_moved(self) -> None:
        with self._lock:
            self._tick_locked()
            self._changed.notify_all()

    @_synchronized
    def reset(self) -> None:
        """Drop all state: definitions, workflows, tasks, queues, poll data, stats."""
        self._reset_state()
        self._changed.notify_all()
        log.info("state reset")

    def tick(self) -> None:
        """Fire every timeout that is due (the background timer and each request call it)."""
        with self._lock:
            self._tick_locked()

    def now_ms(self) -> int:
        return self.clock.now_ms()

    # --------------------------------------------------------------- definitions
    @_synchronized
    def register_task_defs(self, defs: Any) -> list[str]:
        """Create or replace task definitions (``POST /metadata/taskdefs``)."""
        parsed = [
            parse_task_def(d, f"taskDefs[{i}]")
            for i, d in enumerate(require_list(defs, "taskDefs"))
        ]
        for task_def in parsed:
            self._store_task_def(task_def)
        return [task_def.name for task_def in parsed]

    @_synchronized
    def update_task_def(self, data: Any) -> str:
        """Replace one existing task definition (``PUT /metadata/taskdefs``); 404 if unknown."""
        task_def = parse_task_def(data, "taskDef")
        if task_def.name not in self._task_defs:
            raise NotFoundError(f"No such taskType found by name: {task_def.name}")
        self._store_task_def(task_def)
        return task_def.name

    def _store_task_def(self, task_def: TaskDef) -> None:
        now = self.clock.now_ms()
        previous = self._task_defs.get(task_def.name)
        created = previous.extra.get("createTime", now) if previous else now
        extra = {**task_def.extra, "createTime": created, "updateTime": now}
        self._task_defs[task_def.name] = dataclasses.replace(task_def, extra=extra)

    @_synchronized
    def get_task_def(self, name: str) -> dict[str, Any]:
        task_def = self._task_defs.get(name)
        if task_def is None:
            raise NotFoundError(f"No such taskType found by name: {name}")
        return task_def.to_json()

    @_synchronized
    def list_task_defs(self) -> list[dict[str, Any]]:
        return [task_def.to_json() for task_def in self._task_defs.values()]

    @_synchronized
    def delete_task_def(self, name: str) -> None:
        if self._task_defs.pop(name, None) is None:
            raise NotFoundError(f"No such taskType found by name: {name}")

    @_synchronized
    def register_workflow_def(self, data: Any) -> WorkflowDef:
        """Create a workflow definition (``POST /metadata/workflow``); 409 when it exists."""
        workflow_def = parse_workflow_def(data)
        if workflow_def.version in self._workflow_defs.get(workflow_def.name, {}):
            raise ConflictError(
                f"Workflow with {workflow_def.name}.{workflow_def.version} already exists!"
            )
        self._store_workflow_def(workflow_def)
        return workflow_def

    @_synchronized
    def upsert_workflow_defs(self, defs: Any) -> list[WorkflowDef]:
        """Create or replace workflow definitions (``PUT /metadata/workflow``)."""
        items = require_list(defs, "workflowDefs")
        parsed = [parse_workflow_def(d, f"workflowDefs[{i}]") for i, d in enumerate(items)]
        for workflow_def in parsed:
            self._store_workflow_def(workflow_def)
        return parsed

    def _store_workflow_def(self, workflow_def: WorkflowDef) -> None:
        self._workflow_defs.setdefault(workflow_def.name, {})[workflow_def.version] = workflow_def

    @_synchronized
    def get_workflow_def(self, name: str, version: int | None = None) -> dict[str, Any]:
        return self._find_workflow_def(name, version).to_json()

    @_synchronized
    def list_workflow_defs(self) -> list[dict[str, Any]]:
        return [d.to_json() for versions in self._workflow_defs.values() for d in versions.values()]

    @_synchronized
    def delete_workflow_def(self, name: str, version: int) -> None:
        versions = self._workflow_defs.get(name, {})
        if versions.pop(version, None) is None:
            raise NotFoundError(f"No such workflow definition: {name} version: {version}")

    def _find_workflow_def(self, name: str, version: int | None) -> WorkflowDef:
        versions = self._workflow_defs.get(name)
        if versions and version is None:
            return versions[max(versions)]
        if versions and version in versions:
            return versions[version]
        shown = "latest" if version is None else version
        raise NotFoundError(f"No such workflow defined. name={name}, version={shown}")

    # ----------------------------------------------------------------- workflows
    @_synchronized
    def start_workflow(self, request: Any) -> str:
        """Start a workflow from a StartWorkflowRequest; its first task is queued on return."""
        f = Fields(request, "StartWorkflowRequest")
        inline = f.data.get("workflowDef")
        if inline is not None:
            definition = parse_workflow_def(inline, f.where("workflowDef"))
        else:
            definition = self._find_workflow_def(
                f.string("name", required=True), f.integer("version", minimum=1)
            )
        task_to_domain = f.obj("taskToDomain", default={})
        for task_type, domain in task_to_domain.items():
            if not isinstance(domain, str):
                raise invalid(f"{f.where('taskToDomain')}.{task_type}", "must be a string", domain)
        now = self.clock.now_ms()
        workflow = Workflow(
            workflow_id=str(uuid.uuid4()),
            definition=definition,
            status="RUNNING",
            input=f.obj("input", default={}),
            create_time=now,
            update_time=now,
            correlation_id=f.string("correlationId"),
            task_to_domain=dict(task_to_domain),
            priority=f.integer("priority", default=0, minimum=0, maximum=99),
        )
        self._workflows[workflow.workflow_id] = workflow
        if definition.timeout_seconds:
            self._watch(now + definition.timeout_seconds * 1000, "workflow", workflow.workflow_id)
        log.info(
            "started workflow %s (%s v%s)",
            workflow.workflow_id,
            definition.name,
            definition.version,
        )
        self._schedule(workflow, definition.tasks[0])
        return workflow.workflow_id

    def start_workflow_by_name(
        self,
        name: str,
        workflow_input: Any,
        *,
        version: int | None = None,
        correlation_id: str | None = None,
        priority: int | None = None,
    ) -> str:
        """``POST /workflow/{name}``: the body is the input map."""
        request = {
            "name": name,
            "version": version,
            "input": workflow_input,
            "correlationId": correlation_id,
            "priority": priority,
        }
        return self.start_workflow(request)

    @_synchronized
    def get_workflow(self, workflow_id: str, include_tasks: bool = True) -> dict[str, Any]:
        workflow = self._workflow(workflow_id)
        tasks = [self._tasks[tid] for tid in workflow.task_ids] if include_tasks else None
        return workflow.to_json(tasks)

    @_synchronized
    def terminate_workflow(self, workflow_id: str, reason: str | None = None) -> None:
        workflow = self._workflow(workflow_id)
        if not workflow.is_terminal:
            self._end_workflow(workflow, "TERMINATED", reason or "terminated by request")

    def _workflow(self, workflow_id: str) -> Workflow:
        workflow = self._workflows.get(workflow_id)
        if workflow is None:
            raise NotFoundError(f"No such workflow found by id: {workflow_id}")
        return workflow

    # ------------------------------------------------------------------- polling
    @_synchronized
    def poll(
        self, task_type: str, worker_id: str | None = None, domain: str | None = None
    ) -> dict[str, Any] | None:
        """One task of ``task_type`` (in ``domain``) for ``worker_id``, or None."""
        now = self.clock.now_ms()
        self._record_poll(task_type, domain, worker_id, now)
        tasks = self._take(task_type, domain, worker_id, 1, now)
        return tasks[0].to_json() if tasks else None

    def batch_poll(
        self,
        task_type: str,
        worker_id: str | None = None,
        domain: str | None = None,
        count: int = 1,
        timeout_ms: int = 0,
    ) -> list[dict[str, Any]]:
        """Up to ``count`` tasks; with none ready, wait up to ``timeout_ms`` for one.

        The wait is real time (it holds an HTTP request), whatever the clock: a task that is
        queued, or comes due, or a move of a manual clock wakes it at once."""
        check_range("timeout", timeout_ms, 0, None)
        if timeout_ms > MAX_LONG_POLL_MS:
            raise invalid(
                "timeout", "Long Poll Timeout value cannot be more than 5 seconds", timeout_ms
            )
        count = min(count, MAX_BATCH_POLL_COUNT)
        if not self.long_poll:
            timeout_ms = 0
        give_up_at = time.monotonic() + timeout_ms / 1000
        queue = queue_name(task_type, domain)
        with self._lock:
            generation = self._wake_generation
            self._tick_locked()
            now = self.clock.now_ms()
            self._record_poll(task_type, domain, worker_id, now)
            while True:
                tasks = self._take(task_type, domain, worker_id, count, now) if count > 0 else []
                remaining = give_up_at - time.monotonic()
                if tasks or count <= 0 or remaining <= 0 or generation != self._wake_generation:
                    return [task.to_json() for task in tasks]
                self._changed.wait(self._wait_bound(queue, task_type, now, remaining))
                self._tick_locked()
                now = self.clock.now_ms()

    def _wait_bound(self, queue: str, task_type: str, now: int, remaining: float) -> float:
        """How long a long poll may sleep before it must look again by itself."""
        wake_ms = self._queues.next_ready_ms(queue)
        if wake_ms is not None and self._allowance(task_type, 1, now) == 0:
            # Held back by a rate limit: look again when the window may have moved on.
            wake_ms = max(wake_ms, now + 50)
        if wake_ms is None:
            return remaining
        return min(remaining, max(wake_ms - now, 1) / 1000)

    def _record_poll(
        self, task_type: str, domain: str | None, worker_id: str | None, now: int
    ) -> None:
        self._poll_data[(task_type, domain)] = {"workerId": worker_id, "lastPollTime": now}
        self._workers[worker_id or ""].record_poll(queue_name(task_type, domain), now)

    def _has_active_worker(self, task_type: str, domain: str) -> bool:
        data = self._poll_data.get((task_type, domain))
        return (
            data is not None
            and self.clock.now_ms() - data["lastPollTime"] <= ACTIVE_WORKER_WINDOW_MS
        )

    def _take(
        self, task_type: str, domain: str | None, worker_id: str | None, count: int, now: int
    ) -> list[Task]:
        queue = queue_name(task_type, domain)
        allowed = self._allowance(task_type, count, now)
        tasks = [self._tasks[tid] for tid in self._queues.pop_ready(queue, now, allowed)]
        for task in tasks:
            self._hand_out(task, queue, worker_id, now)
        return tasks

    def _allowance(self, task_type: str, wanted: int, now: int) -> int:
        """How many tasks of this type may be handed out now under its definition's limits."""
        task_def = self._task_defs.get(task_type)
        if task_def is None:
            return wanted
        if task_def.concurrent_exec_limit:
            wanted = min(wanted, task_def.concurrent_exec_limit - self._in_progress[task_type])
        if task_def.rate_limit_per_frequency:
            handouts = self._handouts[task_type]
            window_start = now - task_def.rate_limit_frequency_in_seconds * 1000
            while handouts and handouts[0] <= window_start:
                handouts.popleft()
            wanted = min(wanted, task_def.rate_limit_per_frequency - len(handouts))
        return max(0, wanted)

    def _hand_out(self, task: Task, queue: str, worker_id: str | None, now: int) -> None:
        task.queued = False
        self._set_status(task, "IN_PROGRESS")
        self._latencies.record(queue, now - task.ready_ms)
        task.worker_id = worker_id
        task.poll_count += 1
        task.update_time = now
        task.callback_after_seconds = 0
        if not task.start_time:
            task.start_time = now
            task.first_start_time = now
            if task.task_def.timeout_seconds:
                self._watch(now + task.task_def.timeout_seconds * 1000, "task", task.task_id)
        self._watch_response_timeout(task)
        self._handouts[task.task_def_name].append(now)
        self._workers[worker_id or ""].tasks_handed_out += 1

    # ------------------------------------------------------------------- updates
    @_synchronized
    def update_task(self, result: Any) -> str:
        """Apply a TaskResult (``POST /tasks``); returns the task id."""
        return self._apply_result(result).task_id

    @_synchronized
    def update_task_v2(self, result: Any) -> dict[str, Any] | None:
        """Apply a TaskResult, then, if the task is now terminal, hand the same worker the
        next task of the same type and domain (``POST /tasks/update-v2``)."""
        task = self._apply_result(result)
        if not task.is_terminal:
            return None
        worker_id = Fields(result, "TaskResult").string("workerId") or task.worker_id
        now = self.clock.now_ms()
        self._record_poll(task.task_type, task.domain, worker_id, now)
        tasks = self._take(task.task_type, task.domain, worker_id, 1, now)
        return tasks[0].to_json() if tasks else None

    def _apply_result(self, result: Any) -> Task:
        f = Fields(result, "TaskResult")
        workflow_id = f.string("workflowInstanceId", required=True)
        task_id = f.string("taskId", required=True)
        extend_lease = f.boolean("extendLease")
        status = f.choice("status", RESULT_STATUSES)
        if status is None and not extend_lease:
            raise invalid("TaskResult.status", f"is required, one of {', '.join(RESULT_STATUSES)}")
        output = f.obj("outputData")
        reason = f.string("reasonForIncompletion")
        callback_seconds = f.integer("callbackAfterSeconds", default=0, minimum=0)
        worker_id = f.string("workerId")
        logs = [self._parse_log(entry, i, task_id) for i, entry in enumerate(f.items("logs"))]

        task = self._task_of_workflow(workflow_id, task_id)
        workflow = self._workflows.get(workflow_id)
        if task.is_terminal or (workflow is not None and workflow.is_terminal):
            return task  # a late or repeated update changes nothing
        now = self.clock.now_ms()
        task.logs = task.logs + logs
        task.update_time = now
        if extend_lease:
            self._watch_response_timeout(task)
            return task
        if worker_id:
            task.worker_id = worker_id
        if output is not None:
            task.output_data = output
        if reason is not None:
            task.reason_for_incompletion = reason[:MAX_REASON_LENGTH]
        if status == "IN_PROGRESS":
            task.callback_after_seconds = callback_seconds
            self._requeue(task, now + callback_seconds * 1000)
        elif status == "COMPLETED":
            self._complete(task)
        else:
            self._fail(task, status)
        return task

    def _parse_log(self, entry: Any, index: int, task_id: str) -> dict[str, Any]:
        f = Fields(entry, f"TaskResult.logs[{index}]")
        return {
            "log": f.string("log", default=""),
            "taskId": task_id,
            "createdTime": f.integer("createdTime", default=self.clock.now_ms()),
        }

    def _task_of_workflow(self, workflow_id: str, task_id: str) -> Task:
        task = self._tasks.get(task_id)
        is_adhoc = task is not None and task.workflow_type is None
        if workflow_id not in self._workflows and not (
            is_adhoc and task.workflow_instance_id == workflow_id
        ):
            raise NotFoundError(f"No such workflow found by id: {workflow_id}")
        if task is None or task.workflow_instance_id != workflow_id:
            raise NotFoundError(f"No such task found by id: {task_id}")
        return task

    @_synchronized
    def get_task(self, task_id: str) -> dict[str, Any]:
        return self._task(task_id).to_json()

    @_synchronized
    def add_task_log(self, task_id: str, line: str) -> None:
        task = self._task(task_id)
        entry = {"log": line, "taskId": task_id, "createdTime": self.clock.now_ms()}
        task.logs = [*task.logs, entry]

    @_synchronized
    def get_task_logs(self, task_id: str) -> list[dict[str, Any]]:
        return list(self._task(task_id).logs)

    def _task(self, task_id: str) -> Task:
        task = self._tasks.get(task_id)
        if task is None:
            raise NotFoundError(f"No such task found by id: {task_id}")
        return task

    # -------------------------------------------------------- task state changes
    def _set_status(self, task: Task, status: str) -> None:
        """The one place a task's status changes: keeps the IN_PROGRESS count per def and the
        per-queue counts right."""
        if task.status == "IN_PROGRESS":
            self._in_progress[task.task_def_name] -= 1
        if status == "IN_PROGRESS":
            self._in_progress[task.task_def_name] += 1
        self._count(task, task.status, -1)
        self._count(task, status, +1)
        task.status = status

    def _count(self, task: Task, status: str, delta: int) -> None:
        queue = queue_name(task.task_type, task.domain)
        counts = self._queue_counts.get(queue)
        if counts is None:
            counts = self._queue_counts[queue] = dict.fromkeys(_STATS_BUCKET_NAMES, 0)
        bucket = _STATS_BUCKETS.get(status)
        if bucket:
            counts[bucket] += delta

    def _enqueue(self, task: Task, ready_ms: int) -> None:
        task.ready_ms = ready_ms
        task.queued = True
        self._queues.push(queue_name(task.task_type, task.domain), task.task_id, ready_ms)
        if task.task_def.poll_timeout_seconds:
            self._watch(ready_ms + task.task_def.poll_timeout_seconds * 1000, "task", task.task_id)
        self._changed.notify_all()

    def _dequeue(self, task: Task) -> None:
        if task.queued:
            self._queues.remove(queue_name(task.task_type, task.domain), task.task_id)
            task.queued = False

    def _requeue(self, task: Task, ready_ms: int) -> None:
        self._dequeue(task)
        self._set_status(task, "SCHEDULED")
        self._enqueue(task, ready_ms)

    def _end_task(self, task: Task, status: str, reason: str | None = None) -> None:
        self._dequeue(task)
        self._set_status(task, status)
        if reason is not None:
            task.reason_for_incompletion = reason
        task.end_time = self.clock.now_ms()
        task.update_time = task.end_time
        task.executed = True

    def _complete(self, task: Task) -> None:
        self._end_task(task, "COMPLETED")
        workflow = self._workflows.get(task.workflow_instance_id)
        if workflow is not None:
            self._continue(workflow, task)

    def _fail(self, task: Task, status: str, reason: str | None = None) -> None:
        """FAILED or TIMED_OUT: retry while retries remain; FAILED_WITH_TERMINAL_ERROR: never."""
        self._end_task(task, status, reason)
        if status != "FAILED_WITH_TERMINAL_ERROR" and task.retry_count < self._retry_limit(task):
            self._retry(task)
        else:
            self._give_up(task)

    def _retry_limit(self, task: Task) -> int:
        workflow_task = task.workflow_task_def
        if workflow_task is not None and workflow_task.retry_count is not None:
            return workflow_task.retry_count
        return task.task_def.retry_count

    def _give_up(self, task: Task) -> None:
        """A task that will not be retried: an optional one lets its workflow go on."""
        workflow = self._workflows.get(task.workflow_instance_id)
        if workflow is None:
            return
        if task.workflow_task_def is not None and task.workflow_task_def.optional:
            self._set_status(task, "COMPLETED_WITH_ERRORS")
            self._continue(workflow, task)
            return
        reason = (
            f"Task {task.task_id} failed with status: {task.status} and reason: "
            f"'{task.reason_for_incompletion}'"
        )
        self._end_workflow(
            workflow, "TIMED_OUT" if task.status == "TIMED_OUT" else "FAILED", reason
        )

    def _retry(self, failed: Task) -> None:
        failed.retried = True
        now = self.clock.now_ms()
        workflow = self._workflows.get(failed.workflow_instance_id)
        domain = failed.domain
        if workflow is not None:
            domain = resolve_domain(
                workflow.task_to_domain, failed.task_type, self._has_active_worker
            )
        retry = self._new_task(
            failed.task_type,
            failed.task_def,
            workflow_instance_id=failed.workflow_instance_id,
            workflow=workflow,
            workflow_task=failed.workflow_task_def,
            reference_task_name=failed.reference_task_name,
            input_data=failed.input_data,
            domain=domain,
            now=now,
        )
        retry.retry_count = failed.retry_count + 1
        retry.retried_task_id = failed.task_id
        delay = retry_delay_seconds(failed.task_def, failed.retry_count)
        retry.callback_after_seconds = delay
        log.info("retrying task %s as %s in %ss", failed.task_id, retry.task_id, delay)
        self._enqueue(retry, now + delay * 1000)

    # ---------------------------------------------------------- workflow progress
    def _schedule(self, workflow: Workflow, workflow_task: WorkflowTaskDef) -> None:
        task_def = (
            workflow_task.task_definition
            or self._task_defs.get(workflow_task.name)
            or default_task_def(workflow_task.name)
        )
        task_input = evaluate(workflow_task.input_parameters, self._expression_context(workflow))
        for key, value in task_def.input_template.items():
            if task_input.get(key) is None:
                task_input[key] = value
        now = self.clock.now_ms()
        task = self._new_task(
            workflow_task.name,
            task_def,
            workflow_instance_id=workflow.workflow_id,
            workflow=workflow,
            workflow_task=workflow_task,
            reference_task_name=workflow_task.task_reference_name,
            input_data=task_input,
            domain=resolve_domain(
                workflow.task_to_domain, workflow_task.name, self._has_active_worker
            ),
            now=now,
        )
        task.start_delay_in_seconds = workflow_task.start_delay
        self._enqueue(task, now + workflow_task.start_delay * 1000)

    def _new_task(
        self,
        task_type: str,
        task_def: TaskDef,
        *,
        workflow_instance_id: str,
        workflow: Workflow | None,
        workflow_task: WorkflowTaskDef | None,
        reference_task_name: str,
        input_data: dict[str, Any],
        domain: str | None,
        now: int,
    ) -> Task:
        task = Task(
            task_id=str(uuid.uuid4()),
            task_type=task_type,
            status="SCHEDULED",
            reference_task_name=reference_task_name,
            workflow_instance_id=workflow_instance_id,
            workflow_type=workflow.definition.name if workflow else None,
            scheduled_time=now,
            update_time=now,
            input_data=input_data,
            task_def_name=task_type,
            correlation_id=workflow.correlation_id if workflow else None,
            response_timeout_seconds=task_def.response_timeout_seconds,
            domain=domain,
            workflow_task=workflow_task.to_json() if workflow_task else None,
            rate_limit_per_frequency=task_def.rate_limit_per_frequency,
            rate_limit_frequency_in_seconds=task_def.rate_limit_frequency_in_seconds,
            workflow_priority=workflow.priority if workflow else 0,
            task_def=task_def,
            workflow_task_def=workflow_task,
        )
        if workflow is not None:
            workflow.task_ids.append(task.task_id)
            workflow.update_time = now
            task.seq = len(workflow.task_ids)
        self._tasks[task.task_id] = task
        self._count(task, task.status, +1)
        return task

    def _continue(self, workflow: Workflow, done: Task) -> None:
        """After ``done`` finished for good: schedule the next task or complete the workflow."""
        if workflow.is_terminal:
            return
        refs = [t.task_reference_name for t in workflow.definition.tasks]
        position = refs.index(done.reference_task_name) + 1
        if position < len(refs):
            self._schedule(workflow, workflow.definition.tasks[position])
            return
        if workflow.definition.output_parameters:
            workflow.output = evaluate(
                workflow.definition.output_parameters, self._expression_context(workflow)
            )
        else:
            workflow.output = done.output_data
        self._end_workflow(workflow, "COMPLETED", None)

    def _end_workflow(self, workflow: Workflow, status: str, reason: str | None) -> None:
        workflow.status = status
        workflow.reason_for_incompletion = reason
        workflow.end_time = workflow.update_time = self.clock.now_ms()
        for task_id in workflow.task_ids:
            task = self._tasks[task_id]
            if not task.is_terminal:
                self._end_task(task, "CANCELED")
        log.info("workflow %s %s%s", workflow.workflow_id, status, f": {reason}" if reason else "")

    def _expression_context(self, workflow: Workflow) -> dict[str, Any]:
        context: dict[str, Any] = {}
        for task_id in workflow.task_ids:  # in order, so the latest attempt of a ref wins
            task = self._tasks[task_id]
            context[task.reference_task_name] = task.expression_view()
        context["workflow"] = workflow.expression_view()
        return context

    # ------------------------------------------------------------------ timeouts
    def _watch(self, due_ms: int, kind: str, object_id: str) -> None:
        heapq.heappush(self._deadlines, (due_ms, next(self._sequence), kind, object_id))

    def _watch_response_timeout(self, task: Task) -> None:
        seconds = task.task_def.response_timeout_seconds + task.callback_after_seconds
        self._watch(task.update_time + seconds * 1000, "task", task.task_id)

    def _tick_locked(self) -> None:
        now = self.clock.now_ms()
        while self._deadlines and self._deadlines[0][0] <= now:
            _, _, kind, object_id = heapq.heappop(self._deadlines)
            # Entries are hints: the check looks at the object's state now.
            if kind == "task":
                self._check_task_timeouts(self._tasks.get(object_id), now)
            else:
                self._check_workflow_timeout(self._workflows.get(object_id), now)

    def _check_task_timeouts(self, task: Task | None, now: int) -> None:
        if task is None or task.is_terminal:
            return
        task_def = task.task_def
        if task_def.timeout_seconds and task.start_time:
            elapsed = (now - task.start_time) // 1000
            if elapsed >= task_def.timeout_seconds:
                reason = (
                    f"Task timed out after {elapsed} seconds. Timeout configured as "
                    f"{task_def.timeout_seconds} seconds. Timeout policy configured to "
                    f"{task_def.timeout_policy}"
                )
                self._time_out(task, "timeoutSeconds", reason)
                return
        if task.status == "IN_PROGRESS":
            limit_seconds = task_def.response_timeout_seconds + task.callback_after_seconds
            if now - task.update_time >= limit_seconds * 1000:
                reason = (
                    f"responseTimeout: {task_def.response_timeout_seconds} exceeded for the "
                    f"taskId: {task.task_id} with Task Status: {task.status}"
                )
                log.info("task %s: %s", task.task_id, reason)
                self._fail(task, "TIMED_OUT", reason)
            return
        if task.status == "SCHEDULED" and task_def.poll_timeout_seconds:
            waited = now - task.ready_ms
            if waited >= task_def.poll_timeout_seconds * 1000:
                reason = (
                    f"Task poll timed out after {waited // 1000} seconds. Poll timeout "
                    f"configured as {task_def.poll_timeout_seconds} seconds. Timeout policy "
                    f"configured to {task_def.timeout_policy}"
                )
                self._time_out(task, "pollTimeoutSeconds", reason)

    def _time_out(self, task: Task, kind: str, reason: str) -> None:
        """Apply the task definition's timeoutPolicy to a timeout of ``kind``."""
        policy = task.task_def.timeout_policy
        if policy == "ALERT_ONLY":
            if kind not in task.alerted:
                task.alerted = task.alerted | {kind}
                log.warning("task %s (%s): %s", task.task_id, task.task_type, reason)
            return
        log.info("task %s: %s", task.task_id, reason)
        if policy == "RETRY":
            self._fail(task, "TIMED_OUT", reason)
        else:
            self._end_task(task, "TIMED_OUT", reason)
            self._give_up(task)

    def _check_workflow_timeout(self, workflow: Workflow | None, now: int) -> None:
        if workflow is None or workflow.is_terminal:
            return
        timeout_seconds = workflow.definition.timeout_seconds
        elapsed = (now - workflow.start_time) // 1000
        if elapsed < timeout_seconds:
            return
        policy = workflow.definition.timeout_policy
        reason = (
            f"Workflow timed out after {elapsed} seconds. Timeout configured as "
            f"{timeout_seconds} seconds. Timeout policy configured to {policy}"
        )
        if policy == "ALERT_ONLY":
            if not workflow.timeout_alerted:
                workflow.timeout_alerted = True
                log.warning("workflow %s: %s", workflow.workflow_id, reason)
            return
        self._end_workflow(workflow, "TIMED_OUT", reason)

    # ------------------------------------------------------- queues and poll data
    @_synchronized
    def queue_sizes(self, task_types: list[str]) -> dict[str, int]:
        """Sizes of the named queues (``domain:type`` for a domain queue)."""
        return {name: self._queues.size(name) for name in task_types}

    @_synchronized
    def all_queue_sizes(self) -> dict[str, int]:
        return self._queues.sizes()

    @_synchronized
    def poll_data(self, task_type: str) -> list[dict[str, Any]]:
        return [self._poll_data_json(key) for key in self._poll_data if key[0] == task_type]

    @_synchronized
    def all_poll_data(self) -> list[dict[str, Any]]:
        return [self._poll_data_json(key) for key in self._poll_data]

    def _poll_data_json(self, key: tuple[str, str | None]) -> dict[str, Any]:
        task_type, domain = key
        body = {"queueName": task_type, "domain": domain, **self._poll_data[key]}
        return {name: value for name, value in body.items() if value is not None}

    # ------------------------------------------------------------ admin (tests)
    @_synchronized
    def enqueue_tasks(
        self,
        task_type: str,
        count: int = 1,
        *,
        domain: str | None = None,
        task_input: dict[str, Any] | None = None,
    ) -> list[str]:
        """Queue ``count`` SCHEDULED tasks that belong to no workflow. They share one synthetic
        ``workflowInstanceId`` (``adhoc-…``) that updates must carry; the task definition's
        retries and timeouts apply to them as to any task."""
        check_range("count", count, 1, MAX_ADHOC_TASKS)
        task_def = self._task_defs.get(task_type) or default_task_def(task_type)
        workflow_instance_id = f"{ADHOC_PREFIX}{uuid.uuid4()}"
        now = self.clock.now_ms()
        ids = []
        for position in range(count):
            task = self._new_task(
                task_type,
                task_def,
                workflow_instance_id=workflow_instance_id,
                workflow=None,
                workflow_task=None,
                reference_task_name=task_type,
                input_data=dict(task_input or {}),
                domain=domain or None,
                now=now,
            )
            task.seq = position + 1
            self._enqueue(task, now)
            ids.append(task.task_id)
        return ids

    def advance_clock(self, ms: float) -> int:
        """Move a manual clock forward (firing what comes due); returns the new time."""
        check_range("ms", ms, 0, None)
        if not self.clock.is_manual:
            raise ConflictError(
                "The server runs on the system clock, which cannot be moved; "
                "start it with a ManualClock to control time"
            )
        return self.clock.advance(ms)  # type: ignore[attr-defined]

    @_synchronized
    def stats(self) -> dict[str, Any]:
        workflows: dict[str, int] = defaultdict(int)
        for workflow in self._workflows.values():
            workflows[workflow.status] += 1
        return {
            "now": self.clock.now_ms(),
            "queues": {queue: dict(counts) for queue, counts in self._queue_counts.items()},
            "workers": {worker_id: s.to_json() for worker_id, s in self._workers.items()},
            "pickupLatencyMs": self._latencies.to_json(),
            "workflows": dict(workflows),
            "tasks": len(self._tasks),
        }

    @_synchronized
    def snapshot(self) -> dict[str, Any]:
        """Everything the engine holds, as JSON."""
        tasks = []
        for task in self._tasks.values():
            body = task.to_json()
            body["logs"] = list(task.logs)
            if task.queued:
                body["readyTime"] = task.ready_ms
            tasks.append(body)
        workflows = []
        for workflow in self._workflows.values():
            body = workflow.to_json(None)
            body["taskIds"] = list(workflow.task_ids)
            workflows.append(body)
        return {
            "now": self.clock.now_ms(),
            "clock": "manual" if self.clock.is_manual else "system",
            "taskDefs": [task_def.to_json() for task_def in self._task_defs.values()],
            "workflowDefs": [
                d.to_json() for versions in self._workflow_defs.values() for d in versions.values()
            ],
            "workflows": workflows,
            "tasks": tasks,
            "queues": {name: self._queues.contents(name) for name in self._queues.sizes()},
            "pollData": [self._poll_data_json(key) for key in self._poll_data],
        }


_STATS_BUCKETS = {
    "SCHEDULED": "scheduled",
    "IN_PROGRESS": "inProgress",
    "COMPLETED": "completed",
    "FAILED": "failed",
    "FAILED_WITH_TERMINAL_ERROR": "failed",
    "COMPLETED_WITH_ERRORS": "failed",
    "TIMED_OUT": "timedOut",
    "CANCELED": "canceled",
}
_STATS_BUCKET_NAMES = ("scheduled", "inProgress", "completed", "failed", "timedOut", "canceled")
