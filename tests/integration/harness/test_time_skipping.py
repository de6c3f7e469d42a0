"""Time skipping with real worker processes: retries, callbacks and WAITs of hours or days pass
in seconds, while a task that is running keeps real time. No test here waits in real time for
a server timer."""

from __future__ import annotations

import time
from itertools import pairwise

import pytest

from conductor.client.context.task_context import get_task_context
from conductor.client.worker.worker import Worker
from harness.admin import AdminError
from harness.server import ServerHandle
from harness.waiting import WaitTimeout, wait_until
from harness.workers import run_workers
from tests.paths import REPO

EXAMPLE = REPO / "examples" / "testing" / "test_time_skipping.py"
HOUR = 3600
DAY = 86400


def fails_the_first_attempts(task_input: dict) -> dict:
    if get_task_context().retry_count < task_input.get("failures", 1):
        raise RuntimeError(f"attempt {get_task_context().retry_count} fails")
    return {"attempts": get_task_context().retry_count + 1}


def echo(task_input: dict) -> dict:
    return dict(task_input)


def sleeps(task_input: dict) -> dict:
    time.sleep(task_input["seconds"])
    return {"slept": task_input["seconds"]}


def wait_until_polled(admin, *task_types: str) -> None:
    wait_until(
        lambda: all(admin.poll_data(task_type) for task_type in task_types),
        timeout=30,
        message=f"workers of {task_types} to poll",
    )


@pytest.mark.parametrize("mode", ["thread", "subprocess"])
def test_exponential_backoff_retries_pass_in_seconds(mode):
    task_def = {
        "name": "backoff",
        "retryCount": 3,
        "retryLogic": "EXPONENTIAL_BACKOFF",
        "retryDelaySeconds": 600,
    }
    with ServerHandle(mode=mode, time_skipping=True) as server:
        admin = server.admin
        admin.register_task_defs([task_def])
        [task_id] = admin.enqueue("backoff", input={"failures": 3})
        with run_workers([Worker("backoff", fails_the_first_attempts)], server.url) as running:
            stats = running.drain(timeout=30)

        attempts = sorted(
            (t for t in admin.state()["tasks"] if t["taskType"] == "backoff"),
            key=lambda t: t["retryCount"],
        )
        assert [t["status"] for t in attempts] == ["FAILED", "FAILED", "FAILED", "COMPLETED"]
        assert attempts[0]["taskId"] == task_id
        # 600 s, then 1200 s, then 2400 s between the attempts, by the server's clock
        gaps = [b["startTime"] - a["endTime"] for a, b in pairwise(attempts)]
        assert [round(gap / 1000, -2) for gap in gaps] == [600, 1200, 2400]
        assert stats["timeSkipping"]["skips"] == 3
        assert stats["timeSkipping"]["skippedMs"] > 4200_000 - 60_000  # real time ran too


@pytest.mark.conductor_server(time_skipping=True)
def test_a_wait_of_days_between_two_worker_tasks(conductor_server, conductor_workers):
    admin = conductor_server.admin
    admin.register_workflow(
        {
            "name": "ship_later",
            "version": 1,
            "tasks": [
                {"name": "pack", "taskReferenceName": "pack"},
                {
                    "name": "cool_off",
                    "taskReferenceName": "cool_off",
                    "type": "WAIT",
                    "inputParameters": {"duration": "3 days"},
                },
                {"name": "ship", "taskReferenceName": "ship"},
            ],
        }
    )
    conductor_workers(Worker("pack", echo), Worker("ship", echo))

    workflow = admin.wait_for_workflow(admin.start_workflow("ship_later"), timeout=30)

    tasks = {task["referenceTaskName"]: task for task in workflow["tasks"]}
    assert [task["status"] for task in workflow["tasks"]] == ["COMPLETED"] * 3
    cool_off = tasks["cool_off"]
    assert cool_off["endTime"] - cool_off["startTime"] >= 3 * DAY * 1000
    assert tasks["ship"]["startTime"] >= cool_off["endTime"]


@pytest.mark.conductor_server(time_skipping=True)
def test_a_running_task_keeps_real_time(conductor_server, conductor_workers):
    """While one worker sleeps, another's task fails with a retry an hour away: the clock does
    not jump until the sleeper reports, so its sleep lasts as long on the server as in real
    time."""
    admin = conductor_server.admin
    admin.register_task_defs([{"name": "flaky", "retryCount": 1, "retryDelaySeconds": HOUR}])
    conductor_workers(Worker("slow", sleeps), Worker("flaky", fails_the_first_attempts))
    wait_until_polled(admin, "slow", "flaky")

    [slow_id] = admin.enqueue("slow", input={"seconds": 2})
    [flaky_id] = admin.enqueue("flaky")
    stats = admin.wait_until_idle(timeout=30)  # nothing can jump before the sleep ends

    slow, flaky = admin.get_task(slow_id), admin.get_task(flaky_id)
    assert flaky["endTime"] < slow["endTime"], "the failure came while the sleeper worked"
    assert 2000 <= slow["endTime"] - slow["startTime"] < 30_000  # its sleep was not skipped
    retry = next(t for t in admin.state()["tasks"] if t.get("retriedTaskId") == flaky_id)
    assert retry["status"] == "COMPLETED"
    assert retry["startTime"] - flaky["endTime"] >= HOUR * 1000
    # the wait reports both clocks: an hour on the server's, seconds on this machine's (the
    # wait began a moment after the sleep did, so a little under its 2 s is fine)
    assert stats.server_seconds >= HOUR
    assert 1 <= stats.real_seconds < 30


@pytest.mark.conductor_server(time_skipping=True)
def test_switched_off_for_a_block_the_clock_waits(conductor_server, conductor_workers):
    admin = conductor_server.admin
    admin.register_task_defs([{"name": "flaky", "retryCount": 1, "retryDelaySeconds": HOUR}])
    conductor_workers(Worker("flaky", fails_the_first_attempts))

    with admin.time_skipping(False):
        [task_id] = admin.enqueue("flaky")
        wait_until(
            lambda: admin.get_task(task_id)["status"] == "FAILED",
            timeout=30,
            message="the first attempt to fail",
        )
        skipping = admin.clock()["timeSkipping"]
        assert (skipping["enabled"], skipping["skips"]) == (False, 0)
        assert "retry delay (3600 s)" in skipping["nextTimer"]["what"]

    stats = admin.wait_until_idle(timeout=30)  # on again: the retry comes at once
    assert stats["timeSkipping"]["enabled"] is True
    assert stats["timeSkipping"]["skips"] == 1
    assert stats["queues"]["flaky"]["completed"] == 1


def test_a_timeout_says_what_time_skipping_waits_for():
    with ServerHandle(time_skipping=True) as server:
        admin = server.admin
        admin.register_workflow(
            {"name": "nobody", "tasks": [{"name": "unpolled", "taskReferenceName": "u"}]}
        )
        workflow_id = admin.start_workflow("nobody")
        with pytest.raises(WaitTimeout) as raised:
            admin.wait_for_workflow(workflow_id, timeout=0.3)
    message = str(raised.value)
    assert "timed out after 0.3s" in message
    assert "the server's clock moved" in message
    assert "time skipping waits for: task" in message
    assert "ready to hand out in queue unpolled" in message


def test_the_shared_server_has_no_time_skipping_and_says_how_to_get_it(conductor_server):
    with pytest.raises(AdminError) as raised, conductor_server.admin.time_skipping():
        pass
    assert raised.value.status == 409
    assert "conductor_server(time_skipping=True)" in raised.value.body
    assert "timeSkipping" not in conductor_server.admin.clock()


def test_a_manual_clock_and_time_skipping_do_not_go_together():
    with pytest.raises(ValueError, match="manual_clock .* or time_skipping"):
        ServerHandle(manual_clock=True, time_skipping=True)
