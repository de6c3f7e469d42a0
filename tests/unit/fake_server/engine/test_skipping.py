"""The time-skipping rule: whenever nothing is under way (no task held by a worker, no task ready
to hand out) and a timer is pending, the clock jumps to the earliest timer and fires it.

"Real time" here is a manual clock under the skipping clock: it moves only when a test says so,
so every jump the tests see is one the engine made.

The fake server's own feature: these tests mirror no Conductor class (the timers they skip
do, as the engine tests of timeouts, retries and waits show).
"""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from fake_server import ManualClock, SkippingClock
from fake_server.engine import Engine
from fake_server.engine.errors import ConflictError
from tests.unit.fake_server.helpers import Worker, sequence, start, statuses
from tests.unit.fake_server.system_task_helpers import simple, system, workflow

HOUR = 3600_000


@pytest.fixture
def real_time() -> ManualClock:
    return ManualClock()


@pytest.fixture
def clock(real_time: ManualClock) -> SkippingClock:
    return SkippingClock(base=real_time)


@pytest.fixture
def engine(clock: SkippingClock):
    engine = Engine(clock)
    yield engine
    engine.close()


@pytest.fixture
def worker(engine: Engine) -> Worker:
    return Worker(engine)


def skipped_ms(engine: Engine) -> int:
    state = engine.time_skipping()
    assert state is not None, "time skipping is off"
    return int(state["skippedMs"])


def retried_once_after(engine: Engine, name: str, delay_seconds: int) -> None:
    engine.register_task_defs(
        [{"name": name, "retryCount": 1, "retryLogic": "FIXED", "retryDelaySeconds": delay_seconds}]
    )


# -- what triggers a jump ----------------------------------------------------------------------
def test_a_retry_delay_is_skipped_and_the_retry_is_ready_at_once(engine, clock, worker):
    retried_once_after(engine, "charge", 3600)
    workflow_id = start(engine, sequence("pay", "charge"))
    started = clock.now_ms()
    worker.update(worker.take("charge"), "FAILED", reasonForIncompletion="bank down")

    retry = worker.take("charge")  # no waiting: the clock is an hour on already
    assert retry["retryCount"] == 1
    assert clock.now_ms() - started == HOUR
    worker.update(retry, "COMPLETED")
    assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"
    skipping = engine.time_skipping()
    assert (skipping["skips"], skipping["skippedMs"]) == (1, HOUR)
    assert "retry delay (3600 s)" in skipping["lastSkip"]["reason"]


def test_a_callback_after_seconds_is_skipped(engine, clock, worker):
    engine.enqueue_tasks("report")
    task = worker.take("report")
    worker.update(task, "IN_PROGRESS", callbackAfterSeconds=86400)

    again = worker.take("report")
    assert again["pollCount"] == 2
    assert skipped_ms(engine) == 86400_000
    assert "callback (86400 s)" in engine.time_skipping()["lastSkip"]["reason"]


def test_a_start_delay_is_skipped(engine, clock, worker):
    definition = workflow("w", simple("later", startDelay=600))
    start(engine, definition)
    assert worker.take("later")["startDelayInSeconds"] == 600
    assert skipped_ms(engine) == 600_000


def test_a_rate_limit_push_back_is_skipped(engine, worker):
    engine.register_task_defs(
        [{"name": "a", "rateLimitPerFrequency": 1, "rateLimitFrequencyInSeconds": 10}]
    )
    engine.enqueue_tasks("a", 2)
    [first] = engine.batch_poll("a", "w", count=2)  # the second goes back for 60 s
    assert skipped_ms(engine) == 0  # the first is held by a worker
    worker.update(first, "COMPLETED")

    assert len(engine.batch_poll("a", "w", count=2)) == 1
    assert skipped_ms(engine) == 60_000
    assert "rateLimitPerFrequency push-back" in engine.time_skipping()["lastSkip"]["reason"]


def test_a_wait_of_days_is_skipped(engine, worker):
    workflow_id = start(
        engine,
        workflow("w", system("WAIT", "pause", inputParameters={"duration": "2 days"}), simple("b")),
    )
    assert statuses(engine, workflow_id) == [("pause", "COMPLETED"), ("b", "SCHEDULED")]
    assert skipped_ms(engine) == 2 * 86400_000
    assert "WAIT task pause" in engine.time_skipping()["lastSkip"]["reason"]


def test_a_wait_until_a_date_is_skipped(engine, clock):
    # The manual clock starts at 2023-11-14T22:13:20Z.
    pause = system("WAIT", "pause", inputParameters={"until": "2023-12-25 08:00 UTC"})
    workflow_id = start(engine, workflow("w", pause))
    assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"
    assert clock.now_ms() == 1_703_491_200_000


def test_long_polls_waiting_at_the_jump_receive_the_task_at_once(engine, worker):
    retried_once_after(engine, "charge", 3600)
    engine.enqueue_tasks("charge")
    task = worker.take("charge")
    with ThreadPoolExecutor(max_workers=1) as pool:
        waiting = pool.submit(engine.batch_poll, "charge", "w2", count=1, timeout_ms=5000)
        give_up = time.monotonic() + 5
        while not any(p.get("workerId") == "w2" for p in engine.all_poll_data()):
            assert time.monotonic() < give_up, "the long poll never started"
            time.sleep(0.001)
        began = time.monotonic()
        worker.update(task, "FAILED")
        received = waiting.result(timeout=5)

    assert time.monotonic() - began < 1  # far from the long poll's 5 s
    assert [t["retryCount"] for t in received] == [1]


# -- what blocks a jump --------------------------------------------------------------------------
def test_a_task_held_by_a_worker_keeps_real_time(engine, clock, real_time, worker):
    retried_once_after(engine, "charge", 3600)
    engine.enqueue_tasks("charge")
    engine.enqueue_tasks("ship")
    held = worker.take("ship")
    worker.update(worker.take("charge"), "FAILED")

    assert skipped_ms(engine) == 0
    assert "in progress with workers" in engine.time_skipping()["underWay"]
    real_time.advance_seconds(5)  # the worker works in real time
    assert engine.poll("charge") is None
    worker.update(held, "COMPLETED")
    assert worker.take("charge")["retryCount"] == 1
    assert skipped_ms(engine) == HOUR - 5000


def test_a_task_ready_to_hand_out_blocks_the_jump(engine, worker):
    retried_once_after(engine, "charge", 3600)
    engine.enqueue_tasks("charge")
    worker.update(worker.take("charge"), "FAILED")  # jumps: nothing else to do
    assert skipped_ms(engine) == HOUR
    engine.enqueue_tasks("nobody_polls_this")
    worker.update(worker.take("charge"), "IN_PROGRESS", callbackAfterSeconds=60)

    assert skipped_ms(engine) == HOUR  # a worker is about to get the ready task
    assert "ready to hand out in queue nobody_polls_this" in engine.time_skipping()["underWay"]
    worker.take("nobody_polls_this")
    assert skipped_ms(engine) == HOUR  # held now
    assert engine.time_skipping()["nextTimer"]["dueTime"] == engine.now_ms() + 60_000


def test_the_response_timeout_of_a_running_task_is_skipped_only_on_request(
    engine, clock, real_time, worker
):
    engine.register_task_defs([{"name": "slow", "responseTimeoutSeconds": 60, "retryCount": 0}])
    engine.enqueue_tasks("slow")
    task = worker.take("slow")
    assert skipped_ms(engine) == 0
    real_time.advance_seconds(30)
    assert engine.get_task(task["taskId"])["status"] == "IN_PROGRESS"

    engine.advance_clock(30_000)  # the test skips explicitly
    assert engine.get_task(task["taskId"])["status"] == "TIMED_OUT"
    skipping = engine.time_skipping()
    assert (skipping["skips"], skipping["skippedMs"]) == (1, 30_000)
    assert skipping["lastSkip"]["reason"] == "requested by a test"


def test_switched_off_it_waits_and_switched_on_it_jumps_at_once(engine, clock, worker):
    retried_once_after(engine, "charge", 3600)
    engine.enqueue_tasks("charge")
    assert engine.set_time_skipping(False) is True
    worker.update(worker.take("charge"), "FAILED")
    assert engine.poll("charge") is None
    assert engine.time_skipping()["enabled"] is False

    assert engine.set_time_skipping(True) is False
    assert worker.take("charge")["retryCount"] == 1
    assert skipped_ms(engine) == HOUR


def test_nothing_left_to_wait_for_is_no_jump(engine, clock, worker):
    """A finished task leaves its response timeout on the deadline heap: it is not a timer."""
    engine.register_task_defs([{"name": "a", "responseTimeoutSeconds": 600, "timeoutSeconds": 900}])
    workflow_id = start(engine, sequence("w", "a"))
    worker.update(worker.take("a"), "COMPLETED")
    assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"
    assert engine.time_skipping()["nextTimer"] is None
    assert skipped_ms(engine) == 0


def test_a_human_task_waits_for_its_update_in_real_time(engine):
    workflow_id = start(engine, workflow("w", system("HUMAN", "approve")))
    skipping = engine.time_skipping()
    assert (skipping["underWay"], skipping["nextTimer"], skipping["skips"]) == (None, None, 0)
    assert engine.get_workflow(workflow_id)["status"] == "RUNNING"


# -- several timers ------------------------------------------------------------------------------
def test_several_timers_fire_in_order_one_jump_each(engine, clock, worker):
    retried_once_after(engine, "charge", 3600)
    engine.register_task_defs([{"name": "report"}])
    started = clock.now_ms()
    charge_workflow = start(engine, sequence("pay", "charge"))
    report_workflow = start(engine, sequence("report", "report"))
    pause = system("WAIT", "pause", inputParameters={"duration": "2 hours"})
    wait_workflow = start(engine, workflow("wait", pause))
    worker.update(worker.take("report"), "IN_PROGRESS", callbackAfterSeconds=1800)
    worker.update(worker.take("charge"), "FAILED")

    # 30 min: the callback. The report task is ready again: no jump until it is handled.
    assert clock.now_ms() - started == 1800_000
    assert engine.get_workflow(wait_workflow)["status"] == "RUNNING"
    worker.update(worker.take("report"), "COMPLETED")
    # 1 h: the retry delay.
    assert clock.now_ms() - started == HOUR
    worker.update(worker.take("charge"), "COMPLETED")
    # 2 h: the WAIT, with nothing left after it.
    assert clock.now_ms() - started == 2 * HOUR
    for workflow_id in (charge_workflow, report_workflow, wait_workflow):
        assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"
    assert engine.time_skipping()["skips"] == 3


def test_timers_due_at_the_same_time_fire_in_one_jump(engine, worker):
    retried_once_after(engine, "a", 60)
    retried_once_after(engine, "b", 60)
    engine.enqueue_tasks("a")
    engine.enqueue_tasks("b")
    first_a, first_b = worker.take("a"), worker.take("b")
    worker.update(first_a, "FAILED")
    worker.update(first_b, "FAILED")  # same clock reading: both retries due together
    assert worker.take("a")["retryCount"] == worker.take("b")["retryCount"] == 1
    assert engine.time_skipping()["skips"] == 1


# -- a jump that lands on a timeout --------------------------------------------------------------
def test_a_jump_lands_on_the_workflow_timeout_before_a_later_retry(engine, clock, worker):
    retried_once_after(engine, "charge", 7200)
    definition = sequence("pay", "charge", timeoutSeconds=3600, timeoutPolicy="TIME_OUT_WF")
    workflow_id = start(engine, definition)
    started = clock.now_ms()
    worker.update(worker.take("charge"), "FAILED")

    workflow_json = engine.get_workflow(workflow_id)
    assert workflow_json["status"] == "TIMED_OUT"
    assert clock.now_ms() - started == HOUR
    assert engine.poll("charge") is None  # the retry was canceled with its workflow
    assert engine.time_skipping()["skips"] == 1


def test_a_jump_lands_on_the_task_timeout_of_a_long_callback(engine, clock, worker):
    engine.register_task_defs(
        [
            {
                "name": "report",
                "timeoutSeconds": 3600,
                "responseTimeoutSeconds": 600,
                "timeoutPolicy": "TIME_OUT_WF",
            }
        ]
    )
    workflow_id = start(engine, sequence("w", "report"))
    task = worker.take("report")
    worker.update(task, "IN_PROGRESS", callbackAfterSeconds=86400)

    assert engine.get_task(task["taskId"])["status"] == "TIMED_OUT"
    assert engine.get_workflow(workflow_id)["status"] == "TIMED_OUT"
    assert skipped_ms(engine) == HOUR
    assert "timeoutSeconds of task report" in engine.time_skipping()["lastSkip"]["reason"]


def test_a_jump_lands_on_the_poll_timeout_of_a_pushed_back_task(engine, clock, worker):
    engine.register_task_defs(
        [{"name": "a", "concurrentExecLimit": 1, "pollTimeoutSeconds": 30, "retryCount": 0}]
    )
    first_id, second_id = engine.enqueue_tasks("a", 2)
    started = clock.now_ms()
    held = worker.take("a")
    assert engine.batch_poll("a", "w", count=1) == []  # the second is pushed back for 60 s
    worker.update(held, "COMPLETED")

    assert engine.get_task(second_id)["status"] == "TIMED_OUT"
    assert clock.now_ms() - started == 30_000
    assert "pollTimeoutSeconds of task a" in engine.time_skipping()["lastSkip"]["reason"]


def test_a_jump_lands_on_the_total_timeout_across_retry_delays(engine, clock, worker):
    task_def = {
        "name": "charge",
        "retryCount": 5,
        "retryDelaySeconds": 3600,
        "totalTimeoutSeconds": 5400,
        "timeoutPolicy": "TIME_OUT_WF",
    }
    engine.register_task_defs([task_def])
    workflow_id = start(engine, sequence("pay", "charge"))
    started = clock.now_ms()
    worker.update(worker.take("charge"), "FAILED")  # the retry comes an hour later
    worker.update(worker.take("charge"), "FAILED")  # the next would come after 2 h in all

    assert engine.get_workflow(workflow_id)["status"] == "TIMED_OUT"
    assert clock.now_ms() - started == 5400_000
    assert "totalTimeoutSeconds of task charge" in engine.time_skipping()["lastSkip"]["reason"]


def test_an_alert_only_workflow_timeout_is_a_stop_on_the_way(engine, clock, worker):
    retried_once_after(engine, "charge", 7200)
    workflow_id = start(engine, sequence("pay", "charge", timeoutSeconds=3600))
    started = clock.now_ms()
    worker.update(worker.take("charge"), "FAILED")

    assert worker.take("charge")["retryCount"] == 1
    assert clock.now_ms() - started == 2 * HOUR
    assert engine.get_workflow(workflow_id)["status"] == "RUNNING"  # alerted, not ended
    assert engine.time_skipping()["skips"] == 2


# -- state and reset ----------------------------------------------------------------------------
def test_reset_counts_afresh_and_switches_skipping_back_on(engine, clock):
    engine.enqueue_tasks("report")
    Worker(engine).update(Worker(engine).take("report"), "IN_PROGRESS", callbackAfterSeconds=60)
    engine.set_time_skipping(False)
    before = clock.now_ms()
    engine.reset()
    skipping = engine.time_skipping()
    assert (skipping["enabled"], skipping["skips"], skipping["skippedMs"]) == (True, 0, 0)
    assert clock.now_ms() >= before  # a clock never goes back


def test_stats_and_snapshot_show_time_skipping(engine, worker):
    engine.enqueue_tasks("report")
    worker.update(worker.take("report"), "IN_PROGRESS", callbackAfterSeconds=90)
    stats = engine.stats()["timeSkipping"]
    assert (stats["skips"], stats["skippedMs"], stats["enabled"]) == (1, 90_000, True)
    assert stats["underWay"].endswith("ready to hand out in queue report")
    assert engine.snapshot()["clock"] == "time-skipping"


# -- nothing changes without it ------------------------------------------------------------------
@pytest.mark.parametrize("other_clock", [None, ManualClock()], ids=["system", "manual"])
def test_an_engine_without_time_skipping_never_jumps(other_clock):
    engine = Engine(other_clock)
    try:
        retried_once_after(engine, "charge", 3600)
        engine.enqueue_tasks("charge")
        worker = Worker(engine)
        before = engine.now_ms()
        worker.update(worker.take("charge"), "FAILED")
        assert engine.poll("charge") is None
        assert engine.now_ms() - before < 1000
        assert engine.time_skipping() is None
        assert "timeSkipping" not in engine.stats()
        with pytest.raises(ConflictError, match="started without time skipping"):
            engine.set_time_skipping(True)
    finally:
        engine.close()


def test_an_http_task_retry_delay_is_skipped_and_its_call_blocks_nothing(engine, httpserver):
    httpserver.expect_ordered_request("/price").respond_with_data("down", status=503)
    httpserver.expect_ordered_request("/price").respond_with_json({"price": 3})
    engine.register_task_defs([{"name": "call", "retryCount": 1, "retryDelaySeconds": 600}])
    request = {"uri": httpserver.url_for("/price"), "method": "GET"}
    call = system("HTTP", "call", inputParameters={"http_request": request})

    workflow_id = start(engine, workflow("w", call))

    assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"
    assert [t["status"] for t in engine.get_workflow(workflow_id)["tasks"]] == [
        "FAILED",
        "COMPLETED",
    ]
    assert skipped_ms(engine) == 600_000
