"""Testing a workflow definition without workers: each task's results are mocked."""

import pytest

PAYMENT = {
    "name": "payment",
    "version": 1,
    "tasks": [
        {
            "name": "charge",
            "taskReferenceName": "charge",
            "inputParameters": {"amount": "${workflow.input.amount}"},
        }
    ],
    "outputParameters": {"receipt": "${charge.output.receipt}"},
}

ORDER = {
    "name": "order",
    "version": 1,
    "tasks": [
        {"name": "reserve", "taskReferenceName": "reserve"},
        {
            "name": "pay",
            "taskReferenceName": "pay",
            "type": "SUB_WORKFLOW",
            "subWorkflowParam": {"name": "payment", "version": 1},
            "inputParameters": {"amount": "${workflow.input.amount}"},
        },
        {
            "name": "delivery",
            "taskReferenceName": "delivery",
            "type": "SWITCH",
            "evaluatorType": "value-param",
            "expression": "speed",
            "inputParameters": {"speed": "${workflow.input.speed}"},
            "decisionCases": {"express": [{"name": "courier", "taskReferenceName": "courier"}]},
            "defaultCase": [{"name": "post", "taskReferenceName": "post"}],
        },
    ],
    "outputParameters": {
        "reservation": "${reserve.output.reservation}",
        "receipt": "${pay.output.receipt}",
        "eta": "${courier.output.eta}",
    },
}

# Mocked results per task reference name, used one per attempt.
RESERVE_FAILS_ONCE = [
    {"status": "FAILED", "output": {"error": "stock service timed out"}},
    {"status": "COMPLETED", "output": {"reservation": "R-1"}},
]
PAYMENT_GOES_THROUGH = {"taskRefToMockOutput": {"charge": [{"output": {"receipt": "P-9"}}]}}


@pytest.fixture
def admin(conductor_server):
    admin = conductor_server.admin
    admin.register_task_defs([{"name": "reserve", "retryCount": 1, "retryDelaySeconds": 30}])
    admin.register_workflow(PAYMENT)
    admin.register_workflow(ORDER)
    return admin


def test_an_express_order_is_reserved_on_retry_paid_and_sent_by_courier(admin):
    run = admin.test_workflow(
        "order",
        {"amount": 30, "speed": "express"},
        mocks={"reserve": RESERVE_FAILS_ONCE, "courier": [{"output": {"eta": "2h"}}]},
        sub_workflows={"pay": PAYMENT_GOES_THROUGH},
    )

    assert run["status"] == "COMPLETED"
    assert run["output"] == {"reservation": "R-1", "receipt": "P-9", "eta": "2h"}
    steps = [(task["referenceTaskName"], task["status"]) for task in run["tasks"]]
    assert steps == [
        ("reserve", "FAILED"),  # the first attempt, retried at once (no 30 s wait)
        ("reserve", "COMPLETED"),
        ("pay", "COMPLETED"),
        ("delivery", "COMPLETED"),
        ("courier", "COMPLETED"),
    ]
    payment = admin.get_workflow(run["tasks"][2]["subWorkflowId"])
    assert payment["tasks"][0]["inputData"] == {"amount": 30}


def test_a_standard_order_goes_by_post(admin):
    run = admin.test_workflow(
        "order",
        {"amount": 30, "speed": "standard"},
        mocks={"reserve": [{"output": {"reservation": "R-2"}}], "post": [{"output": {}}]},
        sub_workflows={"pay": PAYMENT_GOES_THROUGH},
    )

    assert run["status"] == "COMPLETED"
    assert [task["referenceTaskName"] for task in run["tasks"]][-1] == "post"


def test_a_declined_payment_fails_the_order(admin):
    declined = {"charge": [{"status": "FAILED_WITH_TERMINAL_ERROR", "output": {"code": 51}}]}
    run = admin.test_workflow(
        "order",
        {"amount": 3000, "speed": "express"},
        mocks={"reserve": [{"output": {"reservation": "R-3"}}]},
        sub_workflows={"pay": {"taskRefToMockOutput": declined}},
    )

    assert run["status"] == "FAILED"
    assert [task["status"] for task in run["tasks"]] == ["COMPLETED", "FAILED"]


def test_a_task_without_a_mock_is_where_the_run_stops(admin):
    run = admin.test_workflow(
        "order", {"amount": 30, "speed": "express"}, mocks={"reserve": RESERVE_FAILS_ONCE}
    )

    # No mocks for the payment's charge: the run stops there, and the workflow stays RUNNING.
    assert run["status"] == "RUNNING"
    assert run["tasks"][-1]["referenceTaskName"] == "pay"
    assert run["tasks"][-1]["status"] == "IN_PROGRESS"
