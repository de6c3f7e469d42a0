"""docs/testing.md's commands that show what worker processes logged under pytest, run as the
page shows them on a test whose worker logs a line and raises."""

from __future__ import annotations

import re
import shlex
import textwrap
from pathlib import Path

import pytest

from tests.paths import REPO

TESTING_PAGE = REPO / "docs" / "testing.md"

FAILING_TEST = """
    import logging

    from conductor.client.worker.worker import Worker


    def charge(card: str) -> dict:
        logging.getLogger("payments").warning("charging card %s", card)
        raise ValueError(f"card declined {card}")


    def test_charge(conductor_server, conductor_workers):
        admin = conductor_server.admin
        admin.register_task_defs([{"name": "charge", "retryCount": 0}])
        [task_id] = admin.enqueue("charge", input={"card": "4242"})
        conductor_workers(Worker("charge", charge)).drain(timeout=20)
        assert admin.get_task(task_id)["status"] == "COMPLETED"
"""


def shown_commands() -> list[list[str]]:
    """The pytest command lines of the page's block about worker logs, without comments."""
    [block] = [
        block
        for block in re.findall(r"^```shell\n(.*?)^```", TESTING_PAGE.read_text(), re.S | re.M)
        if "Captured worker log call" in block
    ]
    return [shlex.split(line, comments=True) for line in block.splitlines() if line.strip()]


@pytest.mark.parametrize("command", shown_commands(), ids=lambda c: " ".join(c[3:]))
def test_each_command_shows_the_workers_records(tmp_path: Path, run_pytest, command) -> None:
    assert command[:3] == ["python", "-m", "pytest"]
    (tmp_path / "test_payments.py").write_text(textwrap.dedent(FAILING_TEST))
    run = run_pytest(tmp_path, *command[3:])
    assert "1 failed" in run.stdout, run.stdout + run.stderr
    [section] = run.stdout.split("Captured worker log call")[1:]
    assert "charging card 4242" in section  # the worker's own record
    assert "ValueError: card declined 4242" in section  # the SDK's record of the failure
