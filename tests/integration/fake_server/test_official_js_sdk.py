"""Another client nobody here wrote: the official JavaScript SDK (@io-orkes/conductor-javascript),
unmodified, registers definitions, starts workflows, runs workers with and without a task domain,
reads workflows back and terminates one against the fake server, with and without tokens.

The SDK is installed from the npm registry into a folder cached under the pytest cache and
reused; the test is skipped only when ``node`` or ``npm`` is missing, and fails with npm's output
when the install fails for another reason.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from harness.server import ServerHandle
from tests.integration.fake_server.access_log import AccessLog

PACKAGE = "@io-orkes/conductor-javascript"
# 3.1.0 installs with a plain `npm install` on Node 18+; 4.x declares AI-framework peers (zod,
# langchain) whose versions npm cannot reconcile without --legacy-peer-deps.
VERSION = "3.1.0"
MINIMUM_NODE_MAJOR = 18  # the package's "engines"
CLIENT_SCRIPT = Path(__file__).with_name("official_js_sdk_client.js")
INSTALL_HINT = "install Node.js 18+ with npm (e.g. `sudo apt-get install nodejs npm`)"
CREDENTIALS = {"auth_key": "js-key", "auth_secret": "js-secret"}


@pytest.fixture(scope="session")
def js_sdk_modules(pytestconfig: pytest.Config) -> Path:
    """The node_modules folder holding the official JS SDK (installed once, then reused)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        missing = " and ".join(name for name, path in (("node", node), ("npm", npm)) if not path)
        pytest.skip(f"{missing} not found: {INSTALL_HINT}, then rerun this test")
    check_node_version(node)
    home = pytestconfig.cache.mkdir(f"official-conductor-javascript-{VERSION}")
    ready = home / "ready"
    with open(home / "lock", "w") as lock:  # one installer at a time across xdist workers
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not ready.exists():
            install_js_sdk(npm, home)
            ready.write_text(VERSION)
    return home / "node_modules"


def check_node_version(node: str) -> None:
    version = subprocess.run(
        [node, "--version"], capture_output=True, text=True, timeout=30
    ).stdout.strip()
    match = re.match(r"v(\d+)\.", version)
    if match is None or int(match.group(1)) < MINIMUM_NODE_MAJOR:
        pytest.fail(f"{PACKAGE} {VERSION} needs Node.js {MINIMUM_NODE_MAJOR}+, found {version!r}")


def install_js_sdk(npm: str, home: Path) -> None:
    # A package.json of its own keeps npm from looking for a project further up.
    (home / "package.json").write_text('{"private": true}\n')
    command = [npm, "install", "--no-audit", "--no-fund", "--ignore-scripts", "--no-save"]
    command += ["--prefix", str(home), f"{PACKAGE}@{VERSION}"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"{' '.join(command)} did not finish in {error.timeout:g} s")
    if done.returncode != 0:
        pytest.fail(
            f"{' '.join(command)} failed (exit {done.returncode}):\n"
            f"{(done.stdout + done.stderr).strip()[-3000:]}"
        )


def run_js_client(modules: Path, server: ServerHandle, env: dict[str, str]) -> dict[str, Any]:
    """Runs the client script to its end (it stops its own workers) and returns its report."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith("CONDUCTOR_")}
    process = subprocess.Popen(
        ["node", str(CLIENT_SCRIPT), server.url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**clean, "NODE_PATH": str(modules), **env},
    )
    try:
        stdout, stderr = process.communicate(timeout=60)
    finally:
        # Nothing the script started may outlive the test, even when it hangs.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    assert process.returncode == 0, f"the JS client failed:\n{stderr}"
    report: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    return report


@pytest.mark.parametrize("auth", [False, True], ids=["no-auth", "token"])
def test_official_js_sdk_clients_and_workers_run_unchanged(js_sdk_modules, auth):
    server_options: dict[str, Any] = CREDENTIALS if auth else {}
    env = {}
    if auth:
        env = {
            "CONDUCTOR_AUTH_KEY": CREDENTIALS["auth_key"],
            "CONDUCTOR_AUTH_SECRET": CREDENTIALS["auth_secret"],
        }
    with ServerHandle(**server_options) as server:
        with AccessLog() as access:  # what the SDK asked for, not the checks below
            report = run_js_client(js_sdk_modules, server, env)
        admin = server.admin
        plain = [admin.get_workflow(run["workflowId"]) for run in report["plain"]]
        blue = admin.get_workflow(report["blue"]["workflowId"])
        terminated = admin.get_workflow(report["terminated"]["workflowId"])
        greet_pollers = {(p["workerId"], p.get("domain")) for p in admin.poll_data("fs_js_greet")}
        task_def = server.engine.get_task_def("fs_js_greet")
        server.check()

    # MetadataClient registered the definitions the workflows ran on.
    assert (task_def["responseTimeoutSeconds"], task_def["ownerEmail"]) == (30, "js@example.com")
    assert report["registeredTask"] == {"name": "fs_js_greet", "retryCount": 0}
    # WorkflowExecutor started them; TaskManager's workers (no domain) completed them.
    for name, workflow in zip(["ada", "bob"], plain, strict=True):
        assert workflow["status"] == "COMPLETED", workflow.get("reasonForIncompletion")
        assert workflow["output"] == {"shout": f"HELLO {name.upper()}", "by": "plain"}
        assert [(t.get("domain"), t["workerId"]) for t in workflow["tasks"]] == [
            (None, "js-plain"),
            (None, "js-plain"),
        ]
    # taskToDomain sent greet to the TaskManager polling domain "blue", shout to the plain one.
    assert blue["status"] == "COMPLETED"
    assert blue["output"] == {"shout": "HELLO CY", "by": "blue"}
    assert [(t.get("domain"), t["workerId"]) for t in blue["tasks"]] == [
        ("blue", "js-blue"),
        (None, "js-plain"),
    ]
    assert {("js-plain", None), ("js-blue", "blue")} <= greet_pollers
    # The SDK read the same workflows back, tasks included, and the status summary.
    assert [run["output"] for run in report["plain"]] == [w["output"] for w in plain]
    assert [t["outputData"] for t in report["blue"]["tasks"]] == [
        t["outputData"] for t in blue["tasks"]
    ]
    assert report["blueStatus"] == {"status": "COMPLETED", "output": blue["output"]}
    # WorkflowExecutor.terminate ended the workflow nobody works on, with its reason.
    assert terminated["status"] == "TERMINATED"
    assert terminated["reasonForIncompletion"] == "stopped by the JS SDK test"
    assert [t["status"] for t in terminated["tasks"]] == ["CANCELED"]
    assert report["terminated"]["status"] == "TERMINATED"
    # Every route the SDK called exists here and answered it without an error.
    assert access.failures() == []
    assert {"POST /api/tasks/update-v2", "GET /api/workflow/{id}/status"} <= {
        re.sub(r"/workflow/[0-9a-f-]{36}", "/workflow/{id}", route) for route in access.routes()
    }
    assert any(route.startswith("GET /api/tasks/poll/batch/") for route in access.routes())
    assert ("POST /api/token" in access.routes()) == auth
