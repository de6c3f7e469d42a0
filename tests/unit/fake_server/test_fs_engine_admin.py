"""What the admin API is built on: ad-hoc tasks, stats, the state snapshot, reset, the clock.
The fake server's own API: these tests mirror no Conductor class."""

import time
import tracemalloc

import pytest
from fs_helpers import Worker, sequence, start

from fake_server import SystemClock
from fake_server.engine import Engine, stats
from fake_server.engine.errors import BadRequestError, ConflictError


@pytest.mark.parametrize("count", [0, -1, 100_001])
def test_adhoc_count_is_bounded(engine, count):
    with pytest.raises(BadRequestError, match="count"):
        engine.enqueue_tasks("a", count)


def test_stats_count_tasks_per_queue_and_polls_per_worker(engine, clock):
    engine.register_task_defs([{"name": "a", "retryCount": 0}])
    engine.enqueue_tasks("a", 4)
    engine.enqueue_tasks("a", 1, domain="d")
    w1, w2 = Worker(engine, "w1"), Worker(engine, "w2")
    w1.update(w1.take("a"), "COMPLETED")
    w1.update(w1.take("a"), "FAILED")
    clock.advance(30)
    w2.take("a")
    w2.poll("b")
    stats = engine.stats()
    assert stats["queues"]["a"] == {
        "scheduled": 1,
        "inProgress": 1,
        "completed": 1,
        "failed": 1,
        "timedOut": 0,
        "canceled": 0,
    }
    assert stats["queues"]["d:a"]["scheduled"] == 1
    assert stats["workers"]["w1"] == {
        "polls": 2,
        "tasksHandedOut": 2,
        "lastPollTime": clock.now_ms() - 30,
        "pollsByQueue": {"a": 2},
    }
    assert stats["workers"]["w2"] == {
        "polls": 2,
        "tasksHandedOut": 1,
        "lastPollTime": clock.now_ms(),
        "pollsByQueue": {"a": 1, "b": 1},
    }
    assert stats["tasks"] == 5


def test_pickup_latency_keeps_only_the_latest_samples(engine, clock, monkeypatch):
    # The samples of a queue are bounded: past the bound, each new pick-up replaces the
    # oldest, so a long run's statistics describe its recent tasks in flat memory.
    monkeypatch.setattr(stats, "MAX_LATENCY_SAMPLES", 20)
    worker = Worker(engine)
    for waited_ms in [500] * 20 + [7] * 15:
        engine.enqueue_tasks("a", 1)
        clock.advance(waited_ms)
        worker.update(worker.take("a"), "COMPLETED")
    latency = engine.stats()["pickupLatencyMs"]["byQueue"]["a"]
    assert latency["count"] == 20
    assert (latency["p50"], latency["max"]) == (7, 500)  # 15 of 7 ms, the 5 latest of 500
    assert latency["mean"] == (15 * 7 + 5 * 500) / 20


def test_a_pickup_latency_sample_costs_8_bytes():
    latencies = stats.PickupLatencies()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for sample in range(1000, 51_000):  # past 256: each would be an int object of its own
            latencies.record("a", sample)
        per_sample = (tracemalloc.get_traced_memory()[0] - before) / 50_000
    finally:
        tracemalloc.stop()
    assert per_sample < 10


def test_pickup_latency_counts_from_when_a_task_became_ready(engine, clock):
    engine.register_task_defs([{"name": "a", "retryDelaySeconds": 10}])
    engine.enqueue_tasks("a", 1)
    worker = Worker(engine)
    clock.advance(200)
    task = worker.take("a")  # 200 ms after it was queued
    worker.update(task, "FAILED")
    clock.advance_seconds(10)  # the retry is due now...
    clock.advance(40)
    worker.take("a")  # ...and picked up 40 ms later
    for _ in range(8):
        engine.enqueue_tasks("a", 1)
        worker.take("a")  # at once
    latency = engine.stats()["pickupLatencyMs"]
    assert latency["all"]["count"] == 10
    assert latency["all"]["p50"] == 0
    assert latency["all"]["max"] == 200  # the retry counts 40 ms, not 10 040 ms
    assert latency["all"]["p95"] == 200
    assert latency["all"]["mean"] == 24.0  # (200 + 40) / 10
    assert latency["byQueue"]["a"]["count"] == 10


def test_stats_without_samples(engine):
    assert engine.stats()["pickupLatencyMs"]["all"] == {
        "count": 0,
        "p50": None,
        "p95": None,
        "p99": None,
        "max": None,
        "mean": None,
    }


def test_snapshot_holds_everything(engine, clock):
    engine.register_task_defs([{"name": "a"}])
    workflow_id = start(engine, sequence("wf", "a"))
    queued = engine.enqueue_tasks("b", 2)
    Worker(engine, "w").poll("c")
    snapshot = engine.snapshot()
    assert snapshot["now"] == clock.now_ms()
    assert snapshot["clock"] == "manual"
    assert [d["name"] for d in snapshot["taskDefs"]] == ["a"]
    assert [d["name"] for d in snapshot["workflowDefs"]] == ["wf"]
    assert snapshot["workflows"][0]["workflowId"] == workflow_id
    assert len(snapshot["workflows"][0]["taskIds"]) == 1
    assert len(snapshot["tasks"]) == 3
    assert all(t["readyTime"] == clock.now_ms() for t in snapshot["tasks"])
    assert snapshot["queues"]["b"] == queued
    assert snapshot["pollData"][0]["queueName"] == "c"


def test_reset_drops_everything(engine):
    engine.register_task_defs([{"name": "a"}])
    start(engine, sequence("wf", "a"))
    Worker(engine).poll("a")
    engine.reset()
    snapshot = engine.snapshot()
    for key in ("taskDefs", "workflowDefs", "workflows", "tasks", "pollData"):
        assert snapshot[key] == [], key
    assert snapshot["queues"] == {}
    assert engine.stats()["workers"] == {}


def test_advance_clock(engine, clock):
    assert engine.advance_clock(1500) == clock.now_ms()
    with pytest.raises(BadRequestError):
        engine.advance_clock(-1)


def test_the_system_clock_cannot_be_advanced():
    with pytest.raises(ConflictError, match="system clock"):
        Engine(SystemClock()).advance_clock(10)


def test_worker_stats_show_the_domain_each_worker_polled_with(engine):
    engine.batch_poll("a", worker_id="w1", domain="cool")
    engine.batch_poll("a", worker_id="w1", domain="cool")
    engine.batch_poll("a", worker_id="w2")

    workers = engine.stats()["workers"]

    assert workers["w1"]["pollsByQueue"] == {"cool:a": 2}
    assert workers["w2"]["pollsByQueue"] == {"a": 1}


def test_without_long_poll_an_empty_batch_poll_answers_at_once(clock):
    engine = Engine(clock, long_poll=False)
    started = time.monotonic()

    assert engine.batch_poll("a", worker_id="w", count=1, timeout_ms=2000) == []

    assert time.monotonic() - started < 1.0


def recount_queues(engine):
    """What stats() reports per queue, recounted from every task in the snapshot."""
    buckets = {
        "SCHEDULED": "scheduled",
        "IN_PROGRESS": "inProgress",
        "COMPLETED": "completed",
        "FAILED": "failed",
        "FAILED_WITH_TERMINAL_ERROR": "failed",
        "COMPLETED_WITH_ERRORS": "failed",
        "TIMED_OUT": "timedOut",
        "CANCELED": "canceled",
    }
    queues = {}
    for task in engine.snapshot()["tasks"]:
        name = f"{task['domain']}:{task['taskType']}" if task.get("domain") else task["taskType"]
        counts = queues.setdefault(name, dict.fromkeys(dict.fromkeys(buckets.values()), 0))
        if task["status"] in buckets:
            counts[buckets[task["status"]]] += 1
    return queues


def test_queue_counts_follow_every_status_change(engine, clock):
    engine.register_task_defs(
        [
            {"name": "a", "retryCount": 1, "retryDelaySeconds": 0},
            {"name": "b", "retryCount": 0, "responseTimeoutSeconds": 5},
        ]
    )
    flow = sequence("counts", "a", "b")
    worker, routed = Worker(engine, "w"), Worker(engine, "r", domain="blue")
    first = start(engine, flow)
    start(engine, flow, taskToDomain={"a": "blue"})
    worker.update(worker.take("a"), "FAILED")  # retried
    worker.update(worker.take("a"), "IN_PROGRESS", callbackAfterSeconds=0)  # back to the queue
    worker.update(worker.take("a"), "COMPLETED")
    worker.take("b")
    clock.advance(6_000)  # b times out; no retries left, so the workflow fails
    routed.update(routed.take("a"), "FAILED_WITH_TERMINAL_ERROR")
    engine.enqueue_tasks("c", 3)
    engine.terminate_workflow(first, "done looking")

    assert engine.stats()["queues"] == recount_queues(engine)
    assert engine.stats()["queues"]["b"]["timedOut"] == 1
    assert engine.stats()["queues"]["blue:a"]["failed"] == 1
    engine.reset()
    assert engine.stats()["queues"] == {}
