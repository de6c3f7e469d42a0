"""Tests of the checkout workers with the fake Conductor server's pytest plugin."""

import payments
import pytest

HOUR = 3600
ORDER = {"card": "4242", "amount": 12.5, "email": "ada@example.com"}


@pytest.mark.conductor_server(time_skipping=True)
def test_a_checkout_completes_and_the_receipt_retry_takes_no_real_hour(
    conductor_server, conductor_workers, checkout
):
    conductor_workers(*payments.workers())

    workflow_id = checkout.start_workflow("checkout", ORDER)

    workflow = checkout.wait_for_workflow(workflow_id, "COMPLETED", timeout=60)  # real seconds
    assert workflow["output"] == {"charged": 12.5, "sent_to": "ada@example.com"}
    statuses = [(task["referenceTaskName"], task["status"]) for task in workflow["tasks"]]
    assert statuses == [("charge", "COMPLETED"), ("receipt", "FAILED"), ("receipt", "COMPLETED")]
    assert workflow.server_seconds >= HOUR > 60 > workflow.real_seconds


@pytest.mark.conductor_server(time_skipping=True)
def test_a_checkout_completes_when_a_poll_fails(conductor_server, conductor_workers, checkout):
    conductor_server.faults.error("batch_poll", status=503, times=1)
    running = conductor_workers(*payments.workers())

    workflow_id = checkout.start_workflow("checkout", ORDER)

    checkout.wait_for_workflow(workflow_id, "COMPLETED", timeout=60)
    assert conductor_server.faults.injected() == 1
    # one process per worker, all still running after the failed poll
    running.drain(timeout=60)
    assert len(running.processes) == 2


def test_a_declined_card_fails_the_checkout(conductor_server, conductor_workers, checkout):
    conductor_workers(*payments.workers())

    workflow_id = checkout.start_workflow("checkout", {**ORDER, "card": "0000-1"})

    workflow = checkout.wait_for_workflow(workflow_id, "FAILED", timeout=60)
    assert "card declined 0000-1" in workflow["reasonForIncompletion"]
