"""Hours of retries and a day-long callback, tested in seconds: a fake server that skips time."""

import pytest

from conductor.client.context.task_context import TaskInProgress, get_task_context
from conductor.client.worker.worker import Worker

HOUR = 3600


def charge(order_id: str) -> dict:
    # The payment service is down for the first two attempts.
    if get_task_context().retry_count < 2:
        raise RuntimeError("the payment service is down")
    return {"charged": order_id}


def wait_for_approval(order_id: str) -> object:
    # Not approved yet: hand the task back to me tomorrow.
    if get_task_context().poll_count < 2:
        return TaskInProgress(callback_after_seconds=86400, output={"waiting": True})
    return {"approved": order_id}


@pytest.mark.conductor_server(time_skipping=True)
def test_two_retries_an_hour_apart(conductor_server, conductor_workers):
    admin = conductor_server.admin
    admin.register_task_defs(
        [{"name": "charge", "retryCount": 2, "retryLogic": "FIXED", "retryDelaySeconds": HOUR}]
    )
    admin.register_workflow(
        {
            "name": "pay",
            "version": 1,
            "tasks": [
                {
                    "name": "charge",
                    "taskReferenceName": "charge",
                    "inputParameters": {"order_id": "${workflow.input.order_id}"},
                }
            ],
            "outputParameters": {"charged": "${charge.output.charged}"},
        }
    )
    conductor_workers(Worker("charge", charge))

    workflow_id = admin.start_workflow("pay", {"order_id": "A-1"})

    workflow = admin.wait_for_workflow(workflow_id, "COMPLETED", timeout=30)  # real seconds
    assert workflow["output"] == {"charged": "A-1"}
    assert [task["status"] for task in workflow["tasks"]] == ["FAILED", "FAILED", "COMPLETED"]
    # Two hours passed on the server's clock, all but the test's few real seconds skipped.
    assert workflow["endTime"] - workflow["startTime"] >= 2 * HOUR * 1000
    assert admin.stats()["timeSkipping"]["skippedMs"] > (2 * HOUR - 60) * 1000


@pytest.mark.conductor_server(time_skipping=True)
def test_a_callback_a_day_later(conductor_server, conductor_workers):
    admin = conductor_server.admin
    [task_id] = admin.enqueue("wait_for_approval", input={"order_id": "A-2"})

    stats = conductor_workers(Worker("wait_for_approval", wait_for_approval)).drain(timeout=30)

    task = admin.get_task(task_id)
    assert (task["status"], task["outputData"]) == ("COMPLETED", {"approved": "A-2"})
    assert task["pollCount"] == 2
    assert stats["timeSkipping"]["skippedMs"] > (86400 - 60) * 1000  # a day, skipped
