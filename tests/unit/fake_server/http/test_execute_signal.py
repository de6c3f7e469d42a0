"""Synchronous execution and signals, as Conductor OSS answers them: WorkflowResource.
executeWorkflow, TaskResource.signalWorkflowTaskAsync / signalWorkflowTaskSync, and the
SignalResponse that WorkflowSignalResponder and NotificationResult build.

The waits are real time (they hold a request, as a long poll does); each test that waits runs
the waiting request in a thread and drives the workflow from the test meanwhile."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from fake_server.http import create_app
from tests.unit.fake_server.helpers import sequence

WAIT_FOREVER = {"name": "hold", "taskReferenceName": "hold", "type": "WAIT"}
SET_X = {"name": "s", "taskReferenceName": "s", "type": "SET_VARIABLE", "inputParameters": {"x": 1}}


@pytest.fixture
def pool():
    with ThreadPoolExecutor(max_workers=2) as executor:
        yield executor


@pytest.fixture
def other_client(engine):
    """A second client of the same engine: what another program calls while one request waits."""
    return create_app(engine).test_client()


def register(client, definition):
    assert client.put("/api/metadata/workflow", json=[definition]).status_code == 200


def poll_until(client, task_type, deadline_s=5.0):
    give_up = time.monotonic() + deadline_s
    while True:
        answer = client.get(f"/api/tasks/poll/{task_type}?workerid=w")
        if answer.status_code == 200:
            return answer.json
        assert time.monotonic() < give_up, f"no {task_type} task was scheduled"
        time.sleep(0.01)


def complete(client, task, **output):
    body = {"workflowInstanceId": task["workflowInstanceId"], "taskId": task["taskId"]}
    answer = client.post("/api/tasks", json={**body, "status": "COMPLETED", "outputData": output})
    assert answer.status_code == 200


def test_execute_waits_for_the_workers_without_holding_up_other_requests(
    client, other_client, pool
):
    """WorkflowResource.executeWorkflow: the answer comes once the workflow is COMPLETED, as a
    WorkflowRun; meanwhile the workers' polls and updates are answered."""
    register(
        client, {**sequence("greetings", "greet"), "outputParameters": {"r": "${greet.output.r}"}}
    )
    started = time.monotonic()
    future = pool.submit(
        client.post, "/api/workflow/execute/greetings/1?requestId=req-1", json={"input": {"n": 1}}
    )
    task = poll_until(other_client, "greet")
    complete(other_client, task, r="hello")
    answer = future.result(timeout=10)
    assert answer.status_code == 200
    run = answer.json
    assert time.monotonic() - started < 5  # not the 10 s default wait
    assert run["status"] == run["targetWorkflowStatus"] == "COMPLETED"
    assert run["output"] == {"r": "hello"}
    assert run["workflowId"] == run["targetWorkflowId"] == task["workflowInstanceId"]
    assert (run["requestId"], run["responseType"], run["signalTimeout"]) == (
        "req-1",
        "TARGET_WORKFLOW",
        False,
    )
    assert [t["referenceTaskName"] for t in run["tasks"]] == ["greet"]
    assert run["input"] == {"n": 1}


def test_execute_answers_the_running_workflow_after_wait_for_seconds(client):
    """WorkflowSignalResponder's timeout: the current state, signalTimeout true; a request id
    is made up when none is given."""
    register(client, sequence("slow", "nobody_polls"))
    started = time.monotonic()
    run = client.post("/api/workflow/execute/slow/1?waitForSeconds=1", json={}).json
    assert 0.9 <= time.monotonic() - started < 5
    assert (run["status"], run["signalTimeout"]) == ("RUNNING", True)
    assert len(run["requestId"]) == 36  # a UUID


def test_execute_returns_once_a_wait_until_task_ref_has_ended(client, other_client, pool):
    """waitUntilTaskRef is comma-separated: the end of any of them counts as blocking."""
    register(client, sequence("two", "a", "b"))
    future = pool.submit(client.post, "/api/workflow/execute/two/1?waitUntilTaskRef=x, a", json={})
    complete(other_client, poll_until(other_client, "a"))
    run = future.result(timeout=10).json
    assert (run["status"], run["signalTimeout"]) == ("RUNNING", False)
    assert [(t["referenceTaskName"], t["status"]) for t in run["tasks"]] == [
        ("a", "COMPLETED"),
        ("b", "SCHEDULED"),
    ]


def test_execute_stops_at_a_wait_task_and_answers_by_return_strategy(client):
    """NotificationResult.toResponse: BLOCKING_TASK answers a TaskRun of the open WAIT,
    BLOCKING_WORKFLOW the (sub-)workflow that holds it."""
    register(client, {"name": "child", "tasks": [WAIT_FOREVER]})
    sub = {"name": "c", "taskReferenceName": "c", "type": "SUB_WORKFLOW",
           "subWorkflowParam": {"name": "child"}}  # fmt: skip
    register(client, {"name": "parent", "tasks": [sub]})
    task_run = client.post(
        "/api/workflow/execute/parent/1?returnStrategy=BLOCKING_TASK", json={"input": {"k": 1}}
    ).json
    assert task_run["responseType"] == "BLOCKING_TASK"
    assert (task_run["taskType"], task_run["referenceTaskName"]) == ("WAIT", "hold")
    assert task_run["targetWorkflowStatus"] == "RUNNING"
    assert task_run["workflowId"] != task_run["targetWorkflowId"]  # the child holds it
    workflow_run = client.post(
        "/api/workflow/execute/parent/1?returnStrategy=BLOCKING_WORKFLOW", json={}
    ).json
    child = client.get(f"/api/workflow/{workflow_run['workflowId']}").json
    assert child["workflowName"] == "child"
    assert workflow_run["targetWorkflowId"] == child["parentWorkflowId"]


def test_execute_with_an_inline_definition_marks_the_input_dynamic(client):
    """executeWorkflow's markAsDynamicWorkflow; version 0 is the latest."""
    definition = {"name": "inline_wf", "version": 1, "tasks": [SET_X]}
    run = client.post(
        "/api/workflow/execute/inline_wf/0", json={"workflowDef": definition, "input": {"a": 1}}
    ).json
    assert run["status"] == "COMPLETED"
    assert run["input"] == {"a": 1, "_systemMetadata": {"dynamic": True}}
    assert run["variables"] == {"x": 1}


def test_execute_refuses_what_spring_cannot_convert(client):
    register(client, sequence("wf", "a"))
    bad_strategy = client.post("/api/workflow/execute/wf/1?returnStrategy=ALL", json={})
    assert bad_strategy.status_code == 500
    assert "No enum constant" in bad_strategy.json["message"]
    bad_version = client.post("/api/workflow/execute/wf/latest", json={})
    assert bad_version.status_code == 500
    assert "java.lang.Integer" in bad_version.json["message"]


def test_blocking_task_strategy_on_a_completed_workflow_is_conductors_500(client):
    """NotificationResult.toResponse returns null without a blocking task: Reactor's 500."""
    definition = {"name": "quick", "tasks": [SET_X]}
    register(client, definition)
    answer = client.post("/api/workflow/execute/quick/1?returnStrategy=BLOCKING_TASK", json={})
    assert answer.status_code == 500


def test_signal_completes_the_blocked_wait_task(client):
    """TaskResource.signalWorkflowTaskAsync: the first open WAIT gets the status and output;
    the literal path wins over an update by reference name (no task is named "COMPLETED")."""
    register(client, {"name": "held", "tasks": [WAIT_FOREVER],
                      "outputParameters": {"ok": "${hold.output.ok}"}})  # fmt: skip
    workflow_id = client.post("/api/workflow", json={"name": "held"}).text
    answer = client.post(f"/api/tasks/{workflow_id}/COMPLETED/signal", json={"ok": True})
    assert (answer.status_code, answer.data) == (200, b"")
    workflow = client.get(f"/api/workflow/{workflow_id}").json
    assert (workflow["status"], workflow["output"]) == ("COMPLETED", {"ok": True})
    # Nothing blocked any more: the async signal still answers 200.
    assert client.post(f"/api/tasks/{workflow_id}/COMPLETED/signal", json={}).status_code == 200


def test_signal_sync_answers_the_next_blocking_state_or_404(client):
    """TaskResource.signalWorkflowTaskSync: signal, then wait for the workflow to block again
    or end; 404 in its words when no task was blocked."""
    second = {**WAIT_FOREVER, "taskReferenceName": "hold2"}
    register(client, {"name": "two_waits", "tasks": [WAIT_FOREVER, second]})
    workflow_id = client.post("/api/workflow", json={"name": "two_waits"}).text
    url = f"/api/tasks/{workflow_id}/COMPLETED/signal/sync"
    task_run = client.post(f"{url}?returnStrategy=BLOCKING_TASK", json={"n": 1}).json
    assert (task_run["referenceTaskName"], task_run["status"]) == ("hold2", "IN_PROGRESS")
    run = client.post(url, json={}).json
    assert (run["status"], run["responseType"], run["signalTimeout"]) == (
        "COMPLETED",
        "TARGET_WORKFLOW",
        False,
    )
    missing = client.post(url, json={})
    assert missing.status_code == 404
    assert missing.json["message"] == f"Found no blocked task in workflow {workflow_id} to signal"
    bad = client.post(f"/api/tasks/{workflow_id}/DONE/signal", json={})
    assert bad.status_code == 500
