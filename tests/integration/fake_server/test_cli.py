"""The command line: python -m fake_server serves, prints its URL, stops cleanly on signals."""

import json
import selectors
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

COMMAND = [sys.executable, "-m", "fake_server"]


def read_line(stream, timeout_s=15.0):
    """The next line of ``stream`` (a pipe), waiting at most ``timeout_s``."""
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        if not selector.select(timeout_s):
            raise AssertionError(f"no output within {timeout_s} s")
    return stream.readline()


class Running:
    def __init__(self, *args):
        self.process = subprocess.Popen(
            [*COMMAND, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        self.process.stdout.close()
        self.process.stderr.close()

    def url(self):
        line = read_line(self.process.stdout)
        assert line.startswith("Fake Conductor server listening on http://127.0.0.1:"), line
        return line.strip().rsplit(" ", 1)[-1]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serves_on_a_free_port_and_stops_cleanly_on_a_signal(signum):
    with Running("--port", "0") as server:
        url = server.url()
        assert url.endswith("/api")
        assert requests.get(f"{url}/health", timeout=5).json()["healthy"] is True
        workflow = {"name": "wf", "tasks": [{"name": "a", "taskReferenceName": "a"}]}
        assert requests.post(f"{url}/metadata/workflow", json=workflow, timeout=5).ok
        server.process.send_signal(signum)
        assert server.process.wait(timeout=10) == 0
        assert "stopped" in server.process.stdout.read()


def test_time_skipping_jumps_to_a_retry_delay():
    with Running("--port", "0", "--time-skipping") as server:
        url = server.url()
        root = url.removesuffix("/api")
        task_def = {"name": "a", "retryCount": 1, "retryDelaySeconds": 86400}
        requests.post(f"{url}/metadata/taskdefs", json=[task_def], timeout=5)
        queued = requests.post(f"{root}/fake/tasks", json={"taskType": "a"}, timeout=5).json()
        task = requests.get(f"{url}/tasks/poll/a?workerid=w", timeout=5).json()
        result = {"workflowInstanceId": queued["workflowInstanceId"], "taskId": task["taskId"]}
        requests.post(f"{url}/tasks", json={**result, "status": "FAILED"}, timeout=5)

        retry = requests.get(f"{url}/tasks/poll/a?workerid=w", timeout=5).json()
        assert retry["retryCount"] == 1
        skipping = requests.get(f"{root}/fake/clock", timeout=5).json()["timeSkipping"]
        assert skipping["skippedMs"] >= 86400_000 - 1000


def test_loads_definitions_at_start(tmp_path):
    (tmp_path / "tasks.json").write_text(json.dumps([{"name": "greet", "retryCount": 7}]))
    workflow = {"name": "hello", "tasks": [{"name": "greet", "taskReferenceName": "g"}]}
    (tmp_path / "hello.json").write_text(json.dumps(workflow))
    with Running("--port", "0", "--definitions", str(tmp_path)) as server:
        url = server.url()
        # printed with the first line: already read into the pipe's buffer
        assert server.process.stdout.readline().strip() == f"Its console: {url[:-4]}/"
        loaded = server.process.stdout.readline().strip()
        assert loaded == f"Loaded 1 task and 1 workflow definitions from {tmp_path}"
        assert requests.get(f"{url}/metadata/taskdefs/greet", timeout=5).json()["retryCount"] == 7
        started = requests.post(f"{url}/workflow", json={"name": "hello"}, timeout=5)
        assert started.status_code == 200


def test_a_bad_definitions_file_exits_2_naming_the_file(tmp_path):
    (tmp_path / "ok.json").write_text(json.dumps({"name": "fine"}))
    bad = tmp_path / "broken.json"
    bad.write_text('{"name": "x", "retryLogic": "WHENEVER"}')
    done = subprocess.run(
        [*COMMAND, "--port", "0", "--definitions", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert f"error: --definitions {bad}: retryLogic: must be one of" in done.stderr
    assert "listening" not in done.stdout


def test_help():
    done = subprocess.run([*COMMAND, "--help"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0
    for option in (
        "--host",
        "--port",
        "--definitions",
        "--auth-key",
        "--auth-secret",
        "--token-ttl",
        "--threads",
        "--log-level",
        "--time-skipping",
    ):
        assert option in done.stdout


def test_the_console_script_is_installed():
    script = Path(sys.executable).with_name("conductor-fake-server")
    if not script.exists():
        pytest.skip(f"{script} is not installed (pip install -e . creates it)")
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and "--definitions" in done.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--auth-key", "k"], "--auth-key and --auth-secret go together"),
        (["--port", "-1"], "--port"),
        (["--threads", "0"], "--threads"),
        (["--token-ttl", "0"], "--token-ttl"),
        (["--log-level", "LOUD"], "--log-level"),
        (["--port", "eighty"], "--port"),
    ],
)
def test_bad_arguments_exit_2(args, words):
    done = subprocess.run([*COMMAND, *args], capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert words in done.stderr


def test_with_auth_the_api_needs_a_token():
    with Running(
        "--port", "0", "--auth-key", "k", "--auth-secret", "s", "--token-ttl", "60"
    ) as server:
        url = server.url()
        assert requests.get(f"{url}/tasks/queue/all", timeout=5).status_code == 401
        token = requests.post(f"{url}/token", json={"keyId": "k", "keySecret": "s"}, timeout=5)
        headers = {"X-Authorization": token.json()["token"]}
        assert requests.get(f"{url}/tasks/queue/all", headers=headers, timeout=5).status_code == 200
        server.process.terminate()
        assert server.process.wait(timeout=10) == 0


def test_a_taken_port_is_a_clear_error():
    with Running("--port", "0") as first:
        port = first.url().split(":")[-1].split("/")[0]
        done = subprocess.run(
            [*COMMAND, "--port", port], capture_output=True, text=True, timeout=30
        )
        assert done.returncode == 1
        assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
        assert "--port 0 picks a free port" in done.stderr


@pytest.mark.parametrize("level", ["debug", "WARNING"])
def test_requests_are_logged_only_at_debug(level):
    with Running("--port", "0", "--log-level", level) as server:
        url = server.url()
        requests.get(f"{url}/health", timeout=5)
        requests.get(f"{url}/missing", timeout=5)
        server.process.terminate()
        assert server.process.wait(timeout=10) == 0
        logged = server.process.stderr.read()
    assert ("GET /api/health -> 200" in logged) == (level == "debug")
    assert ("GET /api/missing -> 404" in logged) == (level == "debug")


def test_binding_every_address_without_auth_warns_who_can_reach_it():
    with Running("--host", "0.0.0.0", "--port", "0") as server:
        warning = read_line(server.process.stderr)
        assert "listens on 0.0.0.0 without authentication" in warning
        assert "any machine that can reach this one, on any of its addresses" in warning
        assert "--auth-key and --auth-secret" in warning
        url = server.url()  # it serves all the same, and loopback reaches it
        assert requests.get(f"{url}/health", timeout=5).ok


def test_binding_every_address_with_auth_gives_no_warning_and_guards_the_admin_api():
    with Running("--host", "0.0.0.0", "--port", "0", "--auth-key", "k", "--auth-secret", "s") as (
        server
    ):
        url = server.url()
        assert requests.get(f"{url.removesuffix('/api')}/fake/state", timeout=5).status_code == 401
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=10)
        assert "without authentication" not in server.process.stderr.read()
