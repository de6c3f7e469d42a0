"""Retention: ended workflows and their tasks are forgotten after the retention the engine
was given, driven by its clock, so a long run keeps the server's memory flat; without one,
nothing ever goes."""

import gc
import tracemalloc
import types
from typing import Any

import pytest

from fake_server import ManualClock
from fake_server.engine import Engine
from fake_server.engine.errors import NotFoundError
from tests.unit.fake_server.helpers import Worker, sequence, start
from tests.unit.fake_server.system_task_helpers import system, workflow


@pytest.fixture
def kept_60s(clock):
    engine = Engine(clock, retention_seconds=60)
    yield engine
    engine.close()


def run_one(engine, worker, task_type="a"):
    workflow_id = start(engine, sequence("wf", task_type))
    worker.update(worker.take(task_type), "COMPLETED")
    return workflow_id


def test_an_ended_workflow_and_its_tasks_go_after_the_retention(kept_60s, clock):
    worker = Worker(kept_60s)
    ended = run_one(kept_60s, worker)
    running = start(kept_60s, sequence("wf", "a"))  # never taken: it runs for ever
    clock.advance_seconds(59)
    kept_60s.tick()
    assert kept_60s.get_workflow(ended)["status"] == "COMPLETED"
    clock.advance_seconds(2)
    kept_60s.tick()
    with pytest.raises(NotFoundError):
        kept_60s.get_workflow(ended)
    assert kept_60s.get_workflow(running)["status"] == "RUNNING"
    stats = kept_60s.stats()
    assert stats["retention"]["removedWorkflows"] == 1
    assert stats["retention"]["removedTasks"] == 1
    assert stats["tasks"] == 1  # the running workflow's


def reachable_strings(root: Any) -> set[str]:
    """Every string the engine can reach through its objects (its state, indexes, queues,
    heaps, counters), without going into code or modules (which reach the whole interpreter)."""
    skipped = (types.ModuleType, types.FunctionType, types.MethodType, type, types.CodeType)
    seen, found, pending = set(), set(), [root]
    while pending:
        obj = pending.pop()
        if id(obj) in seen or isinstance(obj, skipped):
            continue
        seen.add(id(obj))
        if isinstance(obj, str):
            found.add(obj)
        else:
            pending.extend(gc.get_referents(obj))
    return found


def test_what_retention_removes_leaves_no_trace_in_the_engine(kept_60s, clock):
    # Workflows that ended every way (completed, failed, terminated with a task still queued
    # behind a running one, a parent and its sub-workflow, archived), ad-hoc tasks, logs:
    # once the retention has passed, no index, queue, heap or counter holds one of their ids.
    worker = Worker(kept_60s)
    kept_60s.upsert_workflow_defs(
        [
            sequence("child", "b"),
            workflow(
                "parent", {**system("SUB_WORKFLOW", "sub"), "subWorkflowParam": {"name": "child"}}
            ),
        ]
    )
    ended = [run_one(kept_60s, worker) for _ in range(3)]
    failing = start(kept_60s, sequence("wf", "a"))
    worker.update(worker.take("a"), "FAILED_WITH_TERMINAL_ERROR", reasonForIncompletion="no")
    running = start(kept_60s, sequence("idle", "q"))  # its task stays queued for ever
    terminated = start(kept_60s, sequence("idle", "q"))  # queued behind it, then terminated
    kept_60s.terminate_workflow(terminated, "no longer wanted")
    parent = kept_60s.start_workflow({"name": "parent"})
    worker.update(worker.take("b"), "COMPLETED", logs=[{"log": "a line"}])
    (adhoc,) = kept_60s.enqueue_tasks("adhoc", 1)
    worker.update(worker.take("adhoc"), "COMPLETED")
    archived = run_one(kept_60s, worker)
    kept_60s.remove_workflow(archived)
    child = kept_60s.get_workflow(parent)["tasks"][0]["subWorkflowId"]
    gone = {*ended, failing, terminated, parent, child}
    task_ids = {t["taskId"] for w in gone for t in kept_60s.get_workflow(w)["tasks"]}
    task_ids |= {adhoc} | {t["taskId"] for t in kept_60s.get_workflow(archived)["tasks"]}
    assert kept_60s.get_workflow(parent)["status"] == "COMPLETED"

    clock.advance_seconds(61)
    kept_60s.tick()

    for workflow_id in {*gone, archived}:
        with pytest.raises(NotFoundError):
            kept_60s.get_workflow(workflow_id)
    stats = kept_60s.stats()
    assert (stats["workflows"], stats["tasks"]) == ({"RUNNING": 1}, 1)
    assert stats["workers"] == {}  # it last polled more than the retention ago
    assert stats["retention"]["removedWorkers"] == 1
    left = reachable_strings(kept_60s) & ({*gone, archived} | task_ids)
    assert not left, f"still held by the engine: {sorted(left)}"
    assert running in reachable_strings(kept_60s)  # the walk does reach what is kept


def test_ended_tasks_of_no_workflow_go_too(kept_60s, clock):
    worker = Worker(kept_60s)
    (task_id,) = kept_60s.enqueue_tasks("adhoc", 1)
    worker.update(worker.take("adhoc"), "COMPLETED")
    clock.advance_seconds(61)
    kept_60s.tick()
    with pytest.raises(NotFoundError):
        kept_60s.get_task(task_id)


def test_without_a_retention_everything_is_kept(engine, worker, clock):
    ended = run_one(engine, worker)
    clock.advance_seconds(365 * 24 * 3600)
    engine.tick()
    assert engine.get_workflow(ended)["status"] == "COMPLETED"
    assert engine.stats()["retention"]["removedWorkflows"] == 0


def test_a_steady_load_keeps_the_engine_flat():
    # Four simulated minutes at 10 workflows a second, retention 30 s: once the first 30 s
    # have passed, what the engine holds, and the memory it allocated, stop growing.
    clock = ManualClock()
    engine = Engine(clock, retention_seconds=30)
    worker = Worker(engine)
    held, allocated = [], []
    tracemalloc.start()
    try:
        for second in range(240):
            for _ in range(10):
                run_one(engine, worker)
            clock.advance_seconds(1)
            if second % 60 == 59:
                held.append(engine.stats()["tasks"])
                allocated.append(tracemalloc.get_traced_memory()[0])
    finally:
        tracemalloc.stop()
        engine.close()
    assert len(set(held)) == 1 and held[0] <= 31 * 10  # the last 30 s, every minute
    assert max(allocated[1:]) <= 1.25 * allocated[0]
    assert engine.stats()["retention"]["removedWorkflows"] == 240 * 10 - held[-1]


def test_what_the_engine_recorded_goes_with_the_retention(kept_60s, clock):
    # Each run of this definition records three listener notifications and one published
    # event; a worker logs to a task id the engine does not know. Ten simulated minutes later,
    # only what was recorded less than 60 s ago (the last 59 runs) is kept, and the stats
    # count what went.
    listened = workflow("listened", system("EVENT", "announce", sink="conductor"))
    listened["workflowStatusListenerEnabled"] = True
    kept_60s.register_workflow_def(listened)
    for second in range(600):
        kept_60s.start_workflow({"name": "listened"})
        kept_60s.add_task_log(f"gone-{second}", "a line for a task that is gone")
        clock.advance_seconds(1)
        kept_60s.tick()
    assert len(kept_60s.status_notifications()) == 3 * 59
    assert len(kept_60s.published_events()) == 59
    assert kept_60s.get_task_logs("gone-541") and not kept_60s.get_task_logs("gone-540")
    retention = kept_60s.stats()["retention"]
    assert retention["removedStatusNotifications"] == 3 * 541
    assert retention["removedEvents"] == 541
    assert retention["removedStrayLogs"] == 541


def test_a_negative_retention_is_refused(clock):
    with pytest.raises(ValueError, match="retention_seconds must be 0 or more, got -1"):
        Engine(clock, retention_seconds=-1)
