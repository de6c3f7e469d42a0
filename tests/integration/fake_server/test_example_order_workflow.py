"""The example workflow of ``examples/definitions/order_fulfilment.json`` (SWITCH, DO_WHILE,
SUB_WORKFLOW, FORK_JOIN around SIMPLE tasks) run end to end by real worker processes against a
fake server on a real socket."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conductor.client.worker.worker import Worker
from tests.paths import REPO

DEFINITIONS = REPO / "examples" / "definitions"


def ship_express(task_input: dict) -> dict:
    return {"carrier": "courier", "parcels": len(task_input["items"])}


def ship_standard(task_input: dict) -> dict:
    return {"carrier": "post", "parcels": len(task_input["items"])}


def pack_item(task_input: dict) -> dict:
    item = task_input["items"][task_input["number"] - 1]
    return {"packed": item}


def charge_card(task_input: dict) -> dict:
    if task_input["amount"] <= 0:
        raise ValueError(f"cannot charge {task_input['amount']}")
    return {"receipt": f"R-{task_input['amount']}"}


def send_email(task_input: dict) -> dict:
    return {"sent": "email", "receipt": task_input["receipt"]}


def send_sms(task_input: dict) -> dict:
    return {"sent": "sms", "receipt": task_input["receipt"]}


WORKERS = (ship_express, ship_standard, pack_item, charge_card, send_email, send_sms)


def load(name: str) -> Any:
    return json.loads((DEFINITIONS / name).read_text())


@pytest.fixture
def order_workflow(conductor_server, conductor_workers):
    admin = conductor_server.admin
    admin.register_task_defs(load("order_fulfilment_tasks.json"))
    for definition in load("order_fulfilment.json"):
        admin.register_workflow(definition)
    conductor_workers(*(Worker(f.__name__, f) for f in WORKERS))
    return admin


def test_an_express_order_runs_every_system_task_with_real_workers(order_workflow):
    admin = order_workflow
    order = {"shipping": "express", "items": ["book", "lamp", "mug"], "amount": 42}
    workflow_id = admin.start_workflow("order_fulfilment", order)

    done = admin.wait_for_workflow(workflow_id, "COMPLETED", timeout=30)

    assert done["output"] == {
        "shippedBy": "express",
        "packed": 3,
        "receipt": "R-42",
        "notified": {
            "email": {"sent": "email", "receipt": "R-42"},
            "sms": {"sent": "sms", "receipt": "R-42"},
        },
    }
    tasks = done["tasks"]
    packs = [t for t in tasks if t["taskType"] == "pack_item"]
    assert [(t["referenceTaskName"], t["iteration"]) for t in packs] == [
        ("pack__1", 1),
        ("pack__2", 2),
        ("pack__3", 3),
    ]
    assert [t["outputData"]["packed"] for t in packs] == ["book", "lamp", "mug"]
    pay = next(t for t in tasks if t["referenceTaskName"] == "pay")
    child = admin.get_workflow(pay["subWorkflowId"])
    assert (child["workflowName"], child["status"]) == ("payment", "COMPLETED")
    assert child["parentWorkflowId"] == workflow_id
    assert {t["taskType"] for t in tasks} >= {"SWITCH", "DO_WHILE", "SUB_WORKFLOW", "FORK", "JOIN"}
    assert all(t["status"] == "COMPLETED" for t in tasks)


def test_a_failed_payment_fails_the_order_with_the_sub_workflows_reason(order_workflow):
    admin = order_workflow
    order = {"shipping": "standard", "items": ["book"], "amount": 0}
    workflow_id = admin.start_workflow("order_fulfilment", order)

    done = admin.wait_for_workflow(workflow_id, "FAILED", timeout=30)

    pay = next(t for t in done["tasks"] if t["referenceTaskName"] == "pay")
    assert pay["status"] == "FAILED"
    assert "cannot charge 0" in pay["reasonForIncompletion"]
    shipping = next(t for t in done["tasks"] if t["referenceTaskName"] == "ship_standard")
    assert shipping["outputData"] == {"carrier": "post", "parcels": 1}
    assert not any(t["referenceTaskName"] in ("email", "sms") for t in done["tasks"])
