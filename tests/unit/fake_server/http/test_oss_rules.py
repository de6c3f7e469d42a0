"""Rules of Conductor OSS that the official SDK's examples and tests run into: the workflow
status listener, batch correlation lookups, partial inline task definitions, task types of
one's own, and the words of a missing definition's 404. (A timed WAIT during a pause: see
engine/tasks/test_operations.py; signals and synchronous execution: test_execute_signal.py.)
"""

from __future__ import annotations

from tests.unit.fake_server.helpers import sequence


def register(client, definition):
    answer = client.put("/api/metadata/workflow", json=[definition])
    assert answer.status_code == 200, answer.json


def start(client, name, **request):
    answer = client.post("/api/workflow", json={"name": name, **request})
    assert answer.status_code == 200, answer.json
    return answer.text


def poll(client, task_type):
    answer = client.get(f"/api/tasks/poll/{task_type}?workerid=w")
    assert answer.status_code == 200, f"no {task_type} task"
    return answer.json


def update(client, task, status):
    body = {"workflowInstanceId": task["workflowInstanceId"], "taskId": task["taskId"]}
    assert client.post("/api/tasks", json={**body, "status": status}).status_code == 200


def status_of(client, workflow_id):
    return client.get(f"/api/workflow/{workflow_id}").json


def test_status_listener_is_told_of_each_change_and_the_end(client):
    """WorkflowStatusListener via WorkflowExecutorOps.notifyWorkflowStatusListener: with
    workflowStatusListenerEnabled the definition is accepted (it was refused) and each event is
    recorded with its sink for the admin API; a definition without it records nothing."""
    listened = {
        **sequence("listened", "a"),
        "workflowStatusListenerEnabled": True,
        "workflowStatusListenerSink": "conductor:status_queue",
    }
    register(client, listened)
    register(client, sequence("quiet", "a"))
    start(client, "quiet")
    workflow_id = start(client, "listened", correlationId="c-1")
    assert client.put(f"/api/workflow/{workflow_id}/pause").status_code == 200
    assert client.put(f"/api/workflow/{workflow_id}/resume").status_code == 200
    update(client, poll(client, "a"), "COMPLETED")  # the quiet one's task is first in line
    update(client, poll(client, "a"), "COMPLETED")
    assert status_of(client, workflow_id)["status"] == "COMPLETED"

    notifications = client.get("/fake/status-notifications").json
    assert [n["event"] for n in notifications] == [
        "started",
        "paused",
        "resumed",
        "completed",
        "finalized",
    ]
    assert {n["workflowId"] for n in notifications} == {workflow_id}
    assert notifications[0]["sink"] == "conductor:status_queue"
    assert notifications[0]["correlationId"] == "c-1"
    assert notifications[-1]["status"] == "COMPLETED"
    stored = client.get("/api/metadata/workflow/listened").json
    assert stored["workflowStatusListenerEnabled"] is True


def test_status_listener_hears_terminated_for_a_failed_workflow(client):
    """WorkflowExecutorOps.terminateWorkflow notifies TERMINATED for any end without success."""
    client.post("/api/metadata/taskdefs", json=[{"name": "a", "retryCount": 0}])
    register(client, {**sequence("failing", "a"), "workflowStatusListenerEnabled": True})
    start(client, "failing")
    update(client, poll(client, "a"), "FAILED")
    events = [(n["event"], n["status"]) for n in client.get("/fake/status-notifications").json]
    assert events == [("started", "RUNNING"), ("terminated", "FAILED"), ("finalized", "FAILED")]


def test_correlated_batch_answers_each_correlation_id(client):
    """WorkflowResource.getWorkflows (POST /workflow/{name}/correlated): a map from each
    correlation id of the body to its workflows; includeClosed and includeTasks as for one."""
    register(client, sequence("wf", "a"))
    first = start(client, "wf", correlationId="one")
    start(client, "wf", correlationId="two")
    update(client, poll(client, "a"), "COMPLETED")  # "one" is now COMPLETED
    open_only = client.post("/api/workflow/wf/correlated", json=["one", "two", "none"]).json
    assert {key: len(value) for key, value in open_only.items()} == {
        "one": 0,
        "two": 1,
        "none": 0,
    }
    everything = client.post(
        "/api/workflow/wf/correlated?includeClosed=true&includeTasks=true", json=["one"]
    ).json
    assert [w["workflowId"] for w in everything["one"]] == [first]
    assert everything["one"][0]["tasks"][0]["status"] == "COMPLETED"
    assert client.post("/api/workflow/wf/correlated", json={"one": 1}).status_code == 500


def test_an_inline_task_definition_without_a_name_is_accepted_and_applies(client):
    """WorkflowTask.taskDefinition carries no @Valid: Conductor takes a partial inline
    definition as it is (here retryCount 0: the first failure fails the workflow)."""
    task = {"name": "a", "taskReferenceName": "a", "taskDefinition": {"retryCount": 0}}
    register(client, {"name": "inline_def", "tasks": [task]})
    workflow_id = start(client, "inline_def")
    update(client, poll(client, "a"), "FAILED")
    assert status_of(client, workflow_id)["status"] == "FAILED"


def test_a_task_of_an_unknown_type_is_a_user_defined_task(client):
    """TaskType.of reads an unknown type as USER_DEFINED; UserDefinedTaskMapper schedules it
    in the queue of its type for workers, on its task definition; without one the workflow
    fails in its words. The body is valid JSON: never "JSON parse error"."""
    client.post("/api/metadata/taskdefs", json=[{"name": "custom_task", "retryCount": 0}])
    task = {"name": "custom_task", "taskReferenceName": "c", "type": "MY_OWN_TYPE"}
    register(client, {"name": "user_defined", "tasks": [task]})
    workflow_id = start(client, "user_defined")
    polled = poll(client, "MY_OWN_TYPE")
    assert (polled["taskType"], polled["taskDefName"]) == ("MY_OWN_TYPE", "custom_task")
    update(client, polled, "COMPLETED")
    assert status_of(client, workflow_id)["status"] == "COMPLETED"

    unregistered = {"name": "nobody_defined_me", "taskReferenceName": "n", "type": "OTHER"}
    register(client, {"name": "undefined", "tasks": [unregistered]})
    failed = status_of(client, start(client, "undefined"))
    assert failed["status"] == "FAILED"
    assert failed["reasonForIncompletion"] == (
        "Invalid task specified. Cannot find task by name nobody_defined_me in the task definitions"
    )


def test_a_missing_workflow_definition_is_a_404_in_conductors_words(client):
    """MetadataServiceImpl.getWorkflowDef (GET /metadata/workflow/{name}, POST /workflow/{name})
    and MetadataMapperService.lookupForWorkflowDefinition (a StartWorkflowRequest, execute)."""
    answers = {
        "metadata": client.get("/api/metadata/workflow/X?version=2"),
        "by name": client.post("/api/workflow/X", json={}),
        "request": client.post("/api/workflow", json={"name": "X"}),
        "execute": client.post("/api/workflow/execute/X/3", json={}),
    }
    assert {key: answer.status_code for key, answer in answers.items()} == dict.fromkeys(
        answers, 404
    )
    assert {key: answer.json["message"] for key, answer in answers.items()} == {
        "metadata": "No such workflow found by name: X, version: 2",
        "by name": "No such workflow found by name: X, version: null",
        "request": "No such workflow defined. name=X, version=null",
        "execute": "No such workflow defined. name=X, version=3",
    }
