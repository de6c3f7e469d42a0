"""Fields of the workflow JSON that Conductor's Workflow carries and clients read."""

from tests.unit.fake_server.helpers import sequence, start


def test_failed_task_names_are_gathered_when_the_workflow_ends(engine, worker):
    """Mirrors WorkflowExecutorOps.terminateWorkflow / completeWorkflow: the reference and
    definition names of the FAILED tasks are added to failedReferenceTaskNames and
    failedTaskNames when the workflow ends (and kept after a retry)."""
    engine.register_task_defs([{"name": "b", "retryCount": 0}])
    definition = sequence("wf", "a", "b")
    definition["tasks"][1]["taskReferenceName"] = "b_ref"
    workflow_id = start(engine, definition)
    running = engine.get_workflow(workflow_id)
    assert running["failedReferenceTaskNames"] == []
    assert running["failedTaskNames"] == []
    worker.update(worker.take("a"), "COMPLETED")
    worker.update(worker.take("b"), "FAILED")
    failed = engine.get_workflow(workflow_id)
    assert failed["status"] == "FAILED"
    assert failed["failedReferenceTaskNames"] == ["b_ref"]
    assert failed["failedTaskNames"] == ["b"]
    engine.retry_workflow(workflow_id)
    worker.update(worker.take("b"), "COMPLETED")
    completed = engine.get_workflow(workflow_id)
    assert completed["status"] == "COMPLETED"
    assert completed["failedReferenceTaskNames"] == ["b_ref"]


def test_last_retried_time_follows_retry_resume_and_restart(engine, worker, clock):
    """Mirrors WorkflowExecutorOps: lastRetriedTime is 0 until a retry or a resume sets it to
    the time of that call, and a restart puts it back to 0."""
    engine.register_task_defs([{"name": "a", "retryCount": 0}])
    workflow_id = start(engine, sequence("wf", "a"))
    assert engine.get_workflow(workflow_id)["lastRetriedTime"] == 0
    worker.update(worker.take("a"), "FAILED")
    clock.advance_seconds(5)
    engine.retry_workflow(workflow_id)
    assert engine.get_workflow(workflow_id)["lastRetriedTime"] == clock.now_ms()
    engine.pause_workflow(workflow_id)
    clock.advance_seconds(5)
    engine.resume_workflow(workflow_id)
    assert engine.get_workflow(workflow_id)["lastRetriedTime"] == clock.now_ms()
    engine.terminate_workflow(workflow_id, "stop")
    engine.restart_workflow(workflow_id)
    assert engine.get_workflow(workflow_id)["lastRetriedTime"] == 0


def test_the_workflow_carries_its_definition(engine):
    """Mirrors WorkflowExecutorOps.createWorkflowModel: the workflow holds the definition it
    runs (workflowDefinition), the one of its version."""
    workflow_id = start(engine, sequence("wf", "a", description="first"))
    engine.upsert_workflow_defs([sequence("wf", "b", version=2)])
    carried = engine.get_workflow(workflow_id)["workflowDefinition"]
    assert (carried["name"], carried["version"], carried["description"]) == ("wf", 1, "first")
    assert [t["taskReferenceName"] for t in carried["tasks"]] == ["a"]
