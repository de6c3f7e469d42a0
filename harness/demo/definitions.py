"""Task and workflow definitions of the demo's order-processing workflow."""

from __future__ import annotations

from typing import Any

WORKFLOW_NAME = "demo_order_processing"
TASK_TO_DOMAIN = {"demo_reserve_inventory": "warehouse"}

TASK_DEFS: list[dict[str, Any]] = [
    {"name": "demo_validate_order", "retryCount": 0, "responseTimeoutSeconds": 30},
    {
        "name": "demo_charge_payment",
        "retryCount": 2,
        "retryLogic": "FIXED",
        "retryDelaySeconds": 0,
        "responseTimeoutSeconds": 30,
    },
    {"name": "demo_reserve_inventory", "retryCount": 1, "responseTimeoutSeconds": 30},
    {"name": "demo_ship_order", "retryCount": 1, "responseTimeoutSeconds": 30},
]


def _simple(name: str, ref: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "taskReferenceName": ref, "type": "SIMPLE", "inputParameters": inputs}


WORKFLOW_DEF: dict[str, Any] = {
    "name": WORKFLOW_NAME,
    "version": 1,
    "schemaVersion": 2,
    "description": "validate -> charge (fails once, retried) -> reserve (domain) -> ship",
    "tasks": [
        _simple("demo_validate_order", "validate", {"items": "${workflow.input.items}"}),
        _simple(
            "demo_charge_payment",
            "charge",
            {"amount": "${validate.output.total}", "orderId": "${workflow.input.orderId}"},
        ),
        _simple("demo_reserve_inventory", "reserve", {"items": "${workflow.input.items}"}),
        _simple("demo_ship_order", "ship", {"orderId": "${workflow.input.orderId}"}),
    ],
    "outputParameters": {
        "orderId": "${workflow.input.orderId}",
        "total": "${validate.output.total}",
        "trackingNumber": "${ship.output.trackingNumber}",
    },
}
