"""A client nobody here wrote: the official conductor-python SDK's TaskHandler, unmodified, runs
workflows to completion against the fake server (with and without task domains).

The SDK is installed into its own venv, cached under the pytest cache and reused; the test is
skipped (with the reason) when it cannot be installed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import requests

from fake_server import FakeServer, ManualClock
from tests.integration.fake_server.access_log import AccessLog
from tests.integration.fake_server.official_python_sdk import official_python_fixture  # noqa: F401  (used by name)

WORKER_SCRIPT = Path(__file__).with_name("official_sdk_worker.py")
WORKFLOW = {
    "name": "fs_official_hello",
    "tasks": [
        {
            "name": "fs_official_greet",
            "taskReferenceName": "greet",
            "inputParameters": {"name": "${workflow.input.name}"},
        },
        {
            "name": "fs_official_shout",
            "taskReferenceName": "shout",
            "inputParameters": {"text": "${greet.output.greeting}"},
        },
    ],
    "outputParameters": {"shout": "${shout.output.shout}", "by": "${greet.output.by}"},
}


@contextlib.contextmanager
def official_workers(python: Path, server: FakeServer, log_path: Path, **env: str):
    """The official SDK's TaskHandler in its own process group, always killed at the end."""
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [str(python), str(WORKER_SCRIPT), server.url],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
        )
        try:
            yield
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            # The SDK's worker processes share the group: none may outlive the test.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)


def run_workflow(url, log_path, name, headers=None, **request):
    body = {"name": WORKFLOW["name"], "input": {"name": name}, **request}
    response = requests.post(f"{url}/workflow", json=body, headers=headers, timeout=5)
    assert response.status_code == 200, response.text
    workflow_id = response.text
    deadline = time.monotonic() + 60
    while True:
        workflow = requests.get(f"{url}/workflow/{workflow_id}", headers=headers, timeout=5).json()
        if workflow["status"] != "RUNNING":
            return workflow
        assert time.monotonic() < deadline, f"still RUNNING; workers said:\n{log_path.read_text()}"
        time.sleep(0.05)


def domains(workflow):
    return [task.get("domain") for task in workflow["tasks"]]


def test_official_task_handler_completes_workflows_with_and_without_domains(
    official_python, tmp_path
):
    log_path = tmp_path / "workers.log"
    with AccessLog() as recorder, FakeServer(port=0) as server:
        requests.post(
            f"{server.url}/metadata/workflow", json=WORKFLOW, timeout=5
        ).raise_for_status()
        with official_workers(official_python, server, log_path):
            plain = [run_workflow(server.url, log_path, f"ada-{i}") for i in range(3)]
            blue = run_workflow(
                server.url, log_path, "bo", taskToDomain={"fs_official_greet": "blue"}
            )
            fallback = run_workflow(
                server.url, log_path, "cy", taskToDomain={"*": "red,blue,NO_DOMAIN"}
            )

    for i, workflow in enumerate(plain):
        assert workflow["status"] == "COMPLETED", workflow.get("reasonForIncompletion")
        assert workflow["output"] == {"shout": f"HELLO ADA-{i}", "by": "plain"}
        assert domains(workflow) == [None, None]
    # A taskToDomain entry sends the greet task to the worker polling domain "blue".
    assert blue["status"] == "COMPLETED"
    assert blue["output"] == {"shout": "HELLO BO", "by": "blue"}
    assert domains(blue) == ["blue", None]
    # "red,blue,NO_DOMAIN": red has no worker, blue has one; no shout worker in either: no domain.
    assert fallback["status"] == "COMPLETED"
    assert fallback["output"] == {"shout": "HELLO CY", "by": "blue"}
    assert domains(fallback) == ["blue", None]
    # Everything the SDK asked for exists here.
    assert recorder.failures() == []
    called = {line.split(" ")[1].split("?")[0].rsplit("/", 1)[0] for line in recorder.lines}
    assert {"/api/tasks/poll/batch", "/api/tasks"} <= called


def test_official_task_handler_authenticates_and_renews_an_expired_token(official_python, tmp_path):
    log_path = tmp_path / "workers.log"
    clock = ManualClock(start_ms=int(time.time() * 1000))
    auth = {"auth_key": "fake-key", "auth_secret": "fake-secret", "token_ttl_seconds": 60}
    with AccessLog() as recorder, FakeServer(port=0, clock=clock, **auth) as server:
        headers = {"X-Authorization": server.auth.issue("fake-key", "fake-secret")}
        requests.post(
            f"{server.url}/metadata/workflow", json=WORKFLOW, headers=headers, timeout=5
        ).raise_for_status()
        env = {"CONDUCTOR_AUTH_KEY": "fake-key", "CONDUCTOR_AUTH_SECRET": "fake-secret"}
        with official_workers(official_python, server, log_path, **env):
            first = run_workflow(server.url, log_path, "early", headers)
            renewal_starts = len(recorder.lines)
            clock.advance_seconds(61)  # every token issued so far has expired
            headers = {"X-Authorization": server.auth.issue("fake-key", "fake-secret")}
            second = run_workflow(server.url, log_path, "late", headers)

    assert first["status"] == second["status"] == "COMPLETED"
    assert second["output"] == {"shout": "HELLO LATE", "by": "plain"}
    before, after = recorder.lines[:renewal_starts], recorder.lines[renewal_starts:]
    assert "POST /api/token -> 200" in before
    assert not any(line.endswith("-> 401") for line in before)
    # After the jump the workers' old tokens are refused, and they fetch new ones.
    refused = [i for i, line in enumerate(after) if line.endswith("-> 401")]
    assert refused, "no request was refused after the tokens expired"
    assert "POST /api/token -> 200" in after[refused[0] :]
