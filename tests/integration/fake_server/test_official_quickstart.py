"""Done when conductor-python 2.0.0's own quick-start runs unchanged against the fake server:
the README's hello world (``WorkflowExecutor.execute``), ``dynamic_workflow.py`` and
``kitchensink.py`` (``ConductorWorkflow.execute``) complete. official_sdk_quickstart.py does
what each does, with the official package from PyPI in its own venv; before the fake had
``POST /workflow/execute/{name}/{version}`` each got a 404 and hung with its workers running.
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

SCRIPT = Path(__file__).with_name("official_sdk_quickstart.py")


# The script's async workers register their task definitions as they start: 2.0.0 first tries
# an update, which Conductor answers 404 for a definition it does not have yet.
REGISTRATION_404 = "PUT /api/metadata/taskdefs -> 404"


def run_example(python: Path, example: str, **env: str) -> tuple[dict[str, Any], list[str]]:
    """Run one example in a process group of its own (its workers are its children); the
    outcome it printed, and the requests the server answered with an error (but the
    registration's expected 404s), then the access log's lines."""
    with AccessLog() as access, FakeServer(port=0) as server:
        environment = {
            **os.environ,
            "CONDUCTOR_SERVER_URL": server.url,
            "FS_REMOTE_URL": f"{server.url}/health",
            **env,
        }
        run = subprocess.run(
            [str(python), str(SCRIPT), example],
            capture_output=True,
            text=True,
            timeout=120,
            env=environment,
            start_new_session=True,
        )
        failures = [line for line in access.failures() if line != REGISTRATION_404]
        lines = list(access.lines)
    assert run.returncode == 0, run.stdout + run.stderr
    outcome = json.loads(run.stdout.strip().splitlines()[-1])
    return {**outcome, "access_log": lines}, failures


def test_readme_hello_world_executes_to_completion(official_python):
    """WorkflowExecutor.execute by name and version; the output is the last task's, as
    Conductor makes it for a definition without outputParameters."""
    run, failures = run_example(official_python, "hello")
    assert run["status"] == "COMPLETED"
    assert run["output"] == {"result": "Hello, --> World"}
    assert failures == []


def test_dynamic_workflow_executes_an_unregistered_definition(official_python):
    """ConductorWorkflow.execute sends the definition inline; workers chain through outputs."""
    run, failures = run_example(official_python, "dynamic")
    assert run["status"] == "COMPLETED"
    assert run["output"] == {"email": "user_a@example.com"}
    assert [(t["ref"], t["status"]) for t in run["tasks"]] == [
        ("get_email_ref", "COMPLETED"),
        ("send_email_ref", "COMPLETED"),
    ]
    assert failures == []


def test_kitchensink_runs_every_task_type_to_completion(official_python):
    """Script, fork of an inline sub-workflow (HTTP, WAIT) and of HTTP and WAIT, JQ, variables,
    a switch to a worker; its HTTP tasks call the fake server (no internet here)."""
    run, failures = run_example(official_python, "kitchensink")
    assert run["status"] == "COMPLETED", run
    assert run["output"]["greetings"]["text"] == "hello Orkes"
    assert run["output"]["jq"] == {"key3": ["a", "b", "d", "e"]}
    assert run["variables"] == {"var1": "value1", "var2": 42, "var3": ["a", "b", "c"]}
    statuses = {t["type"]: t["status"] for t in run["tasks"]}
    assert set(statuses) == {
        "INLINE", "FORK", "SUB_WORKFLOW", "HTTP", "JOIN", "WAIT", "JSON_JQ_TRANSFORM",
        "SET_VARIABLE", "SWITCH", "qs_route",
    }  # fmt: skip
    assert set(statuses.values()) == {"COMPLETED"}
    assert failures == []


def test_kitchensink_terminates_for_a_country_it_does_not_route(official_python):
    run, _ = run_example(official_python, "kitchensink", FS_COUNTRY="FR")
    assert run["status"] == "TERMINATED"
    assert run["tasks"][-1]["ref"] == "bad_country_ref"


def test_async_workers_complete_workflows_through_update_v2(official_python):
    """2.0.0's test_v2_fallback_intg.py: async workers finish five workflows of six tasks; the
    fake answers update-v2, so no fallback to POST /tasks is needed."""
    run, failures = run_example(official_python, "async_workers")
    assert run["statuses"] == ["COMPLETED"] * 5
    assert failures == []
    updates = [line for line in run["access_log"] if "/api/tasks/update-v2" in line]
    assert len(updates) >= 30
