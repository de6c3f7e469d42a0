"""conductor-python 2.0.0's integration test of workflow execution, as far as it applies to
Conductor OSS, run with the official package from PyPI against the fake server
(official_sdk_executions.py does what tests/integration/workflow/test_workflow_execution.py
does at v2.0.0): registration, a batch of starts, lookups by correlation ids, synchronous
execution with each return strategy and consistency, and signals with each return strategy.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from fake_server import FakeServer
from tests.integration.fake_server.access_log import AccessLog
from tests.integration.fake_server.official_python_sdk import official_python_fixture  # noqa: F401  (used by name)

SCRIPT = Path(__file__).with_name("official_sdk_executions.py")


def run_script(python: Path) -> tuple[dict[str, dict[str, Any]], list[str]]:
    with AccessLog() as access, FakeServer(port=0) as server:
        run = subprocess.run(
            [str(python), str(SCRIPT)],
            capture_output=True,
            text=True,
            timeout=240,
            env={
                **os.environ,
                "CONDUCTOR_SERVER_URL": server.url,
                "FS_REMOTE_URL": f"{server.url}/health",
            },
            start_new_session=True,
        )
        failures = access.failures()
    assert run.returncode == 0, run.stdout + run.stderr
    steps = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    return {step.pop("step"): step for step in steps}, failures


def test_official_workflow_execution_scenarios_pass(official_python):
    steps, failures = run_script(official_python)

    assert steps["async_req"] == {"name": "oe_async_task"}
    # Schemas are stored and read back; an inline task definition needs no name.
    assert steps["schemas"] == {
        "schema_name": "oe_schema",
        "schema_type": "JSON",
        "enforce": True,
        "plain": [None, None, False],
        "inline_definition": [None, False],
        "without_inline": None,
    }
    # A definition of most task types registers, starts and is terminated.
    registered = steps["definition_registration"]
    assert (registered["status"], registered["reason"], registered["correlation_id"]) == (
        "TERMINATED",
        "End test",
        "kitchensink_test",
    )
    assert set(registered["task_types"]) == {
        "HTTP", "SIMPLE", "SET_VARIABLE", "FORK_JOIN", "JOIN", "SUB_WORKFLOW", "JSON_JQ_TRANSFORM",
    }  # fmt: skip
    # Registration: unregistering what does not exist is the 404 the scenario tolerates.
    assert steps["registration"] == {"unregistered": "404", "tasks": ["oe_task"]}
    assert failures == ["DELETE /api/metadata/workflow/oe_workflow/1 -> 404"]
    assert steps["start_workflows"]["statuses"] == ["COMPLETED"] * 6
    lookup = steps["get_by_correlation_ids"]
    assert lookup["found"] == {"2": [lookup["started"]], "5": [], "33": []}

    # Synchronous execution: each variant answers as its return strategy says, and completes.
    expected_types = {
        "default": "TARGET_WORKFLOW",
        "durable_blocking_workflow": "BLOCKING_WORKFLOW",
        "synchronous_blocking_task_input": "BLOCKING_TASK_INPUT",
        "none_none": "TARGET_WORKFLOW",
    }
    for variant, response_type in expected_types.items():
        step = steps[f"execute_{variant}"]
        assert (step["response_type"], step["final_status"]) == (response_type, "COMPLETED")
    # BLOCKING_TASK_INPUT answers the ended task named in waitUntilTaskRef: its input.
    assert steps["execute_synchronous_blocking_task_input"]["input"] == {
        "x": "synchronous_blocking_task_input"
    }
    assert steps["execute"] == {"status": "COMPLETED", "output": {"echo": "execute"}}

    # Signals: the first blocked WAIT (in the child) is completed; the answer shows the next
    # blocking state (the grandchild's WAIT) as each strategy asks.
    for strategy in ("TARGET_WORKFLOW", "default"):
        step = steps[f"signal_{strategy}"]
        assert step["response_type"] == "TARGET_WORKFLOW"
        assert step["workflow_id_in_response"] == step["target_workflow_id"] == step["workflow_id"]
    blocking_workflow = steps["signal_BLOCKING_WORKFLOW"]
    assert blocking_workflow["workflow_id_in_response"] not in (
        None,
        blocking_workflow["workflow_id"],
    )
    for strategy in ("BLOCKING_TASK", "BLOCKING_TASK_INPUT"):
        step = steps[f"signal_{strategy}"]
        assert (step["response_type"], step["task_ref"]) == (strategy, "inner_wait")
        assert step["dict_types"] == {
            "responseType": "str",
            "taskId": "str",
            "targetWorkflowId": "str",
        }
    assert steps["signal_BLOCKING_TASK_INPUT"]["task_input"] == {}
    # Two more async signals end each workflow.
    signal_steps = [s for name, s in steps.items() if name.startswith("signal_")]
    assert {s["final_status"] for s in signal_steps} == {"COMPLETED"}
    assert steps["signal_async"]["result"] is None
