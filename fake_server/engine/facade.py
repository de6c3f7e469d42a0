"""The engine's public face: every operation of the fake Conductor, thread safe. No HTTP here.

All state sits in one :class:`~fake_server.engine.state.EngineState` behind one lock, and a long
poll waits on a condition of that lock. Time comes only from the injected clock. Timeouts fire
in :meth:`Engine.tick`, which every public method runs first and which a server calls on a short
background timer; an engine alone starts no thread, so tests with a :class:`ManualClock` stay
deterministic. On a :class:`SkippingClock`, every public method and tick end by jumping the
clock to the next timer when nothing is under way (:mod:`.skipping`).

Public methods take and return plain JSON-like values (camelCase keys, as on the wire); the
returned objects share data with the engine and must be treated as read-only. The rules behind
them live in the modules of this package: :mod:`.scheduling`, :mod:`.decider`,
:mod:`.polling`, :mod:`.results`, :mod:`.retries`, :mod:`.timeouts`, :mod:`.inspection`.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from fake_server.engine import (
    decider,
    diagnosis,
    inspection,
    polling,
    requeue,
    results,
    retention,
    scheduling,
    search,
    signals,
    timeouts,
    workflow_ops,
    workflow_testing,
)
from fake_server.engine.clock import Clock, MovableClock, SkippingClock, SystemClock
from fake_server.engine.definitions import WorkflowDef, parse_task_def, parse_workflow_def
from fake_server.engine.domains import queue_name
from fake_server.engine.errors import (
    BadRequestError,
    ConflictError,
    NotFoundError,
    illegal_argument,
    unsupported,
)
from fake_server.engine.skipping import TimeSkipper
from fake_server.engine.state import EngineState
from fake_server.engine.tasks.http import Http
from fake_server.engine.validation import Fields, check_range, require_list, require_object

log = logging.getLogger(__name__)

_P = ParamSpec("_P")
_T = TypeVar("_T")

# Jumps one call may make before it lets other requests in (a loop of WAITs could go on for
# ever); the rest happen on the next call or tick.
MAX_SKIPS_PER_CALL = 100
# Workflows one start_workflows call may start (it holds the lock throughout).
MAX_WORKFLOWS_PER_START = 100_000


def _synchronized(
    method: Callable[Concatenate[Engine, _P], _T],
) -> Callable[Concatenate[Engine, _P], _T]:
    """Run a public method under the engine lock, after firing what is due, and skip time if
    it left nothing under way; then make the HTTP calls it scheduled, outside the lock."""

    @functools.wraps(method)
    def wrapper(self: Engine, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        with self._lock:
            timeouts.fire_due(self._state)
            retention.prune(self._state, self._retention)
            answer = method(self, *args, **kwargs)
            self._skip_time_if_idle()
        if self._state.outside_calls:
            self._make_outside_calls()
        return answer

    return wrapper


class Engine:
    """An in-memory Conductor: see the module docstring."""

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        long_poll: bool = True,
        retention_seconds: float | None = None,
    ) -> None:
        self.clock: Clock = clock if clock is not None else SystemClock()
        # False imitates a server without long polling: batch polls answer at once, so a
        # worker's own polling interval shows in how often it polls.
        self.long_poll = long_poll
        if retention_seconds is not None and retention_seconds < 0:
            raise ValueError(f"retention_seconds must be 0 or more, got {retention_seconds}")
        # How long ended workflows are kept (None: for ever) and what was removed: see
        # :mod:`.retention`.
        self.retention_ms = None if retention_seconds is None else int(retention_seconds * 1000)
        self._retention = retention.Retention(self.retention_ms)
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._wake_generation = 0
        self._state = EngineState(self.clock, self._changed)
        self._skipper = TimeSkipper(self.clock) if isinstance(self.clock, SkippingClock) else None
        self.clock.subscribe(self._on_clock_moved)

    # ----------------------------------------------------------------- lifecycle
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
            timeouts.fire_due(self._state)
            self._changed.notify_all()
            self._skip_time_if_idle()
        self._make_outside_calls()

    def _skip_time_if_idle(self) -> None:
        """Under the lock, on a skipping clock: while nothing is under way, jump to the next
        timer, fire what came due and wake the long polls (they take what became ready)."""
        if self._skipper is None:
            return
        for _ in range(MAX_SKIPS_PER_CALL):
            if self._skipper.skip_if_idle(self._state) is None:
                return
            timeouts.fire_due(self._state)
            self._changed.notify_all()

    def _make_outside_calls(self) -> None:
        """Make the HTTP calls of HTTP tasks, one at a time, without holding the lock (the
        server may be calling itself); each outcome is applied under the lock."""
        while True:
            with self._lock:
                state = self._state
                pending = decider.next_outside_call(state)
                if pending is None:
                    return
                state.outside_calls_in_flight += 1
            task, call = pending
            try:
                outcome = Http.perform(call)
            finally:
                with self._lock:
                    state.outside_calls_in_flight -= 1
            with self._lock:
                decider.finish_outside_call(self._state, task, outcome)
                self._skip_time_if_idle()

    @_synchronized
    def reset(self) -> None:
        """Drop all state: definitions, workflows, tasks, queues, poll data, stats. Long polls
        in progress end empty (see :meth:`batch_poll`)."""
        self._state = EngineState(self.clock, self._changed)
        self._retention = retention.Retention(self.retention_ms)
        if self._skipper is not None:
            self._skipper.reset_counts()
        self._changed.notify_all()
        log.info("state reset")

    def tick(self) -> None:
        """Fire every timeout that is due (the background timer and each request call it)."""
        with self._lock:
            timeouts.fire_due(self._state)
            retention.prune(self._state, self._retention)
            self._skip_time_if_idle()
        self._make_outside_calls()

    def now_ms(self) -> int:
        return self.clock.now_ms()

    # --------------------------------------------------------------- definitions
    @_synchronized
    def register_task_defs(self, defs: Any) -> list[str]:
        """Create or replace task definitions (``POST /metadata/taskdefs``)."""
        items = require_list(defs, "taskDefs")
        parsed = [parse_task_def(d, f"taskDefs[{i}]") for i, d in enumerate(items)]
        for task_def in parsed:
            self._state.store_task_def(task_def)
        return [task_def.name for task_def in parsed]

    @_synchronized
    def update_task_def(self, data: Any) -> str:
        """Replace one existing task definition (``PUT /metadata/taskdefs``); 404 if unknown."""
        task_def = parse_task_def(data, "taskDef")
        if task_def.name not in self._state.task_defs:
            raise NotFoundError(f"No such taskType found by name: {task_def.name}")
        self._state.store_task_def(task_def)
        return task_def.name

    @_synchronized
    def get_task_def(self, name: str) -> dict[str, Any]:
        task_def = self._state.task_defs.get(name)
        if task_def is None:
            raise NotFoundError(f"No such taskType found by name: {name}")
        return task_def.to_json()

    @_synchronized
    def list_task_defs(self) -> list[dict[str, Any]]:
        return [task_def.to_json() for task_def in self._state.task_defs.values()]

    @_synchronized
    def delete_task_def(self, name: str) -> None:
        if self._state.task_defs.pop(name, None) is None:
            raise NotFoundError(f"No such taskType found by name: {name}")

    @_synchronized
    def register_workflow_def(self, data: Any) -> WorkflowDef:
        """Create a workflow definition (``POST /metadata/workflow``); 409 when it exists."""
        workflow_def = parse_workflow_def(data)
        if workflow_def.version in self._state.workflow_defs.get(workflow_def.name, {}):
            raise ConflictError(
                f"Workflow with {workflow_def.name}.{workflow_def.version} already exists!"
            )
        self._state.store_workflow_def(workflow_def)
        return workflow_def

    def validate_workflow_def(self, data: Any) -> WorkflowDef:
        """Check a workflow definition as registering it would, without storing it
        (``POST /metadata/workflow/validate``)."""
        return parse_workflow_def(data)

    @_synchronized
    def upsert_workflow_defs(self, defs: Any) -> list[WorkflowDef]:
        """Create or replace workflow definitions (``PUT /metadata/workflow``)."""
        items = require_list(defs, "workflowDefs")
        parsed = [parse_workflow_def(d, f"workflowDefs[{i}]") for i, d in enumerate(items)]
        for workflow_def in parsed:
            self._state.store_workflow_def(workflow_def)
        return parsed

    @_synchronized
    def get_workflow_def(self, name: str, version: int | None = None) -> dict[str, Any]:
        return self._registered_workflow_def(name, version).to_json()

    def _registered_workflow_def(self, name: str, version: int | None) -> WorkflowDef:
        """MetadataServiceImpl.getWorkflowDef (``GET /metadata/workflow/{name}``, and a start by
        name): a 404 in its words, which user code matches on."""
        try:
            return self._state.workflow_def(name, version)
        except NotFoundError:
            shown = "null" if version is None else version
            raise NotFoundError(
                f"No such workflow found by name: {name}, version: {shown}"
            ) from None

    @_synchronized
    def definition_of_workflow(self, workflow_id: str) -> dict[str, Any]:
        """The definition a workflow runs on (as it was when it started or restarted; an
        inline one included), for drawing it."""
        archived = self._state.archived.get(workflow_id)
        if archived is not None and workflow_id not in self._state.workflows:
            return archived[0].definition.to_json()
        return self._state.workflow(workflow_id).definition.to_json()

    @_synchronized
    def list_workflow_defs(self) -> list[dict[str, Any]]:
        defs = self._state.workflow_defs
        return [d.to_json() for versions in defs.values() for d in versions.values()]

    @_synchronized
    def delete_workflow_def(self, name: str, version: int) -> None:
        versions = self._state.workflow_defs.get(name, {})
        if versions.pop(version, None) is None:
            raise NotFoundError(f"No such workflow definition: {name} version: {version}")

    # ----------------------------------------------------------------- workflows
    @_synchronized
    def start_workflow(self, request: Any, text_size: int | None = None) -> str:
        """Start a workflow from a StartWorkflowRequest; its first task is queued on return.
        ``text_size``: the size in bytes of the JSON text ``request`` was read from, when known
        (it bounds the input's size, which then needs no measuring)."""
        return decider.start_workflow(self._state, request, text_size=text_size).workflow_id

    def start_workflow_by_name(
        self,
        name: str,
        workflow_input: Any,
        *,
        version: int | None = None,
        correlation_id: str | None = None,
        priority: int | None = None,
        text_size: int | None = None,
    ) -> str:
        """``POST /workflow/{name}``: the body is the input map (``text_size``: its size in
        bytes, when known). Not under the lock itself: the start makes its HTTP tasks' calls
        once the lock is released."""
        self.get_workflow_def(name, version)  # a 404 in MetadataServiceImpl's words
        request = {
            "name": name,
            "version": version,
            "input": workflow_input,
            "correlationId": correlation_id,
            "priority": priority,
        }
        return self.start_workflow(request, text_size)

    @_synchronized
    def test_workflow(self, request: Any) -> dict[str, Any]:
        """``POST /workflow/test``: run a WorkflowTestRequest's workflow on its mocked results
        (see :mod:`.workflow_testing`); the workflow with its tasks, ended or still RUNNING."""
        workflow = workflow_testing.run_test(self._state, request)
        return workflow.to_json([self._state.tasks[tid] for tid in workflow.task_ids])

    @_synchronized
    def get_workflow(self, workflow_id: str, include_tasks: bool = True) -> dict[str, Any]:
        """The workflow (with its tasks); a removed one that was archived as it was last
        (ExecutionDAOFacade reads it from its index then)."""
        archived = self._state.archived.get(workflow_id)
        if archived is not None and workflow_id not in self._state.workflows:
            archived_workflow, archived_tasks = archived
            return archived_workflow.to_json(archived_tasks if include_tasks else None)
        workflow = self._state.workflow(workflow_id)
        tasks = [self._state.tasks[tid] for tid in workflow.task_ids] if include_tasks else None
        return workflow.to_json(tasks)

    @_synchronized
    def list_workflows(self) -> list[dict[str, Any]]:
        """Every workflow, without its tasks, oldest first."""
        return inspection.workflow_summaries(self._state)

    @_synchronized
    def terminate_workflow(self, workflow_id: str, reason: str | None = None) -> None:
        workflow = self._state.workflow(workflow_id)
        # WorkflowExecutorOps.terminateWorkflow: a COMPLETED workflow cannot be terminated, a
        # TERMINATED one stays as it is, any other (FAILED and TIMED_OUT too) becomes TERMINATED.
        if workflow.status == "COMPLETED":
            raise ConflictError("Cannot terminate a COMPLETED workflow.")
        if workflow.status != "TERMINATED":
            decider.terminate(self._state, workflow, reason)

    # ------------------------------------------ synchronous execution and signals
    @_synchronized
    def signal_task(self, workflow_id: str, status: str, output: Any) -> str | None:
        """TaskServiceImpl.signalTask: the workflow's first open WAIT task (see
        :func:`.signals.pending_blocking_task`) gets ``status`` and ``output``; its id, or
        None when nothing is blocked."""
        status = signals.task_result_status(status)
        output = require_object(output, "body") if output is not None else {}
        task = signals.pending_blocking_task(self._state, workflow_id)
        if task is None:
            return None
        results.apply_result(self._state, signals.result_for(task, status, output, None))
        return str(task.task_id)

    def await_signal_response(
        self,
        workflow_id: str,
        task_refs: list[str],
        strategy: str,
        request_id: str,
        timeout_seconds: float,
    ) -> dict[str, Any]:
        """Wait up to ``timeout_seconds`` (real time, as a long poll waits) for the workflow to
        end or block, then answer its SignalResponse (see :mod:`.signals`). Other requests go
        on meanwhile: the wait releases the lock."""
        give_up_at = time.monotonic() + max(timeout_seconds, 0)
        with self._lock:
            generation = self._wake_generation
            while True:
                timeouts.fire_due(self._state)
                state = self._state  # a reset replaces it
                if signals.settled(state, workflow_id, task_refs):
                    timed_out = False
                    break
                remaining = give_up_at - time.monotonic()
                if remaining <= 0 or generation != self._wake_generation:
                    timed_out = True
                    break
                self._changed.wait(min(remaining, signals.LOOK_INTERVAL_SECONDS))
            answer = signals.response(
                state, workflow_id, task_refs, strategy, request_id, timed_out=timed_out
            )
        self._make_outside_calls()
        return answer

    # ------------------------------------------------------- workflow operations
    @_synchronized
    def retry_workflow(self, workflow_id: str, resume_subworkflow_tasks: bool = False) -> None:
        """``POST /workflow/{id}/retry``: see :func:`.workflow_ops.retry`."""
        workflow_ops.retry(self._state, workflow_id, resume_subworkflow_tasks)

    @_synchronized
    def restart_workflow(self, workflow_id: str, use_latest_definitions: bool = False) -> None:
        """``POST /workflow/{id}/restart``: see :func:`.workflow_ops.restart`."""
        workflow_ops.restart(self._state, workflow_id, use_latest_definitions)

    @_synchronized
    def rerun_workflow(self, workflow_id: str, request: Any) -> str:
        """``POST /workflow/{id}/rerun`` with a RerunWorkflowRequest; returns the id."""
        return workflow_ops.rerun(self._state, workflow_id, request)

    @_synchronized
    def pause_workflow(self, workflow_id: str) -> None:
        workflow_ops.pause(self._state, workflow_id)

    @_synchronized
    def resume_workflow(self, workflow_id: str) -> None:
        workflow_ops.resume(self._state, workflow_id)

    @_synchronized
    def skip_task(self, workflow_id: str, reference_name: str, request: Any = None) -> None:
        """``PUT /workflow/{id}/skiptask/{ref}`` with an optional SkipTaskRequest."""
        workflow_ops.skip_task(self._state, workflow_id, reference_name, request)

    @_synchronized
    def reset_callbacks(self, workflow_id: str) -> None:
        workflow_ops.reset_callbacks(self._state, workflow_id)

    @_synchronized
    def remove_workflow(self, workflow_id: str, archive: bool = True) -> None:
        """``DELETE /workflow/{id}/remove``: the workflow and its tasks are forgotten (see
        :func:`.workflow_ops.remove` for what archiving keeps)."""
        workflow_ops.remove(self._state, workflow_id, archive)

    # ------------------------------------------------------------------ searching
    @_synchronized
    def running_workflows(
        self,
        name: str,
        version: int = 1,
        start_time: int | None = None,
        end_time: int | None = None,
    ) -> list[str]:
        """``GET /workflow/running/{name}``: ids (see :func:`.search.running_workflow_ids`)."""
        return search.running_workflow_ids(self._state, name, version, start_time, end_time)

    @_synchronized
    def correlated_workflows(
        self,
        name: str,
        correlation_id: str,
        include_closed: bool = False,
        include_tasks: bool = False,
    ) -> list[dict[str, Any]]:
        """``GET /workflow/{name}/correlated/{correlationId}``."""
        return search.correlated(self._state, name, correlation_id, include_closed, include_tasks)

    @_synchronized
    def search_workflows(
        self,
        query: str | None = None,
        free_text: str = "*",
        start: int = 0,
        size: int = 100,
        sort: str | None = None,
    ) -> dict[str, Any]:
        """``GET /workflow/search``: see :mod:`.search` for what the fake can answer."""
        return search.search(
            self._state, query=query, free_text=free_text, start=start, size=size, sort=sort
        )

    # ------------------------------------------------------------------- polling
    @_synchronized
    def poll(
        self,
        task_type: str,
        worker_id: str | None = None,
        domain: str | None = None,
        *,
        source: str | None = None,
    ) -> dict[str, Any] | None:
        """One task of ``task_type`` (in ``domain``) for ``worker_id``, or None. ``source``:
        where the poll came from (the worker's connection), to tell processes apart."""
        polling.record_poll(self._state, task_type, domain, worker_id, source)
        tasks = polling.take(self._state, task_type, domain, worker_id, 1, source)
        return polling.for_worker(tasks[0]) if tasks else None

    def batch_poll(
        self,
        task_type: str,
        worker_id: str | None = None,
        domain: str | None = None,
        count: int = 1,
        timeout_ms: int = 0,
        *,
        source: str | None = None,
    ) -> list[dict[str, Any]]:
        """Up to ``count`` tasks; with none ready, wait up to ``timeout_ms`` for one;
        ``source`` as for :meth:`poll`.

        The wait is real time (it holds an HTTP request), whatever the clock: a task that is
        queued, or comes due, or a move of a manual clock wakes it at once. A reset ends it
        empty: the poll belongs to the state it began in (under the pytest plugin, a worker of
        the previous test, maybe stopped since), never to the next test's tasks."""
        if timeout_ms < 0:  # what Conductor's queues make of it is not imitated
            raise unsupported("timeout", f"a negative poll timeout ({timeout_ms} ms)", timeout_ms)
        if timeout_ms > polling.MAX_LONG_POLL_MS:
            # ExecutionService.poll's IllegalArgumentException: a 400 with these words.
            raise illegal_argument("Long Poll Timeout value cannot be more than 5 seconds")
        count = min(count, polling.MAX_BATCH_POLL_COUNT)
        if not self.long_poll:
            timeout_ms = 0
        give_up_at = time.monotonic() + timeout_ms / 1000
        with self._lock:
            generation = self._wake_generation
            state = self._state
            timeouts.fire_due(state)
            polling.record_poll(state, task_type, domain, worker_id, source)
            while True:
                tasks = (
                    polling.take(state, task_type, domain, worker_id, count, source)
                    if count
                    else []
                )
                remaining = give_up_at - time.monotonic()
                if tasks or count <= 0 or remaining <= 0:
                    return [polling.for_worker(task) for task in tasks]
                self._changed.wait(polling.wait_bound(state, task_type, domain, remaining))
                if generation != self._wake_generation or state is not self._state:
                    return []  # woken to end (wake_waiters), or the state was reset
                timeouts.fire_due(state)

    # ------------------------------------------------------------------- updates
    @_synchronized
    def update_task(self, result: Any, text_size: int | None = None) -> str:
        """Apply a TaskResult (``POST /tasks``); returns the task id. ``text_size``: the size
        in bytes of the JSON text ``result`` was read from, when known (it bounds the output's
        size, which then needs no measuring)."""
        results.apply_result(self._state, result, text_size)
        return str(Fields(result, "TaskResult").string("taskId"))

    @_synchronized
    def update_task_v2(
        self, result: Any, text_size: int | None = None, *, source: str | None = None
    ) -> dict[str, Any] | None:
        """Apply a TaskResult, then, if the task is now terminal, hand the same worker the
        next task of the same type and domain (``POST /tasks/update-v2``); ``text_size`` as for
        :meth:`update_task`, ``source`` as for :meth:`poll`. Its controller validates the body
        itself (``@Valid``): missing ids are a 500 there, not a 400."""
        try:
            task = results.apply_result(self._state, result, text_size)
        except BadRequestError as error:
            if not error.is_constraint_violation:
                raise
            raise results.invalid_body_of_update_v2(error) from None
        if task is None or not task.is_terminal:
            return None
        worker_id = Fields(result, "TaskResult").string("workerId")
        polling.record_poll(self._state, task.task_type, task.domain, worker_id, source)
        tasks = polling.take(self._state, task.task_type, task.domain, worker_id, 1, source)
        return polling.for_worker(tasks[0]) if tasks else None

    @_synchronized
    def update_task_by_reference(
        self,
        workflow_id: str,
        reference_name: str,
        status: str,
        output: Any,
        worker_id: str | None = None,
    ) -> str | None:
        """``POST /tasks/{workflowId}/{taskRefName}/{status}`` (TaskServiceImpl.updateTask):
        the workflow's pending task of that reference name gets ``status`` and ``output``
        merged into its output; its id, or None when no such task is pending."""
        status = signals.task_result_status(status)
        output = require_object(output, "body")
        task = self._pending_task(workflow_id, reference_name)
        if task is None:
            return None
        results.apply_result(self._state, signals.result_for(task, status, output, worker_id))
        return str(task.task_id)

    def _pending_task(self, workflow_id: str, reference_name: str) -> Any:
        """ExecutionService.getPendingTaskForWorkflow: the first open task of that name."""
        workflow = self._state.workflow(workflow_id)
        return next(
            (
                self._state.tasks[task_id]
                for task_id in workflow.task_ids
                if self._state.tasks[task_id].reference_task_name == reference_name
                and not self._state.tasks[task_id].is_terminal
            ),
            None,
        )

    # --------------------------------------------------------------------- tasks
    @_synchronized
    def get_task(self, task_id: str) -> dict[str, Any]:
        return self._state.task(task_id).to_json()

    @_synchronized
    def add_task_log(self, task_id: str, line: str) -> None:
        """Conductor indexes a log line whether or not the task exists."""
        entry = {"log": line, "taskId": task_id, "createdTime": self.clock.now_ms()}
        task = self._state.tasks.get(task_id)
        if task is None:
            self._state.stray_logs.setdefault(task_id, []).append(entry)
        else:
            task.logs = [*task.logs, entry]

    @_synchronized
    def get_task_logs(self, task_id: str) -> list[dict[str, Any]]:
        """The task's logs; empty (the HTTP layer answers 204) for none or an unknown task."""
        task = self._state.tasks.get(task_id)
        return (
            list(task.logs) if task is not None else list(self._state.stray_logs.get(task_id, []))
        )

    # ------------------------------------------------------- queues and poll data
    @_synchronized
    def queue_sizes(self, task_types: list[str]) -> dict[str, int]:
        """Sizes of the named queues (``domain:type`` for a domain queue)."""
        return {name: self._state.queues.size(name) for name in task_types}

    @_synchronized
    def queue_size(self, task_type: str, domain: str | None = None) -> int:
        """``GET /tasks/queue/size``: tasks waiting in the queue of ``task_type`` in
        ``domain`` (a blank domain is none there, as Conductor trims it)."""
        domain = (domain or "").strip() or None
        return self._state.queues.size(queue_name(task_type, domain))

    @_synchronized
    def all_queue_sizes(self) -> dict[str, int]:
        return self._state.queues.sizes()

    @_synchronized
    def all_queue_details(self) -> dict[str, dict[str, dict[str, int]]]:
        """``GET /tasks/queue/all/verbose`` (see :func:`.inspection.queue_details_verbose`)."""
        return inspection.queue_details_verbose(self._state)

    @_synchronized
    def requeue_pending_tasks(self, task_type: str) -> int:
        """``POST /tasks/queue/requeue/{taskType}``: how many tasks went back to their queues
        (see :mod:`.requeue`)."""
        return requeue.requeue_pending_tasks(self._state, task_type)

    @_synchronized
    def poll_data(self, task_type: str) -> list[dict[str, Any]]:
        return inspection.poll_data(self._state, task_type)

    @_synchronized
    def all_poll_data(self) -> list[dict[str, Any]]:
        return inspection.poll_data(self._state)

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
        return scheduling.enqueue_adhoc_tasks(self._state, task_type, count, domain, task_input)

    @_synchronized
    def start_workflows(self, request: Any, count: int, text_size: int | None = None) -> list[str]:
        """Start ``count`` workflows of one StartWorkflowRequest in one go (the admin API's,
        as :meth:`enqueue_tasks` is for tasks): a benchmark's queue is full before any
        worker takes from it. Their ids, in the order started. ``text_size`` as for
        :meth:`start_workflow`."""
        check_range("count", count, 1, MAX_WORKFLOWS_PER_START)
        state = self._state
        return [
            decider.start_workflow(state, request, text_size=text_size).workflow_id
            for _ in range(count)
        ]

    def advance_clock(self, ms: float) -> int:
        """Move a manual or skipping clock forward (firing what comes due); returns the new
        time. On a skipping clock this is how a test skips what automatic skipping does not
        (a running task's response timeout)."""
        check_range("ms", ms, 0, None)
        if not isinstance(self.clock, MovableClock):
            raise ConflictError(
                "The server runs on the system clock, which cannot be moved; "
                "start it with a ManualClock or with time skipping to control time"
            )
        if self._skipper is not None:
            with self._lock:
                before = self.clock.now_ms()
                self._skipper.record_requested(before, before + int(ms))
        return int(self.clock.advance(ms))

    @_synchronized
    def set_time_skipping(self, enabled: bool) -> bool:
        """Switch time skipping on or off; returns whether it was on. 409 on a server
        without time skipping (its clock cannot jump)."""
        if self._skipper is None:
            raise ConflictError(
                "The server was started without time skipping, so its clock cannot jump; "
                "start it with time skipping (--time-skipping, FakeServer(time_skipping=True), "
                "@pytest.mark.conductor_server(time_skipping=True))"
            )
        was_enabled = self._skipper.enabled
        self._skipper.enabled = bool(enabled)
        log.info("time skipping %s", "on" if enabled else "off")
        return was_enabled

    @_synchronized
    def time_skipping(self) -> dict[str, Any] | None:
        """Time skipping's state (see :meth:`TimeSkipper.to_json`); None without it."""
        return self._skipper.to_json(self._state) if self._skipper is not None else None

    @_synchronized
    def stats(self) -> dict[str, Any]:
        """The admin API's counters (see :mod:`fake_server.http.admin`), and time skipping's state
        on a skipping clock."""
        stats = inspection.stats(self._state)
        stats["retention"] = self._retention.to_json()
        if self._skipper is not None:
            stats["timeSkipping"] = self._skipper.to_json(self._state)
        return stats

    @_synchronized
    def status_notifications(self) -> list[dict[str, Any]]:
        """What the workflow status listener was told, oldest first (see
        :mod:`.status_listener`)."""
        return list(self._state.status_notifications)

    @_synchronized
    def published_events(self) -> list[dict[str, Any]]:
        """The messages EVENT tasks published, oldest first (there is no real broker)."""
        return list(self._state.events)

    @_synchronized
    def snapshot(self) -> dict[str, Any]:
        """Everything the engine holds, as JSON."""
        return inspection.snapshot(self._state)

    @_synchronized
    def diagnose(self) -> dict[str, Any]:
        """The tasks that are not moving, and why (see :mod:`.diagnosis`)."""
        return diagnosis.diagnose(self._state)
