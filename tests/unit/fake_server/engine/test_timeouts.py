"""responseTimeoutSeconds, timeoutSeconds and pollTimeoutSeconds, with each timeoutPolicy."""

import pytest

from fake_server.engine import Engine
from tests.unit.fake_server.helpers import sequence, start, statuses


def test_response_timeout_times_out_and_retries(engine, clock, worker):
    """Mirrors DeciderService.isResponseTimedOut: a task not updated within
    responseTimeoutSeconds is TIMED_OUT and retried."""
    engine.register_task_defs([{"name": "a", "responseTimeoutSeconds": 10, "retryDelaySeconds": 0}])
    workflow_id = start(engine, sequence("wf", "a"))
    task = worker.take("a")
    clock.advance_seconds(9)
    assert engine.get_task(task["taskId"])["status"] == "IN_PROGRESS"
    clock.advance_seconds(1)
    timed_out = engine.get_task(task["taskId"])
    assert timed_out["status"] == "TIMED_OUT"
    assert timed_out["reasonForIncompletion"].startswith(
        f"responseTimeout: 10 exceeded for the taskId: {task['taskId']}"
    )
    assert worker.take("a")["retriedTaskId"] == task["taskId"]
    assert engine.get_workflow(workflow_id)["status"] == "RUNNING"


def test_a_late_update_after_a_response_timeout_changes_nothing(engine, clock, worker):
    """Mirrors WorkflowExecutorOps.updateTask: the result of a task that timed out is ignored."""
    engine.register_task_defs([{"name": "a", "responseTimeoutSeconds": 10, "retryDelaySeconds": 0}])
    workflow_id = start(engine, sequence("wf", "a"))
    task = worker.take("a")
    clock.advance_seconds(10)
    worker.update(task, "COMPLETED")
    assert statuses(engine, workflow_id) == [("a", "TIMED_OUT"), ("a", "SCHEDULED")]


def test_extend_lease_and_in_progress_updates_keep_a_task_alive(engine, clock, worker):
    """Mirrors WorkflowExecutorOps.extendLease and DeciderService.isResponseTimedOut: each
    update restarts the response timeout."""
    engine.register_task_defs([{"name": "a", "responseTimeoutSeconds": 10}])
    start(engine, sequence("wf", "a"))
    task = worker.take("a")
    for _ in range(3):
        clock.advance_seconds(8)
        worker.update(task, None, extendLease=True)
    assert engine.get_task(task["taskId"])["status"] == "IN_PROGRESS"
    clock.advance_seconds(10)
    assert engine.get_task(task["taskId"])["status"] == "TIMED_OUT"


def test_response_timeouts_exhaust_retries_and_time_the_workflow_out(engine, clock, worker):
    """Mirrors DeciderService.retry: when a TIMED_OUT task has no retry left, the workflow times
    out."""
    engine.register_task_defs(
        [{"name": "a", "responseTimeoutSeconds": 5, "retryCount": 1, "retryDelaySeconds": 0}]
    )
    workflow_id = start(engine, sequence("wf", "a"))
    worker.take("a")
    clock.advance_seconds(5)
    retry = worker.take("a")
    clock.advance_seconds(5)
    workflow = engine.get_workflow(workflow_id)
    assert workflow["status"] == "TIMED_OUT"
    assert workflow["reasonForIncompletion"].startswith(
        f"Task {retry['taskId']} failed with status: TIMED_OUT and reason: 'responseTimeout: 5"
    )


def test_a_task_waiting_for_its_callback_does_not_time_out(engine, clock, worker):
    """Mirrors DeciderService.isResponseTimedOut: responseTimeoutSeconds plus
    callbackAfterSeconds."""
    engine.register_task_defs([{"name": "a", "responseTimeoutSeconds": 10}])
    start(engine, sequence("wf", "a"))
    task = worker.take("a")
    worker.update(task, "IN_PROGRESS", callbackAfterSeconds=60)
    clock.advance_seconds(59)
    assert engine.get_task(task["taskId"])["status"] == "SCHEDULED"
    clock.advance_seconds(1)
    assert worker.take("a")["taskId"] == task["taskId"]


TIMEOUT_DEF = {
    "name": "a",
    "timeoutSeconds": 30,
    "responseTimeoutSeconds": 20,
    "retryCount": 1,
    "retryDelaySeconds": 0,
}


def keep_alive_until_timeout(clock, worker, task, seconds):
    """Report progress every 10 s so only timeoutSeconds can end the task."""
    for _ in range(seconds // 10):
        clock.advance_seconds(10)
        worker.update(task, None, extendLease=True)


def test_timeout_seconds_retry_policy(engine, clock, worker):
    """Mirrors DeciderService.checkTaskTimeout with RETRY."""
    engine.register_task_defs([{**TIMEOUT_DEF, "timeoutPolicy": "RETRY"}])
    workflow_id = start(engine, sequence("wf", "a"))
    task = worker.take("a")
    keep_alive_until_timeout(clock, worker, task, 20)
    assert engine.get_task(task["taskId"])["status"] == "IN_PROGRESS"
    clock.advance_seconds(10)
    timed_out = engine.get_task(task["taskId"])
    assert timed_out["status"] == "TIMED_OUT"
    assert timed_out["reasonForIncompletion"] == (
        "Task timed out after 30 seconds. Timeout configured as 30 seconds. "
        "Timeout policy configured to RETRY"
    )
    assert worker.take("a")["retryCount"] == 1
    assert engine.get_workflow(workflow_id)["status"] == "RUNNING"


def test_timeout_seconds_time_out_wf_policy(engine, clock, worker):
    """Mirrors DeciderService.checkTaskTimeout with TIME_OUT_WF."""
    engine.register_task_defs([{**TIMEOUT_DEF, "timeoutPolicy": "TIME_OUT_WF"}])
    workflow_id = start(engine, sequence("wf", "a", "b"))
    task = worker.take("a")
    keep_alive_until_timeout(clock, worker, task, 20)
    clock.advance_seconds(10)
    workflow = engine.get_workflow(workflow_id)
    assert workflow["status"] == "TIMED_OUT"
    # DeciderService.timeoutTaskWithTimeoutPolicy: the timeout's own words end the workflow.
    assert workflow["reasonForIncompletion"] == (
        "Task timed out after 30 seconds. Timeout configured as 30 seconds. "
        "Timeout policy configured to TIME_OUT_WF"
    )
    assert worker.poll("a") is None  # no retry


def test_timeout_seconds_alert_only_policy(engine, clock, worker, caplog):
    """Mirrors DeciderService.checkTaskTimeout with ALERT_ONLY."""
    engine.register_task_defs([{**TIMEOUT_DEF, "timeoutPolicy": "ALERT_ONLY"}])
    workflow_id = start(engine, sequence("wf", "a"))
    task = worker.take("a")
    keep_alive_until_timeout(clock, worker, task, 40)
    assert engine.get_task(task["taskId"])["status"] == "IN_PROGRESS"
    assert caplog.text.count("Task timed out after") == 1  # alerted once
    worker.update(task, "COMPLETED")
    assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"


def test_timeout_seconds_counts_from_the_first_start(engine, clock, worker):
    """Mirrors DeciderService.checkTaskTimeout: timeoutSeconds counts from the task's start,
    callbacks included."""
    engine.register_task_defs([{**TIMEOUT_DEF, "timeoutPolicy": "RETRY"}])
    start(engine, sequence("wf", "a"))
    task = worker.take("a")
    clock.advance_seconds(15)
    worker.update(task, "IN_PROGRESS", callbackAfterSeconds=5)
    clock.advance_seconds(5)
    worker.take("a")
    clock.advance_seconds(10)
    assert engine.get_task(task["taskId"])["status"] == "TIMED_OUT"


@pytest.mark.parametrize("policy", ["RETRY", "TIME_OUT_WF", "ALERT_ONLY"])
def test_poll_timeout(engine, clock, worker, policy, caplog):
    """Mirrors DeciderService.checkTaskPollTimeout with each timeoutPolicy."""
    engine.register_task_defs(
        [{"name": "a", "pollTimeoutSeconds": 20, "retryDelaySeconds": 0, "timeoutPolicy": policy}]
    )
    workflow_id = start(engine, sequence("wf", "a"))
    clock.advance_seconds(19)
    assert statuses(engine, workflow_id) == [("a", "SCHEDULED")]
    clock.advance_seconds(1)
    expected = {
        "RETRY": ("RUNNING", [("a", "TIMED_OUT"), ("a", "SCHEDULED")]),
        "TIME_OUT_WF": ("TIMED_OUT", [("a", "TIMED_OUT")]),
        "ALERT_ONLY": ("RUNNING", [("a", "SCHEDULED")]),
    }[policy]
    assert (engine.get_workflow(workflow_id)["status"], statuses(engine, workflow_id)) == expected
    if policy == "ALERT_ONLY":
        assert "Task poll timed out after 20 seconds" in caplog.text
    if policy == "TIME_OUT_WF":
        assert (
            "Task poll timed out after 20 seconds"
            in (engine.get_workflow(workflow_id)["reasonForIncompletion"])
        )
        assert engine.queue_sizes(["a"]) == {"a": 0}


def test_poll_timeout_of_a_retry_counts_its_delay_twice(engine, clock, worker):
    """Mirrors DeciderService.checkTaskPollTimeout: from scheduledTime plus startDelayInSeconds,
    with callbackAfterSeconds as slack; a retry carries its delay in both."""
    engine.register_task_defs(
        [
            {
                "name": "a",
                "pollTimeoutSeconds": 20,
                "retryDelaySeconds": 30,
                "timeoutPolicy": "TIME_OUT_WF",
            }
        ]
    )
    workflow_id = start(engine, sequence("wf", "a"))
    worker.update(worker.take("a"), "FAILED")
    clock.advance_seconds(79)  # 30 s delay + 20 s poll timeout + 30 s callback
    assert engine.get_workflow(workflow_id)["status"] == "RUNNING"
    clock.advance_seconds(1)
    assert engine.get_workflow(workflow_id)["status"] == "TIMED_OUT"


def test_poll_timeout_counts_from_when_the_task_was_scheduled(engine, clock, worker):
    """Mirrors DeciderService.checkTaskPollTimeout: calling back does not restart the count;
    the callback only adds slack, so a task that keeps calling back poll-times-out."""
    engine.register_task_defs(
        [{"name": "a", "pollTimeoutSeconds": 20, "timeoutPolicy": "TIME_OUT_WF"}]
    )
    workflow_id = start(engine, sequence("wf", "a"))
    for _ in range(2):
        clock.advance_seconds(9)
        worker.update(worker.take("a"), "IN_PROGRESS", callbackAfterSeconds=5)
    clock.advance_seconds(5)  # polled again at 23 s: 23 < 20 + 5
    worker.update(worker.take("a"), "IN_PROGRESS", callbackAfterSeconds=5)
    clock.advance_seconds(1)  # 24 s: still within 20 + 5
    assert engine.get_workflow(workflow_id)["status"] == "RUNNING"
    clock.advance_seconds(1)  # 25 s, never polled since 23 s: out of time
    workflow = engine.get_workflow(workflow_id)
    assert workflow["status"] == "TIMED_OUT"
    assert workflow["reasonForIncompletion"].startswith("Task poll timed out after 25 seconds")


def test_time_out_wf_ends_the_workflow_even_for_an_optional_task(engine, clock, worker):
    """Mirrors DeciderService.timeoutTaskWithTimeoutPolicy: TIME_OUT_WF throws before the
    optional flag is ever looked at."""
    engine.register_task_defs([{**TIMEOUT_DEF, "timeoutPolicy": "TIME_OUT_WF"}])
    definition = {
        "name": "wf",
        "tasks": [
            {"name": "a", "taskReferenceName": "a", "optional": True},
            {"name": "b", "taskReferenceName": "b"},
        ],
    }
    workflow_id = start(engine, definition)
    task = worker.take("a")
    keep_alive_until_timeout(clock, worker, task, 20)
    clock.advance_seconds(10)
    assert engine.get_workflow(workflow_id)["status"] == "TIMED_OUT"
    assert statuses(engine, workflow_id) == [("a", "TIMED_OUT")]


def test_a_retry_carries_the_reason_and_its_delay(engine, worker):
    """Mirrors DeciderService.retry: the new attempt keeps reasonForIncompletion and shows the
    delay as startDelayInSeconds and callbackAfterSeconds."""
    engine.register_task_defs([{"name": "a", "retryDelaySeconds": 7}])
    start(engine, sequence("wf", "a"))
    worker.update(worker.take("a"), "FAILED", reasonForIncompletion="disk full")
    queued = engine.snapshot()["tasks"][-1]
    assert (queued["reasonForIncompletion"], queued["startDelayInSeconds"]) == ("disk full", 7)
    assert queued["callbackAfterSeconds"] == 7


class SilentClock:
    """A clock that moves without telling anyone, as the wall clock does."""

    is_manual = False

    def __init__(self):
        self.now = 1_000_000

    def now_ms(self):
        return self.now

    def subscribe(self, listener):
        pass

    def unsubscribe(self, listener):
        pass


def test_timeouts_fire_on_the_next_call_when_time_moved_silently():
    """The fake's own timers, where Conductor's WorkflowSweeper looks at workflows again on its
    own: a timeout that came due fires at the next call."""
    clock = SilentClock()
    engine = Engine(clock)
    engine.register_task_defs([{"name": "a", "responseTimeoutSeconds": 1, "retryDelaySeconds": 0}])
    engine.enqueue_tasks("a", 1)
    task = engine.poll("a", "w")
    clock.now += 1000
    engine.tick()
    assert engine.get_task(task["taskId"])["status"] == "TIMED_OUT"
    assert engine.queue_sizes(["a"]) == {"a": 1}  # its retry


def test_a_silent_worker_times_out_after_an_alert_only_timeout(engine, clock, worker, caplog):
    """Mirrors DeciderService.decide: checkTaskTimeout (ALERT_ONLY: a log line) and
    isResponseTimedOut are checked one after the other, so once timeoutSeconds has passed a
    worker that stops reporting still times out by responseTimeoutSeconds and is retried."""
    engine.register_task_defs(
        [
            {
                "name": "a",
                "timeoutSeconds": 10,
                "timeoutPolicy": "ALERT_ONLY",
                "responseTimeoutSeconds": 5,
                "retryCount": 1,
                "retryDelaySeconds": 0,
            }
        ]
    )
    workflow_id = start(engine, sequence("wf", "a"))
    task = worker.take("a")
    for _ in range(2):
        clock.advance_seconds(4)
        worker.update(task, None, extendLease=True)
    clock.advance_seconds(3)  # 11 s: timeoutSeconds has passed, only logged
    assert "Timeout policy configured to ALERT_ONLY" in caplog.text
    assert statuses(engine, workflow_id) == [("a", "IN_PROGRESS")]
    clock.advance_seconds(2)  # 5 s since the worker's last word
    assert statuses(engine, workflow_id) == [("a", "TIMED_OUT"), ("a", "SCHEDULED")]


def test_a_response_timeout_of_zero_is_none(engine, clock, worker):
    """Mirrors DeciderService.isResponseTimedOut: responseTimeoutSeconds 0 (what an ad-hoc
    definition of a task that is not SIMPLE has) never times a task out."""
    definition = {
        "name": "wf",
        "tasks": [
            {
                "name": "custom",
                "taskReferenceName": "custom",
                "type": "DYNAMIC",
                "dynamicTaskNameParam": "t",
                "inputParameters": {"t": "a"},
            }
        ],
    }
    workflow_id = start(engine, definition)
    worker.take("a")
    clock.advance_seconds(7200)
    assert statuses(engine, workflow_id) == [("custom", "IN_PROGRESS")]
