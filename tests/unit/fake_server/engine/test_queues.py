"""Requeueing a task type's pending tasks, and the verbose queue sizes."""

from tests.unit.fake_server.helpers import Worker, sequence, start


def test_requeue_puts_scheduled_and_held_tasks_back(engine, worker):
    """Mirrors ExecutionService.requeuePendingTasks: every task of the type that has not ended
    goes back to its queue, one a worker holds included (it is handed out again, its status
    IN_PROGRESS until then); ended tasks and other types stay where they are."""
    engine.enqueue_tasks("a", 3)
    engine.enqueue_tasks("b", 1)
    held = worker.take("a")
    done = worker.take("a")
    worker.update(done, "COMPLETED")
    assert engine.queue_sizes(["a", "b"]) == {"a": 1, "b": 1}

    assert engine.requeue_pending_tasks("a") == 2
    assert engine.queue_sizes(["a", "b"]) == {"a": 2, "b": 1}
    assert engine.get_task(held["taskId"])["status"] == "IN_PROGRESS"
    again = [task["taskId"] for task in engine.batch_poll("a", "other", count=5)]
    assert held["taskId"] in again and done["taskId"] not in again
    again_held = engine.get_task(held["taskId"])
    assert (again_held["workerId"], again_held["pollCount"]) == ("other", 2)
    assert engine.requeue_pending_tasks("none") == 0


def test_requeue_keeps_what_is_left_of_a_callback(engine, worker, clock):
    """Mirrors ExecutionService.requeue: the task is due when its callbackAfterSeconds, counted
    from its last update, has passed (whole seconds)."""
    engine.enqueue_tasks("a", 1)
    task = worker.take("a")
    worker.update(task, "IN_PROGRESS", callbackAfterSeconds=60)
    clock.advance_seconds(20.5)
    assert engine.requeue_pending_tasks("a") == 1
    clock.advance_seconds(39)
    assert worker.poll("a") is None  # 40 s were left after the 20 whole seconds gone
    clock.advance_seconds(1)
    assert worker.take("a")["taskId"] == task["taskId"]


def test_requeue_keeps_a_task_in_its_domain_and_skips_system_tasks(engine):
    """Mirrors ExecutionService.requeuePendingTasks: a task goes back to its own queue
    (QueueUtils.getQueueName), and a task the server runs (SystemTaskRegistry) is skipped."""
    engine.enqueue_tasks("a", 1, domain="gpu")
    Worker(engine, "w", "gpu").take("a")
    assert engine.requeue_pending_tasks("a") == 1
    assert engine.queue_sizes(["a", "gpu:a"]) == {"a": 0, "gpu:a": 1}
    wait = {"name": "w", "taskReferenceName": "w", "type": "WAIT"}
    start(engine, {"name": "waits", "tasks": [wait]})
    assert engine.requeue_pending_tasks("w") == 0
    assert engine.requeue_pending_tasks("WAIT") == 0


def test_requeue_of_a_start_delay_keeps_the_delay(engine, clock, worker):
    """Mirrors ExecutionService.requeue with SimpleTaskMapper: a task not yet handed out carries
    its startDelay as its callbackAfterSeconds."""
    definition = sequence("delayed", "a")
    definition["tasks"][0]["startDelay"] = 30
    start(engine, definition)
    clock.advance_seconds(10)
    assert engine.requeue_pending_tasks("a") == 1
    clock.advance_seconds(19)
    assert worker.poll("a") is None
    clock.advance_seconds(1)
    assert worker.poll("a") is not None


def test_verbose_queue_sizes(engine, worker):
    """Mirrors QueueDAO.queuesDetailVerbose of Conductor's database queues: per queue, one
    shard "a" with its size and its unacknowledged messages (none: a poll acknowledges)."""
    engine.enqueue_tasks("a", 2)
    engine.enqueue_tasks("a", 1, domain="d")
    worker.take("a")
    assert engine.all_queue_details() == {
        "a": {"a": {"size": 1, "uacked": 0}},
        "d:a": {"a": {"size": 1, "uacked": 0}},
    }
