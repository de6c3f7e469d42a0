"""concurrentExecLimit and rateLimitPerFrequency, applied at poll time."""

from fs_helpers import Worker, result


def test_concurrent_exec_limit(engine, worker):
    engine.register_task_defs([{"name": "a", "concurrentExecLimit": 2}])
    engine.enqueue_tasks("a", 5)
    engine.enqueue_tasks("a", 1, domain="d")
    first = engine.batch_poll("a", "w", count=5)
    assert len(first) == 2
    assert engine.batch_poll("a", "w", count=5) == []
    assert Worker(engine, "w", "d").poll("a") is None  # the limit spans domains
    worker.update(first[0], "COMPLETED")
    assert len(engine.batch_poll("a", "w", count=5)) == 1
    worker.update(first[1], "IN_PROGRESS")  # back to SCHEDULED: frees a slot
    assert len(engine.batch_poll("a", "w", count=5)) == 1
    assert engine.queue_sizes(["a"]) == {"a": 2}


def test_rate_limit_per_frequency(engine, clock):
    engine.register_task_defs(
        [{"name": "a", "rateLimitPerFrequency": 3, "rateLimitFrequencyInSeconds": 10}]
    )
    engine.enqueue_tasks("a", 10)
    handed = engine.batch_poll("a", "w", count=10)
    assert len(handed) == 3
    for task in handed:  # finishing them does not matter: the window counts hand-outs
        engine.update_task(result(task, "COMPLETED"))
    clock.advance_seconds(9)
    assert engine.batch_poll("a", "w", count=10) == []
    clock.advance_seconds(1)
    assert len(engine.batch_poll("a", "w", count=10)) == 3
    clock.advance_seconds(5)
    assert engine.batch_poll("a", "w", count=10) == []


def test_a_task_held_back_by_a_limit_stays_scheduled(engine):
    engine.register_task_defs([{"name": "a", "rateLimitPerFrequency": 1}])
    ids = engine.enqueue_tasks("a", 2)
    engine.poll("a", "w")
    assert engine.poll("a", "w") is None
    assert engine.get_task(ids[1])["status"] == "SCHEDULED"
    assert engine.queue_sizes(["a"]) == {"a": 1}


def test_update_v2_respects_limits(engine):
    engine.register_task_defs([{"name": "a", "rateLimitPerFrequency": 1}])
    engine.enqueue_tasks("a", 2)
    task = engine.poll("a", "w")
    assert engine.update_task_v2(result(task, "COMPLETED")) is None
