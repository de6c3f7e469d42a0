"""What a workflow author does with the official conductor-python 2.0.0 metadata and workflow
clients, unmodified, from the package's own venv: register and update task and workflow
definitions (with ``overwrite``), read them back, start, read with tasks, pause and resume,
terminate, retry, restart, search, and test workflows on mocked results.

The client side is ``official_sdk_clients.py``, which reports each step as a JSON line; the
assertions are here, with the server's access log: the one refused request is the one meant
to be (a definition registered twice without ``overwrite``).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from fake_server import FakeServer
from tests.integration.fake_server.access_log import AccessLog
from tests.integration.fake_server.official_python_sdk import official_python_fixture  # noqa: F401  (used by name)

CLIENT_SCRIPT = Path(__file__).with_name("official_sdk_clients.py")


def run_client_script(python: Path) -> dict[str, dict[str, Any]]:
    with AccessLog() as access, FakeServer(port=0) as server:
        run = subprocess.run(
            [str(python), str(CLIENT_SCRIPT), server.url],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert run.returncode == 0, run.stdout + run.stderr
    assert access.failures() == ["POST /api/metadata/workflow?overwrite=False -> 409"]
    steps = [json.loads(line) for line in run.stdout.splitlines()]
    return {step.pop("step"): step for step in steps}


def refs_and_statuses(facts: dict[str, Any]) -> list[tuple[str, str]]:
    return [(task["ref"], task["status"]) for task in facts["tasks"]]


def test_official_metadata_and_workflow_clients_work_unchanged(official_python):
    steps = run_client_script(official_python)

    # Definitions: the update is read back; a second register needs overwrite.
    assert steps["get_task_def"] == {"name": "oc_reserve", "retry_count": 2}
    assert steps["get_all_task_defs"]["names"] == ["oc_reserve"]
    again = steps["register_order_again_without_overwrite"]["error"]
    assert again["status"] == 409
    assert "oc_order.1 already exists" in again["body"]
    assert "error" not in steps["register_order_again_with_overwrite"]
    assert steps["get_latest_workflow_def"] == {
        "name": "oc_order",
        "version": 2,
        "description": "the order, second version",
        "task_refs": ["reserve", "pay", "route"],
    }
    assert steps["get_workflow_def_version_1"]["version"] == 1
    assert steps["get_all_workflow_defs"]["names"] == ["oc_order", "oc_payment"]

    # Workflows: started both ways, read back with their tasks.
    started, by_name = steps["start_workflow"]["id"], steps["start_workflow_by_name"]["id"]
    first = steps["get_workflow"]
    assert (first["workflow_id"], first["status"], first["version"]) == (started, "RUNNING", 1)
    assert first["correlation_id"] == "oc-1"
    assert refs_and_statuses(first) == [("reserve", "SCHEDULED")]
    assert steps["get_workflow_by_name"]["version"] == 2

    # Operations, each read back after it.
    assert steps["pause"]["status"] == "PAUSED"
    assert steps["resume"]["status"] == "RUNNING"
    terminated = steps["terminate"]
    assert (terminated["status"], terminated["reason"]) == (
        "TERMINATED",
        "cancelled by the customer",
    )
    assert refs_and_statuses(terminated) == [("reserve", "CANCELED")]
    retried = steps["retry"]
    assert retried["status"] == "RUNNING"
    assert refs_and_statuses(retried) == [("reserve", "CANCELED"), ("reserve", "SCHEDULED")]
    assert steps["terminate_again"]["status"] == "TERMINATED"
    restarted = steps["restart"]
    assert restarted["status"] == "RUNNING"
    assert refs_and_statuses(restarted) == [("reserve", "SCHEDULED")]
    assert steps["search"]["ids"] == sorted([started, by_name])

    # The test API: a failed reservation retried, the payment sub-workflow on its own mocks,
    # the express branch taken.
    tested = steps["test_workflow"]
    assert tested["status"] == "COMPLETED"
    assert tested["output"] == {"receipt": "P-9", "eta": "2h"}
    assert refs_and_statuses(tested) == [
        ("reserve", "FAILED"),
        ("reserve", "COMPLETED"),
        ("pay", "COMPLETED"),
        ("route", "COMPLETED"),
        ("courier", "COMPLETED"),
    ]
    assert [task["retry_count"] for task in tested["tasks"][:2]] == [0, 1]
    assert tested["tasks"][2]["sub_workflow_id"]
    # An inline definition: its HTTP task takes its mock (never called), and the worker task
    # after it has none, so the run stops there.
    stopped = steps["test_workflow_stops_without_a_mock"]
    assert stopped["status"] == "RUNNING"
    assert refs_and_statuses(stopped) == [("lookup", "COMPLETED"), ("notify", "SCHEDULED")]
    assert stopped["tasks"][0]["output"] == {"response": {"statusCode": 200}}
