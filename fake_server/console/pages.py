"""What each console page shows, worked out from the engine's JSON (no HTTP, no templates).

The templates only lay these values out; everything a page computes (a task's branch in a
fork, a timeline's bars, how long ago a worker polled) is here, where a unit test can reach it.
Task types are rendered generically: whatever a workflow holds shows, system tasks included.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

WORKFLOW_STATUSES = ("RUNNING", "COMPLETED", "FAILED", "TIMED_OUT", "TERMINATED", "PAUSED")
# How deep sub-workflows are drawn inside their parent's page.
MAX_NESTING = 4
QUEUE_COLUMNS = ("scheduled", "inProgress", "completed", "failed", "timedOut", "canceled")


# -- formatting (also the templates' filters) ---------------------------------------------------
def clock_time(ms: int | None) -> str:
    """``14:03:07.412`` (UTC) for an epoch time in ms; ``-`` for none."""
    if not ms:
        return "-"
    moment = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    return moment.strftime("%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def full_time(ms: int | None) -> str:
    if not ms:
        return "-"
    moment = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(ms: float | None) -> str:
    """``850 ms``, ``12.3 s``, ``4 min 05 s``, ``2 h 03 min``."""
    if ms is None:
        return "-"
    if ms < 1000:
        return f"{ms:.0f} ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str)


# -- workflows ----------------------------------------------------------------------------------
def filter_workflows(
    workflows: Iterable[Mapping[str, Any]], *, status: str = "", query: str = ""
) -> list[Mapping[str, Any]]:
    """The workflows with ``status`` (any when empty) whose id, name or correlation id contains
    ``query`` (case-insensitive), newest first."""
    needle = query.strip().lower()

    def matches(workflow: Mapping[str, Any]) -> bool:
        if status and workflow.get("status") != status:
            return False
        if not needle:
            return True
        fields = (
            workflow.get("workflowId"),
            workflow.get("workflowName"),
            workflow.get("correlationId"),
        )
        return any(needle in str(value).lower() for value in fields if value)

    chosen = [workflow for workflow in workflows if matches(workflow)]
    return sorted(chosen, key=lambda w: w.get("createTime") or 0, reverse=True)


@dataclass
class TaskRow:
    """One task of a workflow page, with where it sits in forks and sub-workflows."""

    task: Mapping[str, Any]
    # For a task inside a fork's branch: the fork's reference name and the branch's number.
    fork: str = ""
    branch: int = 0
    depth: int = 0  # nesting of forks
    sub_workflow: WorkflowView | None = None

    @property
    def type(self) -> str:
        """SIMPLE for a worker's task, else the system task's type (from its definition)."""
        workflow_task = self.task.get("workflowTask") or {}
        return str(workflow_task.get("type") or self.task.get("taskType") or "SIMPLE")

    @property
    def name(self) -> str:
        """The task's name (a worker polls it for a SIMPLE task)."""
        return str(self.task.get("taskDefName") or self.task.get("taskType") or "?")

    @property
    def is_fork(self) -> bool:
        return self.type in ("FORK_JOIN", "FORK", "FORK_JOIN_DYNAMIC")

    @property
    def joins(self) -> list[str]:
        workflow_task = self.task.get("workflowTask") or {}
        return list(workflow_task.get("joinOn") or []) if self.type == "JOIN" else []

    @property
    def choice(self) -> str:
        """For a SWITCH or DECISION that ran: the case it took, or that it fell to the default."""
        if self.type not in ("SWITCH", "DECISION"):
            return ""
        cases = (self.task.get("outputData") or {}).get("evaluationResult") or []
        if not cases:
            return ""
        case = str(cases[0])
        decision_cases = (self.task.get("workflowTask") or {}).get("decisionCases") or {}
        return f"case {case}" if case in decision_cases else f"default case ({case})"

    @property
    def retries(self) -> int:
        return int(self.task.get("retryCount") or 0)

    @property
    def logs(self) -> list[Mapping[str, Any]]:
        return list(self.task.get("logs") or [])


@dataclass
class Bar:
    """One task on the timeline, in percent of the workflow's span."""

    label: str
    status: str
    wait_left: float
    wait_width: float
    run_left: float
    run_width: float
    title: str


@dataclass
class WorkflowView:
    workflow: Mapping[str, Any]
    rows: list[TaskRow] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    span_ms: int = 0

    @property
    def rerun_from_task_id(self) -> str:
        """Where a rerun starts by default: the latest task that did not succeed (the attempt
        that ended the run, not an earlier one a retry replaced)."""
        unsuccessful = ("FAILED", "FAILED_WITH_TERMINAL_ERROR", "TIMED_OUT", "CANCELED")
        failed = [row.task for row in self.rows if row.task.get("status") in unsuccessful]
        return str(failed[-1].get("taskId")) if failed else ""

    @property
    def ticks(self) -> list[Tick]:
        return time_axis(self.span_ms)

    @property
    def id(self) -> str:
        return str(self.workflow.get("workflowId", ""))

    @property
    def status(self) -> str:
        return str(self.workflow.get("status", ""))


def workflow_view(
    workflow: Mapping[str, Any],
    now: int,
    *,
    logs_of: Callable[[str], Sequence[Mapping[str, Any]]] = lambda task_id: [],
    workflow_of: Callable[[str], Mapping[str, Any] | None] = lambda workflow_id: None,
    depth: int = 0,
) -> WorkflowView:
    """A workflow's page: its tasks in order (with their logs, their place in forks, and the
    sub-workflows they started, drawn inside), and its timeline."""
    tasks = [dict(task, logs=logs_of(str(task.get("taskId")))) for task in workflow["tasks"]]
    rows = [TaskRow(task) for task in tasks]
    _place_in_forks(rows)
    if depth < MAX_NESTING:
        for row in rows:
            child_id = row.task.get("subWorkflowId") or (row.task.get("outputData") or {}).get(
                "subWorkflowId"
            )
            child = workflow_of(str(child_id)) if child_id else None
            if child is not None:
                row.sub_workflow = workflow_view(
                    child, now, logs_of=logs_of, workflow_of=workflow_of, depth=depth + 1
                )
    view = WorkflowView(workflow, rows)
    view.bars, view.span_ms = _timeline(workflow, tasks, now)
    return view


def _place_in_forks(rows: list[TaskRow]) -> None:
    """Marks the tasks that run inside a fork's branches: static forks name their branches'
    tasks in ``workflowTask.forkTasks``, dynamic ones list them in ``forkedTasks``."""
    branch_of: dict[str, tuple[str, int, int]] = {}  # ref -> (fork ref, branch number, depth)
    for row in rows:
        ref = str(row.task.get("referenceTaskName") or "")
        outer = branch_of.get(base_reference(ref))
        if outer is not None:
            row.fork, row.branch, row.depth = outer
        if not row.is_fork:
            continue
        for number, refs in enumerate(_fork_branches(row.task), start=1):
            for branch_ref in refs:
                branch_of.setdefault(branch_ref, (ref, number, row.depth + 1))


def _fork_branches(task: Mapping[str, Any]) -> list[list[str]]:
    workflow_task = task.get("workflowTask") or {}
    static = workflow_task.get("forkTasks")
    if static:
        return [references_in(branch) for branch in static]
    dynamic = (task.get("inputData") or {}).get("forkedTasks") or []
    return [[str(ref)] for ref in dynamic]


def references_in(tasks: Any) -> list[str]:
    """Every task reference name in a list of workflow tasks, nested ones included (a switch's
    cases, a loop's body, a nested fork's branches)."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if "taskReferenceName" in value:
                found.append(str(value["taskReferenceName"]))
            for key, inner in value.items():
                if key != "inputParameters":
                    walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(tasks)
    return found


def base_reference(ref: str) -> str:
    """A loop iteration's reference name (``ref__2``) without its iteration."""
    head, separator, tail = ref.rpartition("__")
    return head if separator and tail.isdigit() else ref


def _timeline(
    workflow: Mapping[str, Any], tasks: Sequence[Mapping[str, Any]], now: int
) -> tuple[list[Bar], int]:
    """The bars of the tasks, in percent of the workflow's span: from its start to its end
    (now while it runs). A task with no end in a workflow that ended stops at the workflow's
    end, not at now."""
    start = int(workflow.get("startTime") or workflow.get("createTime") or now)
    ended = int(workflow.get("endTime") or 0)
    if ended:
        end = max(ended, start + 1)
    else:
        end = max([now, start + 1, *(int(t.get("endTime") or 0) for t in tasks)])
    span = end - start

    def percent(ms: int) -> float:
        return round(100 * (min(max(ms, start), end) - start) / span, 3)

    bars = []
    for task in tasks:
        scheduled = int(task.get("scheduledTime") or start)
        started = int(task.get("startTime") or 0)
        finished = min(int(task.get("endTime") or 0) or end, end)
        run_from = started or finished
        waited = (started or finished) - scheduled
        ran = finished - started if started else 0
        title = (
            f"{task.get('referenceTaskName')} ({task.get('taskType')}) {task.get('status')}: "
            f"waited {duration(waited)}" + (f", ran {duration(ran)}" if started else "")
        )
        bars.append(
            Bar(
                label=str(task.get("referenceTaskName") or task.get("taskType")),
                status=str(task.get("status")),
                wait_left=percent(scheduled),
                wait_width=max(percent(run_from) - percent(scheduled), 0.0),
                run_left=percent(run_from),
                run_width=max(percent(finished) - percent(run_from), 0.3) if started else 0.0,
                title=title,
            )
        )
    return bars, span


@dataclass(frozen=True)
class Tick:
    """A mark of the timeline's time axis: where (percent) and the time since the start."""

    left: float
    label: str


_TICK_STEPS_MS = [
    base * 10**power for power in range(0, 8) for base in (1, 2, 5)
]  # 1 ms, 2 ms, 5 ms, 10 ms, ... 50 000 s


def time_axis(span_ms: int, most: int = 6) -> list[Tick]:
    """Round marks from 0 to ``span_ms`` (at most ``most`` + 1 of them), each labelled with
    its time since the workflow's start."""
    if span_ms <= 0:
        return [Tick(0.0, "0")]
    step = next((s for s in _TICK_STEPS_MS if span_ms / s <= most), _TICK_STEPS_MS[-1])
    return [
        Tick(round(100 * at / span_ms, 3), "0" if at == 0 else "+" + duration(at))
        for at in range(0, span_ms + 1, step)
    ]


# -- queues and workers -------------------------------------------------------------------------
# A worker process that has not polled for this long is shown as stopped (a long poll lasts at
# most 5 s; a worker's poll interval is seconds at most unless set otherwise).
ACTIVE_WITHIN_MS = 30_000
# A stopped process is listed this long after its last poll, then left out.
STOPPED_LISTED_FOR_MS = 600_000


@dataclass
class QueueRow:
    name: str
    task_type: str
    domain: str
    counts: Mapping[str, int]
    latency: Mapping[str, Any]
    last_poll: int  # 0: never polled
    system: bool = False  # a system task's type: the server runs them, no worker polls


def queue_rows(
    stats: Mapping[str, Any],
    poll_data: Iterable[Mapping[str, Any]] = (),
    system_types: Iterable[str] = (),
) -> list[QueueRow]:
    """One row per queue of the stats, each with its own last poll (``poll_data``, as
    ``GET /api/tasks/queue/polldata/all`` answers it); ``system_types`` are run by the server
    itself."""
    system = frozenset(system_types)
    latencies = (stats.get("pickupLatencyMs") or {}).get("byQueue") or {}
    last_polls = {
        _queue_name(str(entry["queueName"]), entry.get("domain")): int(entry["lastPollTime"])
        for entry in poll_data
    }
    names = set(stats.get("queues") or {}) | set(last_polls)
    rows = []
    for name in sorted(names, key=lambda q: (q.split(":")[-1], q)):
        domain, _, task_type = name.rpartition(":")
        counts = (stats.get("queues") or {}).get(name) or {}
        rows.append(
            QueueRow(
                name=name,
                task_type=task_type,
                domain=domain,
                counts={column: int(counts.get(column, 0)) for column in QUEUE_COLUMNS},
                latency=latencies.get(name) or {},
                last_poll=last_polls.get(name, 0),
                system=task_type in system,
            )
        )
    return rows


def _queue_name(task_type: str, domain: Any) -> str:
    return f"{domain}:{task_type}" if domain else task_type


@dataclass
class WorkerRow:
    """One worker process: the worker ids it polled with, and where its polls came from."""

    worker_id: str
    source: str  # "address pid N", else "address:port" or "address"; empty when not known
    queues: list[str]
    polls: int
    tasks: int
    last_poll: int
    active: bool = True


def worker_rows(stats: Mapping[str, Any]) -> list[WorkerRow]:
    """One row per worker process, polling ones first; one that stopped polling more than
    ``STOPPED_LISTED_FOR_MS`` ago is left out. A process is its address and process id when its
    SDK sends one (this project's does), whatever worker ids it polls with; else its worker id
    and its connection. Without any poll over HTTP (the engine called directly), one row per
    worker id."""
    now = int(stats.get("now") or 0)
    processes: dict[str, list[Mapping[str, Any]]] = {}
    for process in stats.get("processes") or []:
        source = str(process["source"])
        key = source if " pid " in source else f"{process.get('workerId')}@{source}"
        processes.setdefault(key, []).append(process)
    rows = [_worker_row(polls, now) for polls in processes.values()]
    rows = [row for row in rows if now - row.last_poll <= STOPPED_LISTED_FOR_MS]
    if not processes:
        rows = [
            _worker_row([dict(counters, workerId=worker_id, source="")], now)
            for worker_id, counters in (stats.get("workers") or {}).items()
        ]
    return sorted(rows, key=lambda row: (not row.active, row.worker_id, row.source))


def _worker_row(entries: Sequence[Mapping[str, Any]], now: int) -> WorkerRow:
    """The row of one process from its counters per worker id."""
    last_poll = max(int(entry.get("lastPollTime", 0)) for entry in entries)
    worker_ids = sorted({str(entry.get("workerId") or "(no id)") for entry in entries})
    return WorkerRow(
        worker_id=", ".join(worker_ids),
        source=str(entries[0].get("source") or ""),
        queues=sorted({queue for entry in entries for queue in entry.get("pollsByQueue") or {}}),
        polls=sum(int(entry.get("polls", 0)) for entry in entries),
        tasks=sum(int(entry.get("tasksHandedOut", 0)) for entry in entries),
        last_poll=last_poll,
        active=now - last_poll <= ACTIVE_WITHIN_MS,
    )


def ago(now: int, then: int | None) -> str:
    """``3.2 s ago`` by the server's clock; ``never`` for none."""
    if not then:
        return "never"
    return f"{duration(max(now - then, 0))} ago"


def descendant_ids(view: WorkflowView) -> list[str]:
    """The ids of the sub-workflows drawn inside a workflow's view, at any depth."""
    found = []
    for row in view.rows:
        if row.sub_workflow is not None:
            found.append(row.sub_workflow.id)
            found.extend(descendant_ids(row.sub_workflow))
    return found
