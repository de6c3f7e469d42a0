"""Fixtures for the SDK's integration tests: a fake server on a real socket and scripts run as
real processes (the helpers that are not fixtures are in ``waiting.py``)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from fake_server import FakeServer
from tests.integration.sdk.waiting import wait_until


class Server:
    """The fake server of this test: the API base ``url`` and a few admin calls."""

    def __init__(self, fake: FakeServer) -> None:
        self.url = fake.url
        self.root_url = fake.root_url
        self.http = requests.Session()

    def enqueue(
        self, task_type: str, count: int = 1, *, domain: str | None = None, input: Any = None
    ) -> list[str]:
        body: dict[str, Any] = {"taskType": task_type, "count": count}
        if domain:
            body["domain"] = domain
        if input is not None:
            body["input"] = input
        response = self.http.post(f"{self.root_url}/fake/tasks", json=body)
        response.raise_for_status()
        return response.json()["taskIds"]

    def task(self, task_id: str) -> dict[str, Any]:
        response = self.http.get(f"{self.url}/tasks/{task_id}")
        response.raise_for_status()
        return response.json()

    def task_logs(self, task_id: str) -> list[str]:
        state = self.http.get(f"{self.root_url}/fake/state").json()
        [task] = [t for t in state["tasks"] if t["taskId"] == task_id]
        return [entry["log"] for entry in task["logs"]]

    def poll_data(self, task_type: str) -> list[dict[str, Any]]:
        response = self.http.get(f"{self.url}/tasks/queue/polldata", params={"taskType": task_type})
        response.raise_for_status()
        return response.json()

    def polled_domains(self, task_type: str) -> set[str | None]:
        return {entry.get("domain") for entry in self.poll_data(task_type)}

    def wait_polled(self, expected: dict[str, set[str | None]], timeout: float = 15.0) -> None:
        """Waits until each task type was polled with (at least) the given domains."""
        wait_until(
            lambda: all(self.polled_domains(t) >= d for t, d in expected.items()),
            timeout=timeout,
            message=f"polls for {expected}; seen "
            + str({t: self.polled_domains(t) for t in expected}),
        )

    def wait_done(
        self, task_ids: list[str], timeout: float = 15.0, statuses: tuple[str, ...] = ()
    ) -> list[dict[str, Any]]:
        """Waits until every task reached a terminal status (or one of ``statuses``)."""
        wanted = statuses or ("COMPLETED", "FAILED", "FAILED_WITH_TERMINAL_ERROR")

        def finished() -> list[dict[str, Any]] | None:
            tasks = [self.task(task_id) for task_id in task_ids]
            return tasks if all(t["status"] in wanted for t in tasks) else None

        return wait_until(finished, timeout=timeout, message=f"tasks {task_ids} to finish")


@pytest.fixture
def server() -> Iterator[Server]:
    """A fake server of the test's own (port 0): nothing of it outlives the test, and no
    worker of an earlier test can still be polling it."""
    with FakeServer() as fake:
        admin = Server(fake)
        yield admin
        admin.http.close()


class Script:
    """A Python script running as its own process group, output captured to files."""

    def __init__(self, process: subprocess.Popen[bytes], out: Path, err: Path) -> None:
        self.process = process
        self.out = out
        self.err = err

    @property
    def pid(self) -> int:
        return self.process.pid

    def stdout(self) -> str:
        return self.out.read_text(errors="replace")

    def stderr(self) -> str:
        return self.err.read_text(errors="replace")

    def worker_pids(self) -> list[int]:
        """The worker processes: the script's descendants, less multiprocessing's helpers (the
        fork server, whose children the workers are under forkserver, and resource tracker)."""
        import psutil

        try:
            script = psutil.Process(self.pid)
            descendants = script.children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        helpers = {"multiprocessing.forkserver", "multiprocessing.resource_tracker"}
        pids = []
        for process in descendants:
            command = " ".join(_cmdline(process))
            is_helper = any(helper in command for helper in helpers)
            if is_helper and _parent_pid(process) == self.pid:
                continue  # a helper started by the script itself
            if "resource_tracker" in command:
                continue
            pids.append(process.pid)
        return pids

    def signal_group(self, signum: int) -> None:
        """Like Ctrl-C in a terminal: the signal goes to the script and its workers."""
        os.killpg(self.pid, signum)

    def wait(self, timeout: float = 30.0) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"script still running after {timeout}s; stderr:\n{self.stderr()[-3000:]}")

    def kill(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(self.pid, signal.SIGTERM)
                self.process.wait(20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)  # anything left in the group
        self.process.wait(5)


def _parent_pid(process: Any) -> int | None:
    try:
        return process.ppid()
    except Exception:  # it may have ended meanwhile
        return None


def _cmdline(process: Any) -> list[str]:
    try:
        return process.cmdline()
    except Exception:  # it may have ended meanwhile
        return []


@pytest.fixture
def no_network_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy or CA bundle from the developer's environment (or this machine's)."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)


@pytest.fixture
def run_script(tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """``run_script(path, *args, cwd=None, env=None)`` starts a script; stopped after the test."""
    scripts: list[Script] = []

    def start(path: Path, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None):
        name = f"{len(scripts)}-{path.stem}"
        out, err = tmp_path / f"{name}.out", tmp_path / f"{name}.err"
        environment = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        with out.open("wb") as stdout, err.open("wb") as stderr:
            process = subprocess.Popen(
                [sys.executable, str(path), *args],
                cwd=cwd or path.parent,
                env=environment,
                stdout=stdout,
                stderr=stderr,
                start_new_session=True,
            )
        script = Script(process, out, err)
        scripts.append(script)
        return script

    yield start
    for script in scripts:
        script.kill()
