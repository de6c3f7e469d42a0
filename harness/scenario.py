"""Facts about a run that a test can assert: workflow outcomes, who did which task in which
domain, how each worker polled, and throughput measured by the server's own timestamps."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from harness.admin import AdminClient


@dataclass(frozen=True)
class WorkflowOutcome:
    workflow_id: str
    status: str
    output: dict[str, Any]
    reason: str | None


@dataclass(frozen=True)
class WorkerPolling:
    """How one worker polled one task type, from the server's poll data."""

    worker_id: str
    task_type: str
    domain: str | None
    last_poll_time: int


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


def worker_polling(admin: AdminClient, task_type: str) -> dict[str, WorkerPolling]:
    """The domain each worker polled ``task_type`` with, keyed by worker id."""
    return {
        entry["workerId"]: WorkerPolling(
            worker_id=entry["workerId"],
            task_type=entry.get("queueName", task_type),
            domain=entry.get("domain") or None,
            last_poll_time=entry.get("lastPollTime", 0),
        )
        for entry in admin.poll_data(task_type)
    }
