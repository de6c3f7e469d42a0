import sys
from pathlib import Path

import pytest

# the project's modules, importable by the tests and by the worker processes
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

HOUR = 3600


@pytest.fixture
def checkout(conductor_server):
    """Registers the checkout workflow: charge the card, then send the receipt (retried an
    hour later when it fails)."""
    admin = conductor_server.admin
    admin.register_task_defs(
        [
            {"name": "charge", "retryCount": 0},
            {
                "name": "send_receipt",
                "retryCount": 1,
                "retryLogic": "FIXED",
                "retryDelaySeconds": HOUR,
            },
        ]
    )
    admin.register_workflow(
        {
            "name": "checkout",
            "version": 1,
            "tasks": [
                {
                    "name": "charge",
                    "taskReferenceName": "charge",
                    "inputParameters": {
                        "card": "${workflow.input.card}",
                        "amount": "${workflow.input.amount}",
                    },
                },
                {
                    "name": "send_receipt",
                    "taskReferenceName": "receipt",
                    "inputParameters": {"email": "${workflow.input.email}"},
                },
            ],
            "outputParameters": {
                "charged": "${charge.output.charged}",
                "sent_to": "${receipt.output.sent_to}",
            },
        }
    )
    return admin
