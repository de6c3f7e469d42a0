"""A wait that fails says why in the worker author's terms: each failed attempt of the tasks
involved, with its reason and the last lines of its task logs; a misspelt status or workflow
name is an error that says what exists."""

from __future__ import annotations

from typing import Any

import pytest

from conductor.client.worker.worker import Worker
from harness.admin import AdminClient
from harness.waiting import WaitTimeout

PAYMENT = {
    "name": "payment",
    "version": 1,
    "tasks": [
        {
            "name": "charge",
            "taskReferenceName": "charge_ref",
            "inputParameters": {"card": "${workflow.input.card}"},
        }
    ],
}


def charge(card: str) -> dict:
    raise ValueError(f"card declined {card}")


def test_a_timeout_while_a_retry_waits_names_the_failed_attempt_and_its_traceback(
    conductor_server: Any, conductor_workers: Any
) -> None:
    admin = conductor_server.admin
    retry_later = {"retryCount": 1, "retryLogic": "FIXED", "retryDelaySeconds": 60}
    admin.register_task_defs([{"name": "charge", **retry_later}])
    admin.register_workflow(PAYMENT)
    conductor_workers(Worker("charge", charge, worker_id="payments"))
    workflow_id = admin.start_workflow("payment", {"card": "4242"})

    with pytest.raises(WaitTimeout) as raised:
        admin.wait_for_workflow(workflow_id, timeout=3)

    message = str(raised.value)
    assert "failed attempts (reason, then the last lines of the task's logs):" in message
    [attempt] = [line for line in message.splitlines() if "attempt 1" in line]
    assert attempt.startswith("  - charge (ref charge_ref, attempt 1, FAILED, worker payments")
    assert attempt.endswith("ValueError: card declined 4242")
    # this SDK sends the traceback as the task's log: the worker's own line is in the message
    assert '      |     raise ValueError(f"card declined {card}")' in message


def test_a_workflow_that_ends_failed_names_each_failed_attempt(
    conductor_server: Any, conductor_workers: Any
) -> None:
    admin = conductor_server.admin
    admin.register_task_defs([{"name": "charge", "retryCount": 1, "retryDelaySeconds": 0}])
    admin.register_workflow(PAYMENT)
    conductor_workers(Worker("charge", charge))
    workflow_id = admin.start_workflow("payment", {"card": "4242"})

    with pytest.raises(AssertionError, match="ended FAILED, expected COMPLETED") as raised:
        admin.wait_for_workflow(workflow_id, timeout=20)

    lines = str(raised.value).splitlines()
    attempts = [line for line in lines if line.startswith("  - charge")]
    assert [", attempt 1," in attempts[0], ", attempt 2," in attempts[1]] == [True, True]
    assert all(line.endswith("ValueError: card declined 4242") for line in attempts)


def test_a_drain_timeout_names_the_failed_attempts(
    conductor_server: Any, conductor_workers: Any
) -> None:
    admin = conductor_server.admin
    admin.register_task_defs([{"name": "charge", "retryCount": 1, "retryDelaySeconds": 60}])
    admin.enqueue("charge", input={"card": "1234"})
    running = conductor_workers(Worker("charge", charge))

    with pytest.raises(WaitTimeout) as raised:
        running.drain(timeout=3)

    assert "charge (ref charge, attempt 1, FAILED" in str(raised.value)
    assert "ValueError: card declined 1234" in str(raised.value)


def test_an_unknown_workflow_name_gets_the_closest_registered_one(conductor_server: Any) -> None:
    admin = conductor_server.admin
    admin.register_workflow(PAYMENT)
    admin.register_workflow({**PAYMENT, "name": "refund"})

    with pytest.raises(Exception, match="payment") as raised:
        admin.start_workflow("paymnet", {})

    assert str(raised.value).endswith(
        "(did you mean 'payment'? registered workflows: payment, refund)"
    )
    with pytest.raises(Exception, match="did you mean 'refund'"):
        admin.test_workflow("refnd", {})


@pytest.mark.parametrize(
    ("status", "guess"), [("COMPLETE", " (did you mean 'COMPLETED'?)"), ("done", "")]
)
def test_a_misspelt_status_lists_the_valid_ones(status: str, guess: str) -> None:
    admin = AdminClient("http://127.0.0.1:9/api")  # nothing is asked of the server

    with pytest.raises(ValueError) as raised:
        admin.wait_for_workflow("any-id", status)

    assert str(raised.value) == (
        f"{status!r} is not a workflow status{guess}; the statuses: "
        "RUNNING, COMPLETED, FAILED, TIMED_OUT, TERMINATED, PAUSED"
    )
