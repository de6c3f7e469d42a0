"""conductor-python 2.0.0's comprehensive end-to-end test (tests/integration/
test_comprehensive_e2e.py at v2.0.0), as far as the server is concerned, with the official
package against the fake server: five kinds of worker in one workflow end as they do on
Conductor OSS."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from fake_server import FakeServer
from tests.integration.fake_server.access_log import AccessLog
from tests.integration.fake_server.official_python_sdk import official_python_fixture  # noqa: F401  (used by name)

SCRIPT = Path(__file__).with_name("official_sdk_comprehensive.py")


def test_official_comprehensive_workers_end_as_on_conductor(official_python):
    with AccessLog() as access, FakeServer(port=0) as server:
        run = subprocess.run(
            [str(official_python), str(SCRIPT)],
            capture_output=True,
            text=True,
            timeout=180,
            env={**os.environ, "CONDUCTOR_SERVER_URL": server.url},
            start_new_session=True,
        )
        failures = access.failures()
    assert run.returncode == 0, run.stdout + run.stderr
    outcome = json.loads(run.stdout.strip().splitlines()[-1])
    tasks = outcome["tasks"]
    # The NonRetryableException fails its task for good, and with it the workflow.
    assert outcome["status"] == "FAILED"
    assert (tasks["fail_1"]["status"], tasks["fail_1"]["reason"]) == (
        "FAILED_WITH_TERMINAL_ERROR",
        "Test failure",
    )
    assert tasks["sync_1"]["output"] == {"value": "test", "count": 1, "worker": "sync"}
    assert tasks["async_1"]["output"] == {"message": "hello", "worker": "async"}
    assert tasks["complex_1"]["output"] == {"id": "123", "amount": 99.99, "tag_count": 2}
    # TaskInProgress came back after its callback, on its second poll.
    assert tasks["tip_1"] == {
        "status": "COMPLETED",
        "output": {"job_id": "JOB1", "polls": 1},
        "reason": None,
    }
    # The definition given in the decorator is the one registered.
    assert outcome["complex_def"]["retry_count"] == 2
    assert outcome["complex_def"]["timeout_policy"] == "RETRY"
    # Registering a definition first tries an update (Conductor's 404 for a new one), and the
    # script looks for the definitions until they are there; nothing else failed.
    expected = ("PUT /api/metadata/taskdefs -> 404", "GET /api/metadata/taskdefs/")
    assert [line for line in failures if not line.startswith(expected)] == []
