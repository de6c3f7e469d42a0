"""A task that raises: one log record, the worker's own frames, the same text in the task logs."""

from __future__ import annotations

import logging

import pytest

from conductor.client.automator._task_execution import run_task
from conductor.client.http.models.task import Task
from conductor.client.worker.worker import Worker
from conductor.client.worker.worker_interface import WorkerInterface


def parse_amount(text: str) -> int:
    return int(text)


def charge(amount: str, currency: str = "EUR") -> dict[str, int]:
    return {"charged": parse_amount(amount)}


class ClassWorker(WorkerInterface):
    def execute(self, task: Task) -> object:
        raise KeyError("missing")


def task() -> Task:
    return Task(
        task_id="t-1", task_type="charge", workflow_instance_id="w-1", input_data={"amount": "ten"}
    )


@pytest.mark.parametrize(
    "worker, exc_type, frames",
    [
        (Worker("charge", charge), "ValueError", ["charge", "parse_amount"]),
        (ClassWorker("charge"), "KeyError", ["execute"]),
    ],
)
def test_one_record_whose_traceback_starts_in_the_worker(
    caplog: pytest.LogCaptureFixture, worker: WorkerInterface, exc_type: str, frames: list[str]
) -> None:
    with caplog.at_level(logging.DEBUG, logger="conductor.client"):
        result, error = run_task(worker, task(), "me")
    assert result.status == "FAILED" and type(error).__name__ == exc_type
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(records) == 1
    record = records[0]
    first_line = record.getMessage().splitlines()[0]
    assert first_line.startswith(f"Task t-1 (charge) failed: {exc_type}")
    text = logging.Formatter().format(record)
    trace = text[text.index("Traceback") :]
    assert "conductor/client" not in trace
    assert [name for name in frames if f"in {name}\n" in trace] == frames
    # The task's logs on the server get the same traceback text.
    assert result.logs[-1].log == trace
