"""Re-driving a workflow: retry, restart, rerun, pause/resume, skip, reset callbacks, remove.
Each test cites the part of Conductor's WorkflowExecutorOps it mirrors."""

import pytest

from fake_server.engine.errors import (
    BadRequestError,
    ConflictError,
    IllegalStateError,
    NotFoundError,
)
from tests.unit.fake_server.helpers import Worker, sequence, start, statuses


def failed_workflow(engine, worker, *task_types):
    engine.register_task_defs([{"name": t, "retryCount": 0} for t in task_types])
    workflow_id = start(engine, sequence("wf", *task_types), input={"n": 1})
    first = worker.take(task_types[0])
    worker.update(first, "COMPLETED", outputData={"done": 1})
    failing = worker.take(task_types[1])
    worker.update(failing, "FAILED", reasonForIncompletion="boom")
    assert engine.get_workflow(workflow_id)["status"] == "FAILED"
    return workflow_id, first, failing


def test_retry_gives_the_failed_task_a_new_attempt(engine, worker, clock):
    """Mirrors WorkflowExecutorOps.retry and taskToBeRescheduled: a new task with
    retryCount + 1 and no reason; the workflow runs again and completes."""
    workflow_id, _, failing = failed_workflow(engine, worker, "a", "b", "c")
    clock.advance_seconds(3)
    engine.retry_workflow(workflow_id)
    workflow = engine.get_workflow(workflow_id)
    assert workflow["status"] == "RUNNING"
    assert "reasonForIncompletion" not in workflow
    attempt = worker.take("b")
    assert (attempt["retriedTaskId"], attempt["retryCount"]) == (failing["taskId"], 1)
    assert "reasonForIncompletion" not in attempt
    worker.update(attempt, "COMPLETED")
    worker.update(worker.take("c"), "COMPLETED")
    assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"
    assert statuses(engine, workflow_id) == [
        ("a", "COMPLETED"),
        ("b", "FAILED"),
        ("b", "COMPLETED"),
        ("c", "COMPLETED"),
    ]


def test_retry_needs_an_ended_workflow_with_something_to_retry(engine, worker):
    """Mirrors WorkflowExecutorOps.retry's checks: a running workflow is a 404 there, one
    with nothing unsuccessful a 409."""
    running = start(engine, sequence("wf", "a"))
    with pytest.raises(NotFoundError, match="Workflow is still running.  status=RUNNING"):
        engine.retry_workflow(running)
    worker.update(worker.take("a"), "COMPLETED")
    with pytest.raises(ConflictError, match="There are no retryable tasks!"):
        engine.retry_workflow(running)


def test_a_retried_workflow_times_out_from_the_retry(engine, worker, clock):
    """Mirrors DeciderService.checkWorkflowTimeout with lastRetriedTime."""
    engine.register_task_defs([{"name": "a", "retryCount": 0}])
    definition = {**sequence("wf", "a"), "timeoutSeconds": 100, "timeoutPolicy": "TIME_OUT_WF"}
    workflow_id = start(engine, definition)
    clock.advance_seconds(90)
    worker.update(worker.take("a"), "FAILED")
    engine.retry_workflow(workflow_id)
    clock.advance_seconds(99)
    assert engine.get_workflow(workflow_id)["status"] == "RUNNING"
    clock.advance_seconds(1)
    assert engine.get_workflow(workflow_id)["status"] == "TIMED_OUT"


def test_restart_runs_the_workflow_again_from_the_start(engine, worker):
    """Mirrors WorkflowExecutorOps.restart: same id and input, tasks dropped, the first task
    scheduled again."""
    workflow_id, first, _ = failed_workflow(engine, worker, "a", "b")
    engine.restart_workflow(workflow_id)
    assert statuses(engine, workflow_id) == [("a", "SCHEDULED")]
    again = worker.take("a")
    assert again["taskId"] != first["taskId"]
    assert engine.get_workflow(workflow_id)["input"] == {"n": 1}
    with pytest.raises(ConflictError, match="is not in terminal state, unable to restart."):
        engine.restart_workflow(workflow_id)


def test_restart_with_the_latest_definition(engine, worker):
    """Mirrors WorkflowExecutorOps.restart with useLatestDefinitions."""
    workflow_id, _, _ = failed_workflow(engine, worker, "a", "b")
    engine.upsert_workflow_defs([{**sequence("wf", "z"), "version": 2}])
    engine.restart_workflow(workflow_id, use_latest_definitions=True)
    assert engine.get_workflow(workflow_id)["workflowVersion"] == 2
    assert statuses(engine, workflow_id) == [("z", "SCHEDULED")]


def test_a_non_restartable_completed_workflow(engine, worker):
    """Mirrors WorkflowExecutorOps.restart: restartable false forbids restarting a COMPLETED
    workflow (Conductor answers 404)."""
    workflow_id = start(engine, {**sequence("wf", "a"), "restartable": False})
    worker.update(worker.take("a"), "COMPLETED")
    with pytest.raises(NotFoundError, match="is non-restartable"):
        engine.restart_workflow(workflow_id)


def test_rerun_from_a_task_drops_the_later_ones(engine, worker):
    """Mirrors WorkflowExecutorOps.rerunWF: the task runs again (same id, new input if given),
    later tasks are removed, the workflow input may be replaced."""
    workflow_id, first, _ = failed_workflow(engine, worker, "a", "b")
    engine.rerun_workflow(
        workflow_id,
        {"reRunFromTaskId": first["taskId"], "taskInput": {"x": 2}, "workflowInput": {"n": 9}},
    )
    assert statuses(engine, workflow_id) == [("a", "SCHEDULED")]
    again = worker.take("a")
    assert (again["taskId"], again["inputData"]) == (first["taskId"], {"x": 2})
    assert engine.get_workflow(workflow_id)["input"] == {"n": 9}
    worker.update(again, "COMPLETED")
    assert worker.take("b")["retryCount"] == 0


def test_rerun_of_an_unknown_task_and_of_a_running_workflow(engine, worker):
    """Mirrors WorkflowExecutorOps.rerun: an unknown task is an IllegalArgumentException;
    without a task the workflow runs from its start."""
    workflow_id, _, _ = failed_workflow(engine, worker, "a", "b")
    with pytest.raises(BadRequestError, match="Task nope not found"):
        engine.rerun_workflow(workflow_id, {"reRunFromTaskId": "nope"})
    engine.rerun_workflow(workflow_id, {})  # from the beginning
    assert statuses(engine, workflow_id) == [("a", "SCHEDULED")]
    with pytest.raises(ConflictError, match="unable to rerun"):
        engine.rerun_workflow(workflow_id, {})


def test_pause_holds_the_next_task_and_resume_lets_it_go(engine, worker):
    """Mirrors WorkflowExecutorOps.pauseWorkflow/resumeWorkflow: a paused workflow's running
    task may finish, but nothing further is scheduled until it is resumed."""
    workflow_id = start(engine, sequence("wf", "a", "b"))
    task = worker.take("a")
    engine.pause_workflow(workflow_id)
    engine.pause_workflow(workflow_id)  # already paused: nothing happens
    worker.update(task, "COMPLETED")
    assert worker.poll("b") is None
    assert engine.get_workflow(workflow_id)["status"] == "PAUSED"
    engine.resume_workflow(workflow_id)
    assert worker.take("b")
    with pytest.raises(IllegalStateError, match="is not PAUSED so cannot resume"):
        engine.resume_workflow(workflow_id)


def test_pause_of_an_ended_workflow(engine, worker):
    """Mirrors WorkflowExecutorOps.pauseWorkflow: an ended workflow cannot be paused
    (ConflictException)."""
    workflow_id = start(engine, sequence("wf", "a"))
    worker.update(worker.take("a"), "COMPLETED")
    with pytest.raises(ConflictError, match="has ended, status cannot be updated."):
        engine.pause_workflow(workflow_id)


def test_skip_a_task_that_has_not_run(engine, worker):
    """Mirrors WorkflowExecutorOps.skipTaskFromWorkflow: a SKIPPED task with the request's
    input and output; the workflow passes over it."""
    workflow_id = start(engine, sequence("wf", "a", "b", "c"))
    engine.skip_task(workflow_id, "b", {"taskOutput": {"skipped": True}})
    worker.update(worker.take("a"), "COMPLETED")
    assert worker.poll("b") is None
    worker.update(worker.take("c"), "COMPLETED")
    workflow = engine.get_workflow(workflow_id)
    assert workflow["status"] == "COMPLETED"
    skipped = [t for t in workflow["tasks"] if t["referenceTaskName"] == "b"]
    assert [(t["status"], t["outputData"]) for t in skipped] == [("SKIPPED", {"skipped": True})]


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("a", "The task referenced a has already been processed, cannot be skipped"),
        ("zz", "The task referenced by zz does not exist in the WorkflowDefinition wf"),
    ],
)
def test_skip_refusals(engine, reference, message):
    """Mirrors WorkflowExecutorOps.skipTaskFromWorkflow's IllegalStateExceptions."""
    workflow_id = start(engine, sequence("wf", "a", "b"))
    with pytest.raises(IllegalStateError, match=message):
        engine.skip_task(workflow_id, reference)


def test_reset_callbacks_makes_waiting_tasks_pollable(engine, worker):
    """Mirrors WorkflowExecutorOps.resetCallbacksForWorkflow."""
    workflow_id = start(engine, sequence("wf", "a"))
    worker.update(worker.take("a"), "IN_PROGRESS", callbackAfterSeconds=600)
    assert worker.poll("a") is None
    engine.reset_callbacks(workflow_id)
    assert worker.take("a")["callbackAfterSeconds"] == 0


def test_remove_forgets_the_workflow_and_its_queued_tasks(engine, worker):
    """Mirrors ExecutionDAOFacade.removeWorkflow without archiving: the workflow is gone and
    its tasks leave their queues."""
    workflow_id = start(engine, sequence("wf", "a"))
    engine.remove_workflow(workflow_id, archive=False)
    with pytest.raises(NotFoundError):
        engine.get_workflow(workflow_id)
    assert engine.queue_sizes(["a"]) == {"a": 0}
    assert Worker(engine).poll("a") is None
    assert engine.search_workflows()["totalHits"] == 0


def test_an_archived_workflow_must_have_ended_and_stays_readable(engine, worker):
    """Mirrors ExecutionDAOFacade.removeWorkflow with archiving (the default): a running
    workflow cannot be archived (IllegalArgumentException); an ended one leaves the engine
    but its index entry still answers a read by id and a search (getWorkflowModelFromDataStore
    falls back to IndexDAO), while it runs no more."""
    workflow_id = start(engine, sequence("wf", "a", "b"))
    with pytest.raises(BadRequestError, match=f"Cannot archive workflow: {workflow_id} with"):
        engine.remove_workflow(workflow_id)
    worker.update(worker.take("a"), "COMPLETED")
    engine.terminate_workflow(workflow_id, "done here")
    engine.remove_workflow(workflow_id)
    archived = engine.get_workflow(workflow_id)
    assert archived["status"] == "TERMINATED"
    assert [t["referenceTaskName"] for t in archived["tasks"]] == ["a", "b"]
    assert "tasks" not in engine.get_workflow(workflow_id, include_tasks=False)
    assert [r["workflowId"] for r in engine.search_workflows()["results"]] == [workflow_id]
    assert engine.running_workflows("wf", 1) == []
    assert engine.queue_sizes(["a", "b"]) == {"a": 0, "b": 0}
    with pytest.raises(NotFoundError):
        engine.retry_workflow(workflow_id)


def _nested(engine):
    """parent -> child -> grandchild, whose one task ``a`` fails for good."""
    engine.register_task_defs([{"name": "a", "retryCount": 0}])

    def calling(name, ref, sub_workflow):
        sub = {"name": sub_workflow, "taskReferenceName": ref, "type": "SUB_WORKFLOW"}
        sub["subWorkflowParam"] = {"name": sub_workflow, "version": 1}
        return {"name": name, "tasks": [sub]}

    engine.upsert_workflow_defs(
        [
            sequence("grandchild", "a"),
            calling("child", "to_grandchild", "grandchild"),
            calling("parent", "to_child", "child"),
        ]
    )
    return engine.start_workflow({"name": "parent"})


def test_retry_resuming_sub_workflow_tasks_retries_the_deepest_failed_child(engine, worker):
    """Mirrors WorkflowExecutorOps.retry with resumeSubworkflowTasks and
    findLastFailedSubWorkflowIfAny: down through the failed SUB_WORKFLOW tasks, the deepest
    failed workflow is retried in place and its parents follow it (updateAndPushParents)."""
    parent_id = _nested(engine)
    worker.update(worker.take("a"), "FAILED")
    child_id = engine.get_workflow(parent_id)["tasks"][0]["subWorkflowId"]
    grandchild_id = engine.get_workflow(child_id)["tasks"][0]["subWorkflowId"]
    assert engine.get_workflow(parent_id)["status"] == "FAILED"

    engine.retry_workflow(parent_id, resume_subworkflow_tasks=True)
    for workflow_id in (parent_id, child_id, grandchild_id):
        assert engine.get_workflow(workflow_id)["status"] == "RUNNING"
    assert statuses(engine, parent_id) == [("to_child", "IN_PROGRESS")]  # the same task
    assert statuses(engine, grandchild_id) == [("a", "FAILED"), ("a", "SCHEDULED")]
    worker.update(worker.take("a"), "COMPLETED")
    for workflow_id in (parent_id, child_id, grandchild_id):
        assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"


def test_retry_without_resuming_gives_the_sub_workflow_task_a_new_attempt(engine, worker):
    """Mirrors WorkflowExecutorOps.retry without resumeSubworkflowTasks: the parent's failed
    SUB_WORKFLOW task is retried as a new attempt, which starts a new child."""
    parent_id = _nested(engine)
    worker.update(worker.take("a"), "FAILED")
    child_id = engine.get_workflow(parent_id)["tasks"][0]["subWorkflowId"]
    engine.retry_workflow(parent_id)
    tasks = engine.get_workflow(parent_id)["tasks"]
    assert [t["status"] for t in tasks] == ["FAILED", "IN_PROGRESS"]
    assert tasks[1]["subWorkflowId"] != child_id
    assert engine.get_workflow(child_id)["status"] == "FAILED"


def test_retry_resuming_with_nothing_failed_changes_nothing(engine, worker):
    """Mirrors WorkflowExecutorOps.retry with resumeSubworkflowTasks: a workflow that ended
    without an unsuccessful task is left as it is."""
    workflow_id = start(engine, sequence("wf", "a"))
    worker.update(worker.take("a"), "COMPLETED")
    engine.retry_workflow(workflow_id, resume_subworkflow_tasks=True)
    assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"


def test_rerun_from_a_failed_fork_branch_sets_the_canceled_sibling_going(engine, worker):
    """Mirrors WorkflowExecutorOps.finalizeRerun: after a rerun from the failed branch's task,
    a sibling canceled when the workflow failed is scheduled again (same task), and the
    workflow runs to its end instead of being ended by the canceled task; the failed names
    gathered by the failure are cleared."""
    engine.register_task_defs([{"name": t, "retryCount": 0} for t in ("a", "b")])
    fork = {
        "name": "fork",
        "taskReferenceName": "fork",
        "type": "FORK_JOIN",
        "forkTasks": [
            [{"name": "a", "taskReferenceName": "a"}],
            [{"name": "b", "taskReferenceName": "b"}],
        ],
    }
    join = {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": ["a", "b"]}
    workflow_id = start(engine, {"name": "wf", "tasks": [fork, join]})
    a = worker.take("a")
    failing = worker.take("b")
    worker.update(failing, "FAILED")
    failed = engine.get_workflow(workflow_id)
    assert failed["status"] == "FAILED"
    assert dict(statuses(engine, workflow_id))["a"] == "CANCELED"
    assert failed["failedReferenceTaskNames"] == ["b"]
    engine.rerun_workflow(workflow_id, {"reRunFromTaskId": failing["taskId"]})
    rerun = engine.get_workflow(workflow_id)
    assert rerun["status"] == "RUNNING"
    assert rerun["failedReferenceTaskNames"] == []
    assert dict(statuses(engine, workflow_id)) == {
        "fork": "COMPLETED",
        "a": "SCHEDULED",
        "b": "SCHEDULED",
    }
    again = worker.take("a")
    assert (again["taskId"], again["retryCount"]) == (a["taskId"], 0)
    worker.update(again, "COMPLETED")
    worker.update(worker.take("b"), "COMPLETED")
    assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"


def test_rerun_from_a_task_of_a_sub_workflow_reruns_the_child_and_the_parent(engine, worker):
    """Mirrors WorkflowExecutorOps.rerunWF: a task id not in the workflow is looked for in its
    sub-workflows; the child reruns from it and the parent follows (its SUB_WORKFLOW task in
    progress again, the parent running, its correlationId replaced)."""
    engine.register_task_defs([{"name": "c", "retryCount": 0}])
    engine.upsert_workflow_defs([sequence("child", "c")])
    parent = {
        "name": "parent",
        "tasks": [
            {
                "name": "sub",
                "taskReferenceName": "sub",
                "type": "SUB_WORKFLOW",
                "subWorkflowParam": {"name": "child"},
            },
            {"name": "after", "taskReferenceName": "after"},
        ],
    }
    parent_id = start(engine, parent)
    failing = worker.take("c")
    worker.update(failing, "FAILED")
    assert engine.get_workflow(parent_id)["status"] == "FAILED"
    engine.rerun_workflow(
        parent_id, {"reRunFromTaskId": failing["taskId"], "correlationId": "again"}
    )
    rerun = engine.get_workflow(parent_id)
    assert (rerun["status"], rerun["correlationId"]) == ("RUNNING", "again")
    assert statuses(engine, parent_id) == [("sub", "IN_PROGRESS")]
    child_id = rerun["tasks"][0]["subWorkflowId"]
    assert engine.get_workflow(child_id)["status"] == "RUNNING"
    again = worker.take("c")
    assert again["taskId"] == failing["taskId"]
    worker.update(again, "COMPLETED")
    worker.update(worker.take("after"), "COMPLETED")
    assert engine.get_workflow(parent_id)["status"] == "COMPLETED"
