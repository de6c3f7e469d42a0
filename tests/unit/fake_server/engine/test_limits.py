"""concurrentExecLimit and rateLimitPerFrequency, applied at poll time."""

from tests.unit.fake_server.helpers import Worker, result


def test_concurrent_exec_limit(engine, worker, clock):
    """Mirrors ExecutionService.poll with ExecutionDAOFacade.exceedsInProgressLimit: a task
    over the limit is postponed in its queue for 60 s, not handed out when a slot frees."""
    engine.register_task_defs([{"name": "a", "concurrentExecLimit": 2}])
    engine.enqueue_tasks("a", 5)
    engine.enqueue_tasks("a", 1, domain="d")
    first = engine.batch_poll("a", "w", count=5)
    assert len(first) == 2
    assert Worker(engine, "w", "d").poll("a") is None  # the limit spans domains
    worker.update(first[0], "COMPLETED")
    assert engine.batch_poll("a", "w", count=5) == []  # the other three wait 60 s
    assert engine.queue_sizes(["a"]) == {"a": 3}
    clock.advance_seconds(59)
    assert engine.batch_poll("a", "w", count=5) == []
    clock.advance_seconds(1)
    assert len(engine.batch_poll("a", "w", count=5)) == 1  # one slot free: one handed out
    clock.advance_seconds(60)
    assert engine.batch_poll("a", "w", count=5) == []  # the limit is reached again


def test_rate_limit_per_frequency(engine, clock):
    """Mirrors ExecutionService.poll with RateLimitingDAO.exceedsRateLimitPerFrequency: the
    window counts hand-outs; a task over the rate waits 60 s in its queue."""
    engine.register_task_defs(
        [{"name": "a", "rateLimitPerFrequency": 3, "rateLimitFrequencyInSeconds": 10}]
    )
    engine.enqueue_tasks("a", 10)
    handed = engine.batch_poll("a", "w", count=10)
    assert len(handed) == 3
    for task in handed:  # finishing them does not matter: the window counts hand-outs
        engine.update_task(result(task, "COMPLETED"))
    clock.advance_seconds(10)
    assert engine.batch_poll("a", "w", count=10) == []  # postponed, though the window moved
    clock.advance_seconds(50)
    assert len(engine.batch_poll("a", "w", count=10)) == 3
    assert engine.batch_poll("a", "w", count=10) == []


def test_limits_of_an_inline_task_definition_apply(engine, clock, worker):
    """Mirrors ExecutionService.poll: the limits come from TaskModel.getTaskDefinition(), the
    workflow task's inline taskDefinition when it has one."""
    engine.register_task_defs([{"name": "a"}])
    inline = {"name": "a", "concurrentExecLimit": 1}
    engine.register_workflow_def(
        {
            "name": "wf",
            "tasks": [{"name": "a", "taskReferenceName": "a", "taskDefinition": inline}],
        }
    )
    engine.start_workflow({"name": "wf"})
    engine.start_workflow({"name": "wf"})
    assert len(engine.batch_poll("a", "w", count=2)) == 1
    clock.advance_seconds(60)
    assert engine.batch_poll("a", "w", count=2) == []


def test_a_task_held_back_by_a_limit_stays_scheduled(engine):
    """Mirrors ExecutionService.poll: a task over a limit is postponed in its queue and stays
    SCHEDULED."""
    engine.register_task_defs([{"name": "a", "rateLimitPerFrequency": 1}])
    ids = engine.enqueue_tasks("a", 2)
    engine.poll("a", "w")
    assert engine.poll("a", "w") is None
    assert engine.get_task(ids[1])["status"] == "SCHEDULED"
    assert engine.queue_sizes(["a"]) == {"a": 1}


def test_update_v2_respects_limits(engine):
    """Mirrors TaskResource.updateTaskV2, whose next task comes from the same
    ExecutionService.poll and its limits."""
    engine.register_task_defs([{"name": "a", "rateLimitPerFrequency": 1}])
    engine.enqueue_tasks("a", 2)
    task = engine.poll("a", "w")
    assert engine.update_task_v2(result(task, "COMPLETED")) is None
