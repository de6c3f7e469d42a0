"""conductor-python 2.0.0's lease extension test (tests/integration/test_lease_extension.py at
v2.0.0), at a time scale of seconds, with the official package against the fake server: a task
running past its responseTimeoutSeconds completes when its worker extends the lease
(lease_extend_enabled) and times out when it does not."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from fake_server import FakeServer
from tests.integration.fake_server.official_python_sdk import official_python_fixture  # noqa: F401  (used by name)

SCRIPT = Path(__file__).with_name("official_sdk_leases.py")


def test_official_lease_extension_keeps_a_long_task_alive(official_python):
    with FakeServer(port=0) as server:
        run = subprocess.run(
            [str(official_python), str(SCRIPT)],
            capture_output=True,
            text=True,
            timeout=180,
            env={**os.environ, "CONDUCTOR_SERVER_URL": server.url},
            start_new_session=True,
        )
    assert run.returncode == 0, run.stdout + run.stderr
    outcome = json.loads(run.stdout.strip().splitlines()[-1])
    # The task definitions the workers registered are the ones that apply.
    assert outcome["ol_heartbeat"]["response_timeout"] == 6
    assert outcome["ol_heartbeat"]["status"] == "COMPLETED", run.stderr[-3000:]
    assert outcome["ol_heartbeat"]["output"] == {"job_id": "ol_heartbeat", "slept": 14}
    # Without heartbeats the response timeout ends the task; with no retries, the workflow.
    assert outcome["ol_silent"]["status"] == "TIMED_OUT"
    assert outcome["ol_silent"]["tasks"] == ["TIMED_OUT"]
