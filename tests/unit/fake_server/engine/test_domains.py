"""Task-to-domain routing inside the engine: queues, poll data, the active-worker window."""

from tests.unit.fake_server.helpers import Worker, result, sequence, start


def test_a_task_in_a_domain_is_only_seen_by_that_domain(engine):
    """Mirrors WorkflowExecutorOps.setTaskDomains and QueueUtils.getQueueName: a task mapped to
    a domain waits in that domain's queue only."""
    start(engine, sequence("wf", "a"), taskToDomain={"a": "cool"})
    assert Worker(engine, "plain").poll("a") is None
    assert Worker(engine, "other", "hot").poll("a") is None
    task = Worker(engine, "w", "cool").take("a")
    assert task["domain"] == "cool"
    assert engine.queue_sizes(["a", "cool:a"]) == {"a": 0, "cool:a": 0}


def test_star_and_own_entries(engine):
    """Mirrors WorkflowExecutorOps.setTaskDomains: a task's own taskToDomain entry wins over
    "*"."""
    start(engine, sequence("wf", "a", "b"), taskToDomain={"*": "star", "b": "own"})
    a = Worker(engine, "w", "star").take("a")
    engine.update_task(result(a, "COMPLETED"))
    assert engine.all_queue_sizes()["own:b"] == 1


def test_fallback_prefers_a_domain_with_a_recent_poll(engine, clock):
    """Mirrors WorkflowExecutorOps.getActiveDomain: the first domain of the list with a worker
    that polled recently."""
    Worker(engine, "cpu-worker", "cpu").poll("a")  # an active worker in "cpu"
    start(engine, sequence("wf", "a"), taskToDomain={"a": "gpu,cpu,NO_DOMAIN"})
    assert engine.all_queue_sizes()["cpu:a"] == 1


def test_fallback_forgets_workers_after_ten_seconds(engine, clock):
    """Mirrors WorkflowExecutorOps.getActiveDomain: a poll counts while it is less than
    activeWorkerLastPollTimeout (10 s) old."""
    Worker(engine, "cpu-worker", "cpu").poll("a")
    clock.advance(9_999)
    start(engine, sequence("wf", "a"), taskToDomain={"a": "gpu,cpu,NO_DOMAIN"})
    assert engine.all_queue_sizes()["cpu:a"] == 1  # 9.999 s ago still counts
    clock.advance(1)
    engine.start_workflow({"name": "wf", "taskToDomain": {"a": "gpu,cpu,NO_DOMAIN"}})
    assert engine.all_queue_sizes()["a"] == 1  # nobody active: NO_DOMAIN at the end


def test_fallback_without_active_workers_uses_the_last_entry(engine):
    """Mirrors WorkflowExecutorOps.getActiveDomain: with no active worker, the last domain of
    the list."""
    start(engine, sequence("wf", "a"), taskToDomain={"a": "gpu,cpu"})
    assert engine.all_queue_sizes()["cpu:a"] == 1


def test_retries_are_routed_again(engine, clock):
    """Mirrors DeciderService.retry with WorkflowExecutorOps.setTaskDomains: a retry's domain is
    chosen again."""
    engine.register_task_defs([{"name": "a", "retryDelaySeconds": 0}])
    start(engine, sequence("wf", "a"), taskToDomain={"a": "gpu,NO_DOMAIN"})
    plain = Worker(engine, "plain")
    task = plain.take("a")
    Worker(engine, "gpu-worker", "gpu").poll("a")  # a gpu worker shows up
    plain.update(task, "FAILED")
    assert engine.all_queue_sizes()["gpu:a"] == 1


def test_poll_data_records_every_poll(engine, clock):
    """Mirrors ExecutionDAOFacade.updateTaskLastPoll: the last poll of each queue, with its
    worker and domain."""
    Worker(engine, "w1").poll("a")
    clock.advance(5)
    Worker(engine, "w2", "d").poll("a")
    Worker(engine, "w3").poll("b")
    assert engine.poll_data("a") == [
        {"queueName": "a", "workerId": "w1", "lastPollTime": clock.now_ms() - 5},
        {"queueName": "a", "domain": "d", "workerId": "w2", "lastPollTime": clock.now_ms()},
    ]
    assert len(engine.all_poll_data()) == 3


def test_no_domain_is_matched_in_any_case(engine):
    """Mirrors WorkflowExecutorOps.getActiveDomain (equalsIgnoreCase)."""
    start(engine, sequence("wf", "a"), taskToDomain={"a": "gpu, no_domain"})
    assert engine.all_queue_sizes()["a"] == 1


def test_an_explicit_empty_mapping_is_used_as_is(engine):
    """Mirrors WorkflowExecutorOps.setTaskDomains: a task's own entry, even empty, overrides
    "*", and an empty domain is a domain: the queue ":a", which a blank domain= polls."""
    start(engine, sequence("wf", "a", "b"), taskToDomain={"*": "star", "a": ""})
    assert engine.all_queue_sizes() == {":a": 1}
    assert Worker(engine, "plain").poll("a") is None
    task = Worker(engine, "blank", "").take("a")
    assert task["domain"] == ""
    engine.update_task(result(task, "COMPLETED"))
    assert engine.all_queue_sizes()["star:b"] == 1


def test_a_blank_star_mapping_is_ignored(engine):
    """Mirrors WorkflowExecutorOps.setTaskDomains: a blank "*" entry maps nothing."""
    start(engine, sequence("wf", "a"), taskToDomain={"*": "  "})
    assert engine.all_queue_sizes() == {"a": 1}


def test_a_blank_domain_polls_its_own_queue(engine):
    """Mirrors QueueUtils.getQueueName: a blank domain makes the queue ":type", so a worker
    polling with domain= never sees the plain tasks."""
    engine.enqueue_tasks("a", 1)
    assert Worker(engine, "blank", "").poll("a") is None
    assert engine.poll_data("a") == [
        {"queueName": "a", "domain": "", "workerId": "blank", "lastPollTime": engine.now_ms()}
    ]
