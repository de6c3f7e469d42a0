"""What the worker processes print and log during a test is in the report of a test that fails,
as a section of its own, under every start method; a passing test's report has none of it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

AUTHOR_TESTS = """
import logging
import multiprocessing

from conductor.client.worker.worker import Worker

multiprocessing.set_start_method({method!r}, force=True)


def charge(card: str):
    print(f"charging {{card}}")
    logging.getLogger("payments").warning("the bank is slow today")
    raise ValueError(f"card declined {{card}}")


def refund(card: str):
    print(f"refunding {{card}}")
    return {{"refunded": card}}


def test_a_declined_card(conductor_server, conductor_workers):
    admin = conductor_server.admin
    admin.register_task_defs([{{"name": "charge", "retryCount": 0}}])
    inputs = {{"card": "${{workflow.input.card}}"}}
    admin.register_workflow({{"name": "pay", "tasks": [
        {{"name": "charge", "taskReferenceName": "charge", "inputParameters": inputs}}]}})
    conductor_workers(Worker("charge", charge))
    workflow_id = admin.start_workflow("pay", {{"card": "4242"}})
    admin.wait_for_workflow(workflow_id, "COMPLETED", timeout=20)


def test_workers_that_print_in_a_passing_test(conductor_server, conductor_workers):
    conductor_server.admin.enqueue("refund", input={{"card": "1111"}})
    conductor_workers(Worker("refund", refund)).drain(timeout=20)
"""


@pytest.mark.parametrize(
    ("method", "options"),
    [("fork", ("-s",)), ("spawn", ()), ("forkserver", ())],
    ids=["fork-with-s", "spawn", "forkserver"],
)
def test_a_failed_tests_report_shows_what_its_workers_printed_and_logged(
    tmp_path: Path, run_pytest, method: str, options: tuple[str, ...]
):
    (tmp_path / "test_payments.py").write_text(AUTHOR_TESTS.format(method=method))

    run = run_pytest(tmp_path, *options, timeout=120)

    assert "1 failed, 1 passed" in run.stdout, run.stdout + run.stderr
    [section] = run.stdout.split("Captured worker log call")[1:]
    section = section.split("short test summary info")[0]
    assert "charging 4242" in section
    assert "the bank is slow today" in section
    # the traceback the SDK logs, down to the worker's own line
    assert 'raise ValueError(f"card declined {card}")' in section
    assert "ValueError: card declined 4242" in section
    # the first lines of the failure are the test's: the harness's frames are hidden
    assert "harness/admin.py" not in run.stdout and "harness/waiting.py" not in run.stdout
    # the passing test's workers printed too, but its report shows nothing
    assert "refunding 1111" not in run.stdout


def test_each_test_shows_its_own_workers_only(tmp_path: Path, run_pytest):
    (tmp_path / "test_two_failures.py").write_text(
        textwrap.dedent(
            """
            from conductor.client.worker.worker import Worker

            def shout(word: str):
                print(f"worker saw {word}")
                return {"word": word}

            def run_one(conductor_server, conductor_workers, word):
                conductor_server.admin.enqueue("shout", input={"word": word})
                conductor_workers(Worker("shout", shout)).drain(timeout=20)
                raise AssertionError(f"failing on purpose after {word}")

            def test_first(conductor_server, conductor_workers):
                run_one(conductor_server, conductor_workers, "alpha")

            def test_second(conductor_server, conductor_workers):
                run_one(conductor_server, conductor_workers, "beta")
            """
        )
    )

    run = run_pytest(tmp_path, timeout=120)

    assert "2 failed" in run.stdout, run.stdout + run.stderr
    first, second = run.stdout.split("Captured worker log call")[1:]
    assert "worker saw alpha" in first and "worker saw beta" not in first
    assert "worker saw beta" in second and "worker saw alpha" not in second
