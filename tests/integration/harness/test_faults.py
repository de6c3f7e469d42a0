"""Real worker processes deliver every result through each fault the fake server can inject:
errors, latency, hung answers, duplicate deliveries, outages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conductor.client.worker.worker import Worker

TASKS = 30


def double(task_input: dict) -> dict:
    return {"doubled": task_input["number"] * 2}


def errors_on_updates(faults: Any) -> None:
    faults.error("update", status=503, probability=0.3)
    faults.error("update_v2", status=503, probability=0.3)


def errors_on_polls(faults: Any) -> None:
    faults.error("batch_poll", status=500, times=5)
    faults.error("poll", status=500, times=5)


def latency(faults: Any) -> None:
    faults.latency("*", ms=150, probability=0.5)


def hung_answers(faults: Any) -> None:
    faults.hang("update_v2", seconds=3, times=2)
    faults.hang("update", seconds=3, times=2)


def duplicates(faults: Any) -> None:
    faults.duplicate(times=3)


def refused(faults: Any) -> None:
    faults.outage(2, mode="refuse")


def reset(faults: Any) -> None:
    faults.outage(2, mode="reset")


@pytest.mark.parametrize(
    "inject",
    [
        errors_on_updates,
        errors_on_polls,
        latency,
        hung_answers,
        duplicates,
        refused,
        reset,
    ],
)
def test_every_result_is_delivered_through_the_fault(
    conductor_server: Any, conductor_workers: Any, inject: Callable[[Any], None]
) -> None:
    admin = conductor_server.admin
    ids = admin.enqueue("double", TASKS, input={"number": 21})
    conductor_server.faults.seed(3)
    inject(conductor_server.faults)
    running = conductor_workers(Worker("double", double, thread_count=2), Worker("double", double))
    conductor_server.faults.wait_for_recovery()  # after an outage: the harness needs it too

    stats = running.drain(timeout=120)

    assert stats["queues"]["double"]["completed"] == TASKS
    assert all(admin.get_task(task_id)["outputData"] == {"doubled": 42} for task_id in ids)
    plan = conductor_server.faults.plan()
    assert plan["outages"] or sum(rule["injected"] for rule in plan["rules"]) > 0


def test_lost_answers_to_updates_end_in_completed_tasks(
    conductor_server: Any, conductor_workers: Any
) -> None:
    """The server applies an update and its answer is lost: the worker sends it again (a
    repeated update changes nothing); a next task handed out in a lost update-v2 answer comes
    back after its response timeout, as on Conductor."""
    admin = conductor_server.admin
    admin.register_task_defs(
        [{"name": "double", "responseTimeoutSeconds": 2, "retryDelaySeconds": 0}]
    )
    admin.enqueue("double", TASKS, input={"number": 21})
    conductor_server.faults.error("update", status=502, after=True, times=5)
    conductor_server.faults.error("update_v2", status=502, after=True, times=5)

    stats = conductor_workers(Worker("double", double, thread_count=2)).drain(timeout=120)

    assert stats["queues"]["double"]["completed"] == TASKS
    completed = [t for t in admin.state()["tasks"] if t["status"] == "COMPLETED"]
    assert all(task["outputData"] == {"doubled": 42} for task in completed)
    assert conductor_server.faults.injected() > 0
