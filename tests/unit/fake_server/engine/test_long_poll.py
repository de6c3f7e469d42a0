"""Long polls wait on a condition: they end as soon as a task is ready, never by busy waiting."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from fake_server import SystemClock
from fake_server.engine import Engine
from tests.unit.fake_server.helpers import Worker


@pytest.fixture
def pool():
    with ThreadPoolExecutor(max_workers=2) as executor:
        yield executor


def wait_until_polling(engine, worker_id, deadline_s=5.0):
    """Block until ``worker_id`` has polled (its long poll is then waiting)."""
    give_up = time.monotonic() + deadline_s
    while not any(p.get("workerId") == worker_id for p in engine.all_poll_data()):
        assert time.monotonic() < give_up, f"{worker_id} never polled"
        time.sleep(0.001)


def long_poll(engine, timeout_ms, worker_id="waiter"):
    started = time.monotonic()
    tasks = engine.batch_poll("a", worker_id, count=5, timeout_ms=timeout_ms)
    return tasks, time.monotonic() - started


def test_an_empty_long_poll_waits_its_timeout(engine):
    """Mirrors ExecutionService.poll with QueueDAO.pop's timeout: with nothing ready the poll
    waits that long."""
    tasks, elapsed = long_poll(engine, 150)
    assert tasks == []
    assert 0.14 <= elapsed < 1.0


def test_a_long_poll_ends_when_a_task_is_queued(engine, pool):
    """Mirrors QueueDAO.pop's timeout: a task queued during the wait is handed out at once."""
    future = pool.submit(long_poll, engine, 5000)
    wait_until_polling(engine, "waiter")
    engine.enqueue_tasks("a", 2)
    tasks, elapsed = future.result(timeout=5)
    assert len(tasks) == 2
    assert elapsed < 1.0  # far from the 5 s timeout


def test_a_long_poll_ends_when_a_manual_clock_makes_a_task_due(engine, clock, pool):
    """Mirrors QueueDAO.pop's timeout, on the fake's manual clock: a task coming due during the
    wait is handed out."""
    engine.register_task_defs([{"name": "a", "retryDelaySeconds": 30}])
    engine.enqueue_tasks("a", 1)
    worker = Worker(engine)
    worker.update(worker.take("a"), "FAILED")  # retried in 30 s
    future = pool.submit(long_poll, engine, 5000)
    wait_until_polling(engine, "waiter")
    clock.advance_seconds(30)
    tasks, elapsed = future.result(timeout=5)
    assert [t["retryCount"] for t in tasks] == [1]
    assert elapsed < 1.0


def test_a_long_poll_ends_when_a_delayed_task_comes_due_on_the_wall_clock(pool):
    """Mirrors QueueDAO.pop's timeout: a task coming due during the wait is handed out, with
    nothing else to wake the poll."""
    engine = Engine(SystemClock())
    engine.register_task_defs([{"name": "a", "retryDelaySeconds": 1}])
    engine.enqueue_tasks("a", 1)
    worker = Worker(engine)
    worker.update(worker.take("a"), "FAILED")  # due in 1 s, nobody will notify
    tasks, elapsed = long_poll(engine, 4000)
    assert len(tasks) == 1
    assert 0.5 < elapsed < 2.0


def test_wake_waiters_ends_long_polls_at_once(engine, pool):
    """The fake's own Engine.wake_waiters (used when it stops): no Conductor counterpart."""
    future = pool.submit(long_poll, engine, 5000)
    wait_until_polling(engine, "waiter")
    engine.wake_waiters()
    tasks, elapsed = future.result(timeout=5)
    assert tasks == []
    assert elapsed < 1.0


def test_a_long_poll_in_another_queue_keeps_waiting(engine, pool):
    """Mirrors QueueDAO.pop: a long poll waits on its own queue; tasks of another type or domain
    do not end it."""
    future = pool.submit(long_poll, engine, 300)
    wait_until_polling(engine, "waiter")
    engine.enqueue_tasks("b", 1)
    engine.enqueue_tasks("a", 1, domain="d")
    tasks, elapsed = future.result(timeout=5)
    assert tasks == []
    assert elapsed >= 0.29


def test_a_reset_ends_the_long_polls_that_began_before_it(engine, pool):
    """The fake's own reset (the pytest plugin resets its shared server between tests): a long
    poll that began before it belongs to what was reset, such as a worker of the previous test
    stopped while its poll was waiting, so it ends empty and takes nothing queued after it."""
    future = pool.submit(long_poll, engine, 5000)
    wait_until_polling(engine, "waiter")
    engine.reset()
    engine.enqueue_tasks("a", 1)
    tasks, elapsed = future.result(timeout=5)
    assert tasks == []
    assert elapsed < 1.0
    # the task waits for a poll that began after the reset
    assert len(engine.batch_poll("a", "next-test", count=5)) == 1
