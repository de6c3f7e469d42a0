"""The harness's waits say why a run is stuck, from the fake server's diagnosis."""

from __future__ import annotations

from typing import Any

import pytest

from conductor.client.worker.worker import Worker
from harness.waiting import WaitTimeout

ADDITION = {
    "name": "addition",
    "version": 1,
    "tasks": [{"name": "add", "taskReferenceName": "add_ref"}],
}


def add(task_input: dict) -> dict:
    return {"sum": task_input["a"] + task_input["b"]}


def test_a_workflow_wait_names_the_misspelt_worker(
    conductor_server: Any, conductor_workers: Any
) -> None:
    admin = conductor_server.admin
    admin.register_workflow(ADDITION)
    conductor_workers(Worker("addd", add, worker_id="adder"))
    workflow_id = admin.start_workflow("addition", {"a": 1, "b": 2})

    with pytest.raises(WaitTimeout) as raised:
        admin.wait_for_workflow(workflow_id, timeout=3)

    message = str(raised.value)
    assert "(last status RUNNING)" in message
    assert "why, according to the fake server (GET /fake/diagnose):" in message
    assert f"task add (scheduled, ref add_ref, workflow addition {workflow_id})" in message
    assert "the closest name polled is 'addd' (by adder): did you mean 'add'?" in message
    # the diagnosis ends the message, after how far the server's clock moved
    assert message.index("the server's clock moved") < message.index("why, according")


def test_a_drain_names_the_domain_no_worker_polls(
    conductor_server: Any, conductor_workers: Any
) -> None:
    conductor_server.admin.enqueue("add", 2, domain="gpu", input={"a": 1, "b": 1})
    running = conductor_workers(Worker("add", add, domain="cpu"))

    with pytest.raises(WaitTimeout) as raised:
        running.drain(timeout=3)

    message = str(raised.value)
    assert "queues not idle: {'gpu:add'" in message
    # the two tasks queued alike are one line
    [line] = [line for line in message.splitlines() if line.startswith("  - ")]
    assert "workers poll 'add' only in: cpu" in line
    assert line.endswith("(2 tasks like this)")


def test_the_diagnosis_is_served_as_json(conductor_server: Any) -> None:
    conductor_server.admin.enqueue("lonely")

    [finding] = conductor_server.admin.diagnose()["findings"]

    assert finding["cause"] == "not_polled" and finding["taskType"] == "lonely"
