"""The chaos suite's fixtures (a fake server through the harness, the execution log) and its
checks made from the server's state. The test module imports the fixtures by name:
a ``conftest`` here would shadow the one other test folders import from."""

from __future__ import annotations

import collections
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.server import ServerHandle
from harness.waiting import wait_until

TASK = "chaos"


@pytest.fixture(name="server")
def server_fixture() -> Iterator[ServerHandle]:
    with ServerHandle() as handle:
        yield handle


class Executions:
    """The chaos worker's execution log: which task ran in which process, in order."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def rows(self) -> list[tuple[str, int]]:
        if not self.path.exists():
            return []
        rows = []
        for line in self.path.read_text().splitlines():
            task_id, pid = line.split()
            rows.append((task_id, int(pid)))
        return rows

    def counts(self) -> collections.Counter[str]:
        return collections.Counter(task_id for task_id, _ in self.rows())

    def pids_of(self, task_id: str) -> list[int]:
        return [pid for tid, pid in self.rows() if tid == task_id]


@pytest.fixture(name="executions")
def executions_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Executions:
    path = tmp_path / "executions.log"
    monkeypatch.setenv("CHAOS_EXECUTIONS", str(path))  # worker processes inherit it
    return Executions(path)


def register(server: ServerHandle, *, response_timeout: int = 600, retries: int = 0) -> None:
    server.admin.register_task_defs(
        [
            {
                "name": TASK,
                "responseTimeoutSeconds": response_timeout,
                "timeoutSeconds": 0,
                "retryCount": retries,
                "retryLogic": "FIXED",
                "retryDelaySeconds": 0,
            }
        ]
    )


def enqueue(server: ServerHandle, count: int, **inputs: Any) -> dict[str, int]:
    """Schedules ``count`` tasks; returns task id -> its ``n``."""
    ids = {}
    for n in range(count):
        [task_id] = server.admin.enqueue(TASK, input={"n": n, **inputs})
        ids[task_id] = n
    return ids


def chaos_tasks(server: ServerHandle) -> list[dict[str, Any]]:
    """Every task of the chaos type on the server, retries included."""
    return [t for t in server.admin.state()["tasks"] if t["taskType"] == TASK]


def completed(server: ServerHandle, ids: dict[str, int]) -> int:
    """How many of the scheduled inputs have a COMPLETED task (the original or a retry)."""
    wanted = set(ids.values())
    done = {t["inputData"]["n"] for t in chaos_tasks(server) if t["status"] == "COMPLETED"}
    return len(done & wanted)


def wait_all_completed(server: ServerHandle, ids: dict[str, int], timeout: float) -> None:
    """Every input completed exactly once, with the output it asks for; nothing scheduled or
    in progress is left."""
    wait_until(
        lambda: completed(server, ids) == len(ids),
        timeout=timeout,
        message=lambda: f"all {len(ids)} tasks to complete ({completed(server, ids)} did)",
    )
    tasks = chaos_tasks(server)
    done = [t for t in tasks if t["status"] == "COMPLETED"]
    assert sorted(t["inputData"]["n"] for t in done) == sorted(ids.values())
    for task in done:
        assert task["outputData"] == {"doubled": 2 * task["inputData"]["n"]}, task
    left = [t for t in tasks if t["status"] in ("SCHEDULED", "IN_PROGRESS")]
    assert left == []
    server.check()
