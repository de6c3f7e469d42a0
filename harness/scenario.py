"""Facts about a run that a test can assert: workflow outcomes, who did which task in which
domain, how each worker polled, and throughput measured by the server's own timestamps."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from harness.admin import AdminClient
from harness.waiting import wait_until


@dataclass(frozen=True)
class WorkflowOutcome:
    workflow_id: str
    status: str
    output: dict[str, Any]
    reason: str | None


@dataclass(frozen=True)
class WorkerPolling:
    """How one worker polled while observed, from the fake server's counters."""

    worker_id: str
    queues: tuple[str, ...]  # queue names polled: "type", or "domain:type" with a domain
    polls: int
    interval_ms: float  # server time between polls; the long poll's length on an idle worker

    @property
    def domains(self) -> set[str | None]:
        return {queue.split(":", 1)[0] if ":" in queue else None for queue in self.queues}


@dataclass
class RunFacts:
    workflows: dict[str, WorkflowOutcome] = field(default_factory=dict)
    tasks_per_worker: Counter[str] = field(default_factory=Counter)
    tasks_per_domain: Counter[str | None] = field(default_factory=Counter)
    retried_tasks: int = 0
    tasks_executed: int = 0
    throughput: float = 0.0  # tasks per second, first start to last end (server clock)

    def statuses(self) -> Counter[str]:
        return Counter(outcome.status for outcome in self.workflows.values())


def workflow_facts(admin: AdminClient, workflow_ids: Iterable[str]) -> RunFacts:
    """Outcomes of the given workflows and who executed their tasks."""
    facts = RunFacts()
    tasks: list[dict[str, Any]] = []
    for workflow_id in workflow_ids:
        workflow = admin.get_workflow(workflow_id)
        facts.workflows[workflow_id] = WorkflowOutcome(
            workflow_id=workflow_id,
            status=workflow["status"],
            output=workflow.get("output") or {},
            reason=workflow.get("reasonForIncompletion"),
        )
        tasks.extend(workflow.get("tasks", []))
    _count_tasks(facts, tasks)
    return facts


def task_facts(admin: AdminClient) -> RunFacts:
    """Who executed every task the server knows, workflow or ad hoc (fake server only)."""
    facts = RunFacts()
    _count_tasks(facts, admin.state().get("tasks", []))
    return facts


def _count_tasks(facts: RunFacts, tasks: list[dict[str, Any]]) -> None:
    executed = [task for task in tasks if task.get("workerId") and task.get("endTime")]
    facts.tasks_executed = len(executed)
    facts.tasks_per_worker.update(task["workerId"] for task in executed)
    facts.tasks_per_domain.update(task.get("domain") or None for task in executed)
    facts.retried_tasks = sum(1 for task in tasks if task.get("retriedTaskId"))
    facts.throughput = throughput_of(executed)


def throughput_of(tasks: list[dict[str, Any]]) -> float:
    """Tasks per second between the first start and the last end, by the server's clock."""
    starts = [task["startTime"] for task in tasks if task.get("startTime")]
    ends = [task["endTime"] for task in tasks if task.get("endTime")]
    if not starts or not ends:
        return 0.0
    span_ms = max(ends) - min(starts)
    return len(tasks) / (span_ms / 1000) if span_ms > 0 else float(len(tasks))


def observe_polling(
    admin: AdminClient,
    worker_ids: Iterable[str],
    *,
    min_polls: int = 3,
    timeout: float = 30.0,
) -> dict[str, WorkerPolling]:
    """Watches the given workers until each has polled ``min_polls`` more times, and reports the
    queues (hence domains) each polled and its mean interval between polls by server time.

    Against a server started with ``long_poll=False`` the interval shows a worker's polling
    interval; with long polling, an idle worker's interval is the long poll's length.
    """
    __tracebackhide__ = True
    wanted = list(worker_ids)

    # The baseline is taken once every worker has polled, so each interval has a known start.
    def all_polled() -> dict[str, Any] | None:
        stats = admin.stats()
        return stats if all(_polls(stats, w) for w in wanted) else None

    before = wait_until(all_polled, timeout=timeout, message=f"workers {wanted} to poll")

    def polled_enough() -> dict[str, Any] | None:
        now = admin.stats()
        gained = [_polls(now, w) - _polls(before, w) for w in wanted]
        return now if min(gained, default=min_polls) >= min_polls else None

    after = wait_until(
        polled_enough, timeout=timeout, message=f"workers {wanted} to poll {min_polls} times"
    )
    observed = {}
    for worker_id in wanted:
        was = before["workers"].get(worker_id, {})
        now = after["workers"][worker_id]
        counts_before = was.get("pollsByQueue", {})
        polled = tuple(
            q for q, n in sorted(now["pollsByQueue"].items()) if n > counts_before.get(q, 0)
        )
        polls = now["polls"] - was.get("polls", 0)
        # From the last poll seen in the baseline to the last one now: whole intervals only.
        interval = (now["lastPollTime"] - was["lastPollTime"]) / polls
        observed[worker_id] = WorkerPolling(worker_id, polled, polls, interval)
    return observed


def _polls(stats: dict[str, Any], worker_id: str) -> int:
    return int(stats["workers"].get(worker_id, {}).get("polls", 0))
