"""How a workflow that does not complete ends: its output, its reason, its failureWorkflow."""

from tests.unit.fake_server.helpers import sequence, start


def failing(engine, **fields):
    engine.register_task_defs([{"name": "a", "retryCount": 0}])
    return start(engine, {**sequence("wf", "a"), **fields}, input={"order": 7})


def test_a_failed_workflow_gets_its_output(engine, worker):
    """Mirrors DeciderService.retry calling updateWorkflowOutput before it ends the workflow."""
    workflow_id = failing(engine, outputParameters={"got": "${a.output.partial}"})
    worker.update(worker.take("a"), "FAILED", outputData={"partial": 3})
    assert engine.get_workflow(workflow_id)["output"] == {"got": 3}


def test_failure_workflow_starts_with_conductors_input(engine, worker):
    """Mirrors WorkflowExecutorOps.terminateWorkflow: the failure workflow's input is the
    failed workflow's input plus workflowId, reason, failureStatus, failureTaskId and
    failedWorkflow; its id goes to the output under conductor.failure_workflow."""
    engine.upsert_workflow_defs([sequence("cleanup", "c")])
    workflow_id = failing(engine, failureWorkflow="cleanup")
    task = worker.take("a")
    worker.update(task, "FAILED", reasonForIncompletion="boom")
    failed = engine.get_workflow(workflow_id)
    cleanup_id = failed["output"]["conductor.failure_workflow"]
    cleanup = engine.get_workflow(cleanup_id)
    assert cleanup["workflowName"] == "cleanup"
    assert {k: v for k, v in cleanup["input"].items() if k != "failedWorkflow"} == {
        "order": 7,
        "workflowId": workflow_id,
        "reason": f"Task {task['taskId']} failed with status: FAILED and reason: 'boom'",
        "failureStatus": "FAILED",
        "failureTaskId": task["taskId"],
    }
    assert cleanup["input"]["failedWorkflow"]["workflowId"] == workflow_id
    assert cleanup["input"]["failedWorkflow"]["tasks"][0]["taskId"] == task["taskId"]
    assert worker.take("c")["workflowInstanceId"] == cleanup_id


def test_failure_workflow_named_by_an_input(engine, worker):
    """Mirrors WorkflowExecutorOps.decide: a failureWorkflow written $workflow.input.x is the
    workflow input x."""
    engine.upsert_workflow_defs([sequence("cleanup", "c")])
    engine.register_task_defs([{"name": "a", "retryCount": 0}])
    workflow_id = start(
        engine,
        {**sequence("wf", "a"), "failureWorkflow": "$workflow.input.onError"},
        input={"onError": "cleanup"},
    )
    worker.update(worker.take("a"), "FAILED")
    cleanup_id = engine.get_workflow(workflow_id)["output"]["conductor.failure_workflow"]
    assert engine.get_workflow(cleanup_id)["workflowName"] == "cleanup"


def test_failure_workflow_written_as_an_expression_is_not_read(engine, worker, caplog):
    """Mirrors WorkflowExecutorOps.decide: only the third dotted part is read, as written, so
    ${workflow.input.x} names the input "x}", no failure workflow starts, and a log says why."""
    engine.upsert_workflow_defs([sequence("cleanup", "c")])
    engine.register_task_defs([{"name": "a", "retryCount": 0}])
    workflow_id = start(
        engine,
        {**sequence("wf", "a"), "failureWorkflow": "${workflow.input.onError}"},
        input={"onError": "cleanup"},
    )
    worker.update(worker.take("a"), "FAILED")
    done = engine.get_workflow(workflow_id)
    assert done["status"] == "FAILED"
    assert "conductor.failure_workflow" not in done["output"]
    assert [w["workflowName"] for w in engine.list_workflows()] == ["wf"]
    assert "Conductor reads the form $workflow.input.name" in caplog.text


def test_a_failure_workflow_that_cannot_start_is_named_in_the_output(engine, worker):
    """Mirrors WorkflowExecutorOps.terminateWorkflow: a failure workflow that cannot start is
    reported in the output under conductor.failure_workflow."""
    workflow_id = failing(engine, failureWorkflow="missing")
    worker.update(worker.take("a"), "FAILED")
    assert engine.get_workflow(workflow_id)["output"]["conductor.failure_workflow"] == (
        "Error workflow missing failed to start.  reason: "
        "No such workflow defined. name=missing, version=null"
    )


def test_terminating_by_request_starts_no_failure_workflow(engine, worker):
    """Mirrors WorkflowExecutorOps.terminateWorkflow(workflowId, reason): no failure workflow."""
    engine.upsert_workflow_defs([sequence("cleanup", "c")])
    workflow_id = failing(engine, failureWorkflow="cleanup")
    engine.terminate_workflow(workflow_id, "stop")
    workflow = engine.get_workflow(workflow_id)
    assert workflow["status"] == "TERMINATED"
    assert "conductor.failure_workflow" not in workflow["output"]
    assert worker.poll("c") is None


def test_a_task_timeout_starts_the_failure_workflow(engine, worker, clock):
    """Mirrors DeciderService.timeoutTaskWithTimeoutPolicy (TIME_OUT_WF) ending the workflow
    through WorkflowExecutorOps.terminate, which starts the failure workflow."""
    engine.upsert_workflow_defs([sequence("cleanup", "c")])
    engine.register_task_defs([{"name": "a", "pollTimeoutSeconds": 20}])
    workflow_id = start(engine, {**sequence("wf", "a"), "failureWorkflow": "cleanup"})
    clock.advance_seconds(20)
    assert engine.get_workflow(workflow_id)["status"] == "TIMED_OUT"
    cleanup = worker.take("c")
    failure_input = engine.get_workflow(cleanup["workflowInstanceId"])["input"]
    assert failure_input["failureStatus"] == "TIMED_OUT"
    assert failure_input["reason"].startswith("Task poll timed out after 20 seconds")


def test_the_input_template_fills_the_workflow_input(engine):
    """Mirrors ParametersUtils.getWorkflowInput: keys absent or null take the template's."""
    workflow_id = start(
        engine,
        {**sequence("wf", "a"), "inputTemplate": {"region": "eu", "size": 1, "tier": "gold"}},
        input={"size": 5, "tier": None},
    )
    assert engine.get_workflow(workflow_id)["input"] == {"size": 5, "tier": "gold", "region": "eu"}


def test_the_input_template_is_not_applied_to_an_empty_input(engine):
    """Mirrors WorkflowExecutorOps.createWorkflowModel: getWorkflowInput runs only for a
    non-empty input, so a workflow started without input keeps an empty one."""
    definition = {**sequence("wf", "a"), "inputTemplate": {"region": "eu"}}
    assert engine.get_workflow(start(engine, definition))["input"] == {}
    assert engine.get_workflow(start(engine, definition, input={}))["input"] == {}
    assert engine.get_workflow(start(engine, definition, input={"x": 1}))["input"] == {
        "x": 1,
        "region": "eu",
    }
