"""The routes that re-drive and find workflows, update a task by reference name, and size one
queue: codes and bodies as Conductor's WorkflowResource and TaskResource answer them."""

from tests.unit.fake_server.helpers import sequence


def started(client, *task_types, **request):
    assert (
        client.put("/api/metadata/workflow", json=[sequence("wf", *task_types)]).status_code == 200
    )
    answer = client.post("/api/workflow", json={"name": "wf", **request})
    assert answer.status_code == 200
    return answer.text


def poll(client, task_type):
    return client.get(f"/api/tasks/poll/{task_type}?workerid=w").json


def update(client, task, status, **fields):
    body = {"workflowInstanceId": task["workflowInstanceId"], "taskId": task["taskId"]}
    return client.post("/api/tasks", json={**body, "status": status, **fields})


def failed(client):
    client.post("/api/metadata/taskdefs", json=[{"name": "a", "retryCount": 0}])
    workflow_id = started(client, "a", "b")
    update(client, poll(client, "a"), "FAILED")
    assert client.get(f"/api/workflow/{workflow_id}").json["status"] == "FAILED"
    return workflow_id


def test_retry_restart_and_rerun(client):
    """Retry and restart answer 204 (WorkflowResource's @ResponseStatus NO_CONTENT), rerun the
    workflow id as text."""
    workflow_id = failed(client)
    retried = client.post(f"/api/workflow/{workflow_id}/retry")
    assert (retried.status_code, retried.data) == (204, b"")
    assert client.get(f"/api/workflow/{workflow_id}").json["status"] == "RUNNING"
    conflict = client.post(f"/api/workflow/{workflow_id}/restart")
    assert conflict.status_code == 409
    assert conflict.json["message"].endswith("is not in terminal state, unable to restart.")
    client.delete(f"/api/workflow/{workflow_id}?reason=stop")
    restarted = client.post(f"/api/workflow/{workflow_id}/restart?useLatestDefinitions=true")
    assert restarted.status_code == 204
    client.delete(f"/api/workflow/{workflow_id}")
    rerun = client.post(f"/api/workflow/{workflow_id}/rerun", json={"workflowInput": {"n": 2}})
    assert (rerun.status_code, rerun.text) == (200, workflow_id)
    assert client.get(f"/api/workflow/{workflow_id}").json["input"] == {"n": 2}


def test_retry_of_a_running_workflow_is_a_404(client):
    workflow_id = started(client, "a")
    answer = client.post(f"/api/workflow/{workflow_id}/retry")
    assert answer.status_code == 404
    assert answer.json["message"] == "Workflow is still running.  status=RUNNING"


def test_pause_resume_and_the_500_of_resuming_a_running_workflow(client):
    """WorkflowExecutorOps.resumeWorkflow throws IllegalStateException: a 500 there."""
    workflow_id = started(client, "a")
    assert client.put(f"/api/workflow/{workflow_id}/pause").status_code == 200
    assert client.get(f"/api/workflow/{workflow_id}").json["status"] == "PAUSED"
    assert client.put(f"/api/workflow/{workflow_id}/resume").status_code == 200
    again = client.put(f"/api/workflow/{workflow_id}/resume")
    assert again.status_code == 500
    assert "is not PAUSED so cannot resume" in again.json["message"]


def test_skip_a_task(client):
    workflow_id = started(client, "a", "b")
    skip = client.put(f"/api/workflow/{workflow_id}/skiptask/b")
    assert skip.status_code == 200
    update(client, poll(client, "a"), "COMPLETED")
    workflow = client.get(f"/api/workflow/{workflow_id}").json
    assert workflow["status"] == "COMPLETED"
    assert [t["status"] for t in workflow["tasks"]] == ["COMPLETED", "SKIPPED"]


def test_skip_reads_the_skipped_task_s_input_and_output_from_the_query(client, caplog):
    """WorkflowResource.skipTaskFromWorkflow binds SkipTaskRequest from query parameters (it
    is not a @RequestBody): map entries as taskOutput[key]=value, a JSON body ignored."""
    workflow_id = started(client, "a", "b", "c")
    query = "taskOutput[x]=1&taskOutput['y']=two&taskInput[n]=3&skipTaskRequest=ignored"
    assert client.put(f"/api/workflow/{workflow_id}/skiptask/b?{query}").status_code == 200
    ignored = client.put(f"/api/workflow/{workflow_id}/skiptask/c", json={"taskOutput": {"z": 1}})
    assert ignored.status_code == 200
    assert "the body is ignored, as Conductor ignores it" in caplog.text
    tasks = {
        t["referenceTaskName"]: t for t in client.get(f"/api/workflow/{workflow_id}").json["tasks"]
    }
    assert tasks["b"]["outputData"] == {"x": "1", "y": "two"}
    assert tasks["b"]["inputData"] == {"n": "3"}
    assert tasks["c"]["outputData"] == {}


def test_reset_callbacks_and_remove(client):
    workflow_id = started(client, "a")
    update(client, poll(client, "a"), "IN_PROGRESS", callbackAfterSeconds=300)
    assert client.get("/api/tasks/poll/a").status_code == 204
    assert client.post(f"/api/workflow/{workflow_id}/resetcallbacks").status_code == 204
    assert client.get("/api/tasks/poll/a").status_code == 200
    remove = f"/api/workflow/{workflow_id}/remove"
    refused = client.delete(remove)  # archiveWorkflow=true by default: it must have ended
    assert refused.status_code == 400
    assert refused.json["message"] == (
        f"Cannot archive workflow: {workflow_id} with status: RUNNING"
    )
    assert client.delete(f"{remove}?archiveWorkflow=false").status_code == 200
    assert client.get(f"/api/workflow/{workflow_id}").status_code == 404


def test_an_archived_workflow_is_still_read_and_found(client):
    workflow_id = failed(client)
    assert client.delete(f"/api/workflow/{workflow_id}/remove").status_code == 200
    assert client.get(f"/api/workflow/{workflow_id}").json["status"] == "FAILED"
    assert client.get("/api/workflow/search").json["totalHits"] == 1
    assert client.post(f"/api/workflow/{workflow_id}/retry").status_code == 404


def test_retry_resuming_a_failed_sub_workflow(client):
    """resumeSubworkflowTasks=true: the failed child is retried in place, the parent's
    SUB_WORKFLOW task follows it (WorkflowExecutorOps.retry)."""
    client.post("/api/metadata/taskdefs", json=[{"name": "a", "retryCount": 0}])
    client.put("/api/metadata/workflow", json=[sequence("child", "a")])
    sub = {"name": "child", "taskReferenceName": "sub", "type": "SUB_WORKFLOW"}
    sub["subWorkflowParam"] = {"name": "child", "version": 1}
    client.put("/api/metadata/workflow", json=[{"name": "parent", "tasks": [sub]}])
    parent_id = client.post("/api/workflow", json={"name": "parent"}).text
    update(client, poll(client, "a"), "FAILED")
    parent = client.get(f"/api/workflow/{parent_id}").json
    assert parent["status"] == "FAILED"
    child_id = parent["tasks"][0]["subWorkflowId"]
    retried = client.post(f"/api/workflow/{parent_id}/retry?resumeSubworkflowTasks=true")
    assert retried.status_code == 204
    parent = client.get(f"/api/workflow/{parent_id}").json
    assert parent["status"] == "RUNNING"
    assert [(t["subWorkflowId"], t["status"]) for t in parent["tasks"]] == [
        (child_id, "IN_PROGRESS")
    ]
    update(client, poll(client, "a"), "COMPLETED")
    assert client.get(f"/api/workflow/{child_id}").json["status"] == "COMPLETED"
    assert client.get(f"/api/workflow/{parent_id}").json["status"] == "COMPLETED"


def test_running_correlated_and_search(client):
    first = started(client, "a", correlationId="c-1")
    second = started(client, "a", correlationId="c-1")
    client.delete(f"/api/workflow/{second}")
    assert client.get("/api/workflow/running/wf").json == [first]
    correlated = client.get("/api/workflow/wf/correlated/c-1?includeClosed=true").json
    assert [w["workflowId"] for w in correlated] == [first, second]
    found = client.get("/api/workflow/search?query=status%20%3D%20TERMINATED").json
    assert found["totalHits"] == 1 and found["results"][0]["workflowId"] == second
    refused = client.get("/api/workflow/search?freeText=status:RUNNING")
    assert refused.status_code == 400
    assert refused.json["message"].startswith("not supported by the fake server")


def test_update_by_reference_name(client):
    """TaskResource.updateTask by workflow id and reference name, and its sync variant."""
    workflow_id = started(client, "a", "b")
    answer = client.post(f"/api/tasks/{workflow_id}/a/COMPLETED?workerid=me", json={"r": 1})
    assert answer.status_code == 200 and answer.mimetype == "text/plain"
    task = client.get(f"/api/tasks/{answer.text}").json
    assert (task["status"], task["outputData"], task["workerId"]) == ("COMPLETED", {"r": 1}, "me")
    synced = client.post(f"/api/tasks/{workflow_id}/b/COMPLETED/sync", json={})
    assert synced.status_code == 200
    assert synced.json["status"] == "COMPLETED" and len(synced.json["tasks"]) == 2
    missing = client.post(f"/api/tasks/{workflow_id}/b/COMPLETED/sync", json={})
    assert missing.status_code == 404
    assert missing.json["message"] == f"Found no running task b of workflow {workflow_id} to update"
    assert client.post(f"/api/tasks/{workflow_id}/b/COMPLETED", json={}).text == ""


def test_queue_size_with_domain_and_logs_none(client):
    started(client, "a", taskToDomain={"a": "gpu"})
    assert client.get("/api/tasks/queue/size?taskType=a&domain=gpu").json == 1
    assert client.get("/api/tasks/queue/size?taskType=a&domain=%20").json == 0
    assert client.get("/api/tasks/queue/size?taskType=a").json == 0
    task = client.get("/api/tasks/poll/a?domain=gpu").json
    assert client.get(f"/api/tasks/{task['taskId']}/log").status_code == 204


def test_a_blank_domain_polls_the_queue_named_with_it(client):
    """QueueUtils.getQueueName with domain "": the queue ":a", not the plain one."""
    client.post("/fake/tasks", json={"taskType": "a"})
    assert client.get("/api/tasks/poll/a?domain=").status_code == 204
    assert client.get("/api/tasks/poll/batch/a?domain=&timeout=0").json == []
    assert client.get("/api/tasks/poll/a").status_code == 200
