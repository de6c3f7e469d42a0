"""What one TaskResult changes, in the details Conductor's WorkflowExecutorOps.updateTask has;
payload size limits."""

import re

import pytest

from fake_server.engine.errors import ConductorError, ConflictError
from tests.unit.fake_server.helpers import Worker, result, sequence, start, statuses


def test_an_update_without_output_sets_it_to_empty(engine, worker):
    """Mirrors TaskResult (outputData starts as an empty map) and updateTask (always copied)."""
    start(engine, sequence("wf", "a"))
    task = worker.take("a")
    worker.update(task, "IN_PROGRESS", outputData={"progress": 50})
    again = worker.take("a")
    worker.update(again, "COMPLETED")
    assert engine.get_task(task["taskId"])["outputData"] == {}


def test_worker_id_and_reason_are_overwritten_even_when_absent(engine, worker):
    """Mirrors WorkflowExecutorOps.updateTask: workerId and reasonForIncompletion are set from
    the result as they are."""
    start(engine, sequence("wf", "a"))
    task = worker.take("a")
    worker.update(task, "IN_PROGRESS", reasonForIncompletion="slow")
    engine.update_task(result(task, "IN_PROGRESS"))  # no workerId, no reason
    stored = engine.get_task(task["taskId"])
    assert "workerId" not in stored and "reasonForIncompletion" not in stored


def test_canceled_is_accepted_and_terminates_the_workflow(engine, worker):
    """Mirrors TaskResult.Status (CANCELED) and DeciderService.retry: a canceled task is not
    retried; its workflow ends TERMINATED (an optional one lets it go on)."""
    engine.register_task_defs([{"name": "a", "retryCount": 3}])
    workflow_id = start(engine, sequence("wf", "a", "b"))
    worker.update(worker.take("a"), "CANCELED", reasonForIncompletion="user gave up")
    assert statuses(engine, workflow_id) == [("a", "CANCELED")]
    assert engine.get_workflow(workflow_id)["status"] == "TERMINATED"


def test_extend_lease_on_an_ended_task_answers_nothing_to_update_v2(engine, worker):
    """Mirrors TaskResource.updateTaskV2: updateTask returns null for extendLease, so no next
    task is handed out, even when the task has ended."""
    engine.enqueue_tasks("a", 2)
    task = worker.take("a")
    worker.update(task, "COMPLETED")
    assert engine.update_task_v2(result(task, None, extendLease=True)) is None
    assert engine.queue_sizes(["a"]) == {"a": 1}


def test_a_repeated_final_update_hands_out_the_next_task(engine, worker):
    """Mirrors TaskResource.updateTaskV2: a task already ended is returned as it is, and that
    is terminal, so the worker gets its next task."""
    ids = engine.enqueue_tasks("a", 2)
    task = worker.take("a")
    worker.update(task, "COMPLETED")
    following = engine.update_task_v2(result(task, "COMPLETED", workerId="w"))
    assert following["taskId"] == ids[1]


def test_only_the_first_ten_logs_of_an_update_are_kept(engine, worker):
    """Mirrors ExecutionDAOFacade.addTaskExecLog (taskExecLogSizeLimit 10)."""
    engine.enqueue_tasks("a", 1)
    task = worker.take("a")
    logs = [{"log": f"line {i}"} for i in range(12)]
    worker.update(task, "IN_PROGRESS", logs=logs)
    assert [entry["log"] for entry in engine.get_task_logs(task["taskId"])] == [
        f"line {i}" for i in range(10)
    ]


def test_task_logs_of_an_unknown_task(engine):
    """Mirrors ExecutionService.log/getTaskLogs: logs are indexed by id, task or no task."""
    assert engine.get_task_logs("nobody") == []
    engine.add_task_log("nobody", "hello")
    assert [entry["log"] for entry in engine.get_task_logs("nobody")] == ["hello"]


def test_an_output_over_ten_megabytes_fails_the_task_for_good(engine, worker):
    """Mirrors ExternalPayloadStorageUtils.verifyAndUpload (maxTaskOutputPayloadSizeThreshold
    10240 KB): the task ends FAILED_WITH_TERMINAL_ERROR with Conductor's message, output
    emptied, and its workflow fails."""
    engine.register_task_defs([{"name": "a", "retryCount": 3}])
    workflow_id = start(engine, sequence("wf", "a"))
    task = worker.take("a")
    big = "x" * (10240 * 1024)
    worker.update(task, "COMPLETED", outputData={"blob": big})
    stored = engine.get_task(task["taskId"])
    assert stored["status"] == "FAILED_WITH_TERMINAL_ERROR"
    assert stored["outputData"] == {}
    size = len('{"blob":""}') + len(big)
    assert stored["reasonForIncompletion"] == (
        f"The payload size: {size} of task: {task['taskId']} in workflow: {workflow_id}  is "
        "greater than the permissible limit: 10485760 bytes"
    )
    assert engine.get_workflow(workflow_id)["status"] == "FAILED"


def test_an_output_just_under_the_limit_is_kept(engine, worker):
    """Mirrors ExternalPayloadStorageUtils.verifyAndUpload: 10240 KB itself is allowed."""
    engine.enqueue_tasks("a", 1)
    task = worker.take("a")
    blob = "x" * (10240 * 1024 - len('{"blob":""}'))
    worker.update(task, "COMPLETED", outputData={"blob": blob})
    assert engine.get_task(task["taskId"])["status"] == "COMPLETED"


def test_an_input_over_ten_megabytes_fails_the_task_before_any_worker_gets_it(engine, worker):
    """Mirrors ExecutionDAOFacade.createTasks with ExternalPayloadStorageUtils.verifyAndUpload
    (maxTaskInputPayloadSizeThreshold 10240 KB) and failTask: the task is created
    FAILED_WITH_TERMINAL_ERROR, its input emptied, with Conductor's message; no worker receives
    it, it is not retried, and its workflow fails."""
    engine.register_task_defs([{"name": "a", "retryCount": 3}, {"name": "b"}])
    definition = sequence("wf", "a", "b")
    twice = {"x": "${a.output.blob}", "y": "${a.output.blob}"}
    definition["tasks"][1]["inputParameters"] = twice
    workflow_id = start(engine, definition)
    blob = "x" * (6 * 1024 * 1024)  # 6 MB of output is allowed; twice that as input is not
    worker.update(worker.take("a"), "COMPLETED", outputData={"blob": blob})
    assert worker.poll("b") is None
    workflow = engine.get_workflow(workflow_id)
    failed = workflow["tasks"][1]
    assert (failed["status"], failed["inputData"]) == ("FAILED_WITH_TERMINAL_ERROR", {})
    size = len('{"x":"","y":""}') + 2 * len(blob)
    assert failed["reasonForIncompletion"] == (
        f"The payload size: {size} of task: {failed['taskId']} in workflow: {workflow_id}  is "
        "greater than the permissible limit: 10485760 bytes"
    )
    assert len(workflow["tasks"]) == 2
    assert workflow["status"] == "FAILED"


def test_an_oversized_input_of_an_optional_task_lets_the_workflow_go_on(engine, worker):
    """Mirrors DeciderService on the failed task: an optional one ends COMPLETED_WITH_ERRORS."""
    definition = sequence("wf", "a", "b")
    definition["tasks"][0]["optional"] = True
    twice = {"x": "${workflow.input.blob}", "y": "${workflow.input.blob}"}
    definition["tasks"][0]["inputParameters"] = twice  # 12 MB from a 6 MB workflow input
    workflow_id = start(engine, definition, input={"blob": "x" * (6 * 1024 * 1024)})
    assert statuses(engine, workflow_id) == [("a", "COMPLETED_WITH_ERRORS"), ("b", "SCHEDULED")]
    assert worker.poll("a") is None
    worker.update(worker.take("b"), "COMPLETED")
    assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"


def test_a_workflow_input_over_ten_megabytes_is_refused_at_the_start(engine):
    """Mirrors ExecutionDAOFacade.createWorkflow with ExternalPayloadStorageUtils.failWorkflow
    (maxWorkflowInputPayloadSizeThreshold 10240 KB): a TerminateWorkflowException, answered
    500, and WorkflowExecutorOps.startWorkflow removes the workflow it began."""
    engine.upsert_workflow_defs([sequence("wf", "a")])
    big = "x" * (10240 * 1024)
    with pytest.raises(ConductorError) as refused:
        engine.start_workflow({"name": "wf", "input": {"blob": big}})
    assert refused.value.status == 500
    assert re.fullmatch(
        r"The payload size: \d+ of workflow: [0-9a-f-]+ is greater than the permissible "
        r"limit: 10485760 bytes",
        refused.value.message,
    )
    assert engine.list_workflows() == []
    assert engine.queue_sizes(["a"]) == {"a": 0}


@pytest.mark.parametrize("ending", ["FAILED", "TIMED_OUT"])
def test_terminating_an_ended_workflow(engine, worker, clock, ending):
    """Mirrors WorkflowExecutorOps.terminateWorkflow: a FAILED (or TIMED_OUT) workflow becomes
    TERMINATED with the new reason; a COMPLETED one cannot be terminated (409)."""
    engine.register_task_defs(
        [{"name": "a", "retryCount": 0, "responseTimeoutSeconds": 5, "timeoutPolicy": "RETRY"}]
    )
    workflow_id = start(engine, sequence("wf", "a"))
    task = worker.take("a")
    if ending == "FAILED":
        worker.update(task, "FAILED")
    else:
        clock.advance_seconds(5)
    assert engine.get_workflow(workflow_id)["status"] == ending
    engine.terminate_workflow(workflow_id, "cleanup")
    workflow = engine.get_workflow(workflow_id)
    assert (workflow["status"], workflow["reasonForIncompletion"]) == ("TERMINATED", "cleanup")
    done = start(engine, sequence("wf2", "b"))
    Worker(engine).update(Worker(engine).take("b"), "COMPLETED")
    with pytest.raises(ConflictError, match="Cannot terminate a COMPLETED workflow."):
        engine.terminate_workflow(done)
