"""``--retention`` (the command line) and ``retention_seconds`` (FakeServer, ServerHandle, the
plugin's marker): a real server forgets ended workflows after it, and says so in its stats."""

from __future__ import annotations

import subprocess
import sys

import pytest

from harness.admin import AdminError
from harness.server import ServerHandle
from harness.waiting import wait_until

ONE_TASK = {
    "name": "kept_briefly",
    "version": 1,
    "tasks": [{"name": "t", "taskReferenceName": "t", "type": "SIMPLE"}],
}


@pytest.mark.parametrize("mode", ["thread", "subprocess"])
def test_an_ended_workflow_is_forgotten_after_the_retention(mode):
    with ServerHandle(mode=mode, retention_seconds=0.3) as server:
        admin = server.admin
        admin.register_workflow(ONE_TASK)
        ended = admin.start_workflow("kept_briefly")
        running = admin.start_workflow("kept_briefly")
        admin.terminate_workflow(ended, "ended")

        def forgotten() -> bool:
            try:
                admin.get_workflow(ended)
            except AdminError as error:
                return error.status == 404
            return False

        wait_until(forgotten, timeout=15, message="the ended workflow to be forgotten")
        assert admin.get_workflow(running)["status"] == "RUNNING"
        retention = admin.stats()["retention"]
        # (the stats also count the events, notifications and logs retention removed)
        removed = {key: retention[key] for key in ("seconds", "removedWorkflows", "removedTasks")}
        assert removed == {"seconds": 0.3, "removedWorkflows": 1, "removedTasks": 1}


def test_a_negative_retention_is_a_usage_error():
    done = subprocess.run(
        [sys.executable, "-m", "fake_server", "--retention", "-5"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--retention must be 0 or more seconds, got -5.0" in done.stderr
