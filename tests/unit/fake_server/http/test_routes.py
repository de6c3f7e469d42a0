"""Every route over the Flask test client: status codes, content types, bodies."""

import pytest

WORKFLOW = {
    "name": "wf",
    "tasks": [{"name": "a", "taskReferenceName": "a"}, {"name": "b", "taskReferenceName": "b"}],
}


def is_json(response):
    return response.mimetype == "application/json"


def is_text(response):
    return response.mimetype == "text/plain"


@pytest.fixture
def workflow_id(client):
    assert client.post("/api/metadata/workflow", json=WORKFLOW).status_code == 200
    response = client.post("/api/workflow", json={"name": "wf", "input": {"x": 1}})
    return response.get_data(as_text=True)


def test_health_at_root_and_under_api(client):
    for path in ("/health", "/api/health"):
        response = client.get(path)
        assert response.status_code == 200
        assert is_json(response)
        assert response.json == {
            "healthResults": [],
            "suppressedHealthResults": [],
            "healthy": True,
        }


def test_task_defs(client):
    response = client.post("/api/metadata/taskdefs", json=[{"name": "a", "retryCount": 1}])
    assert (response.status_code, response.data) == (200, b"")
    response = client.get("/api/metadata/taskdefs/a")
    assert response.status_code == 200 and is_json(response)
    assert response.json["retryCount"] == 1
    assert (
        client.put("/api/metadata/taskdefs", json={"name": "a", "retryCount": 2}).status_code == 200
    )
    assert client.get("/api/metadata/taskdefs/a").json["retryCount"] == 2
    assert [d["name"] for d in client.get("/api/metadata/taskdefs").json] == ["a"]
    assert client.put("/api/metadata/taskdefs", json={"name": "zz"}).status_code == 404
    assert client.get("/api/metadata/taskdefs/zz").status_code == 404
    assert client.delete("/api/metadata/taskdefs/a").status_code == 200
    assert client.get("/api/metadata/taskdefs/a").status_code == 404


def test_workflow_defs(client):
    assert client.post("/api/metadata/workflow", json=WORKFLOW).status_code == 200
    conflict = client.post("/api/metadata/workflow", json=WORKFLOW)
    assert conflict.status_code == 409 and is_json(conflict)
    assert conflict.json["message"] == "Workflow with wf.1 already exists!"
    overwrite = client.post(
        "/api/metadata/workflow?overwrite=true", json={**WORKFLOW, "tasks": WORKFLOW["tasks"][:1]}
    )
    assert overwrite.status_code == 200
    assert len(client.get("/api/metadata/workflow/wf").json["tasks"]) == 1
    response = client.put("/api/metadata/workflow", json=[{**WORKFLOW, "version": 2}])
    assert response.status_code == 200
    assert response.json == {"bulkErrorResults": {}, "bulkSuccessfulResults": ["wf"]}
    assert client.get("/api/metadata/workflow/wf").json["version"] == 2
    assert client.get("/api/metadata/workflow/wf?version=1").json["version"] == 1
    assert client.get("/api/metadata/workflow/wf?version=9").status_code == 404
    assert len(client.get("/api/metadata/workflow").json) == 2
    assert client.delete("/api/metadata/workflow/wf/1").status_code == 200
    assert client.get("/api/metadata/workflow/wf?version=1").status_code == 404


def test_start_workflow_answers_the_id_as_text(client, workflow_id):
    response = client.post("/api/workflow", json={"name": "wf"})
    assert response.status_code == 200 and is_text(response)
    assert len(response.get_data(as_text=True)) == 36
    assert client.get("/api/tasks/queue/sizes?taskType=a").json == {"a": 2}  # queued already


def test_start_workflow_by_name(client, workflow_id):
    response = client.post(
        "/api/workflow/wf?correlationId=c-1&version=1&priority=3", json={"k": "v"}
    )
    assert response.status_code == 200 and is_text(response)
    workflow = client.get(f"/api/workflow/{response.get_data(as_text=True)}").json
    assert (workflow["input"], workflow["correlationId"], workflow["priority"]) == (
        {"k": "v"},
        "c-1",
        3,
    )
    empty = client.post("/api/workflow/wf")  # no body: empty input
    assert empty.status_code == 200
    assert client.post("/api/workflow/nope", json={}).status_code == 404


def test_get_workflow(client, workflow_id):
    response = client.get(f"/api/workflow/{workflow_id}")
    assert response.status_code == 200 and is_json(response)
    body = response.json
    assert body["workflowId"] == workflow_id
    assert body["status"] == "RUNNING"
    assert [t["referenceTaskName"] for t in body["tasks"]] == ["a"]
    assert "tasks" not in client.get(f"/api/workflow/{workflow_id}?includeTasks=false").json
    missing = client.get("/api/workflow/nope")
    assert missing.status_code == 404
    assert missing.json["message"] == "No such workflow found by id: nope"


def test_workflow_status_summary(client, workflow_id):
    response = client.get(f"/api/workflow/{workflow_id}/status")
    assert response.status_code == 200 and is_json(response)
    # Only what was asked for: no correlation id was given, output and variables not requested.
    assert response.json == {"workflowId": workflow_id, "status": "RUNNING"}
    correlated = client.post("/api/workflow/wf?correlationId=c-7", json={}).get_data(as_text=True)
    client.delete(f"/api/workflow/{correlated}?reason=enough")
    full = client.get(f"/api/workflow/{correlated}/status?includeOutput=true&includeVariables=true")
    assert full.json == {
        "workflowId": correlated,
        "status": "TERMINATED",
        "correlationId": "c-7",
        "output": {},
        "variables": {},
    }
    missing = client.get("/api/workflow/nope/status")
    assert missing.status_code == 404
    assert missing.json["message"] == "No such workflow found by id: nope"


def test_terminate_workflow(client, workflow_id):
    assert client.delete(f"/api/workflow/{workflow_id}?reason=enough").status_code == 200
    body = client.get(f"/api/workflow/{workflow_id}").json
    assert (body["status"], body["reasonForIncompletion"]) == ("TERMINATED", "enough")


def test_poll_answers_204_without_a_task(client):
    response = client.get("/api/tasks/poll/a?workerid=w")
    assert response.status_code == 204
    assert response.data == b""


def test_poll_and_update(client, workflow_id):
    response = client.get("/api/tasks/poll/a?workerid=w")
    assert response.status_code == 200 and is_json(response)
    task = response.json
    assert (task["taskType"], task["status"], task["workerId"]) == ("a", "IN_PROGRESS", "w")
    result = {
        "workflowInstanceId": workflow_id,
        "taskId": task["taskId"],
        "status": "COMPLETED",
        "outputData": {"r": 1},
    }
    response = client.post("/api/tasks", json=result)
    assert response.status_code == 200 and is_text(response)
    assert response.get_data(as_text=True) == task["taskId"]
    fetched = client.get(f"/api/tasks/{task['taskId']}")
    assert fetched.status_code == 200 and fetched.json["outputData"] == {"r": 1}
    assert client.get("/api/tasks/nope").status_code == 404


def test_batch_poll(client):
    client.post("/fake/tasks", json={"taskType": "a", "count": 3})
    client.post("/fake/tasks", json={"taskType": "a", "count": 1, "domain": "d"})
    response = client.get("/api/tasks/poll/batch/a?workerid=w&count=2&timeout=10")
    assert response.status_code == 200 and is_json(response)
    assert len(response.json) == 2
    assert len(client.get("/api/tasks/poll/batch/a?count=5&timeout=1").json) == 1
    assert client.get("/api/tasks/poll/batch/a?timeout=1").json == []  # 200 with []
    in_domain = client.get("/api/tasks/poll/batch/a?domain=d&timeout=1").json
    assert [t["domain"] for t in in_domain] == ["d"]
    assert client.get("/api/tasks/poll/batch/a?count=0").json == []


def test_update_v2(client):
    client.post("/fake/tasks", json={"taskType": "a", "count": 2})
    first = client.get("/api/tasks/poll/a?workerid=w").json
    result = {
        "workflowInstanceId": first["workflowInstanceId"],
        "taskId": first["taskId"],
        "status": "COMPLETED",
        "workerId": "w",
    }
    response = client.post("/api/tasks/update-v2", json=result)
    assert response.status_code == 200 and is_json(response)
    second = response.json
    assert second["taskId"] != first["taskId"] and second["status"] == "IN_PROGRESS"
    response = client.post("/api/tasks/update-v2", json={**result, "taskId": second["taskId"]})
    assert (response.status_code, response.data) == (204, b"")


def update_with_output(client, route, output_text):
    """Posts a result whose outputData is ``output_text`` (JSON, as written) for a new task."""
    (task_id,) = client.post("/fake/tasks", json={"taskType": "big"}).json["taskIds"]
    task = client.get("/api/tasks/poll/big?workerid=w").json
    body = (
        f'{{"workflowInstanceId":"{task["workflowInstanceId"]}","taskId":"{task_id}",'
        f'"status":"COMPLETED","outputData":{output_text}}}'
    )
    response = client.post(route, data=body, content_type="application/json")
    return response, client.get(f"/api/tasks/{task_id}").json


@pytest.mark.parametrize("route", ["/api/tasks", "/api/tasks/update-v2"])
def test_an_output_is_measured_as_written_back_not_as_sent(client, route):
    """Conductor measures the output it stores: 1e15 sent in 4 bytes is stored as
    1000000000000000.0, so 2.7 MB of them is over the 10 MB limit."""
    count = 10240 * 1024 // len("1000000000000000.0,") + 1
    numbers = ",".join(["1e15"] * count)
    response, stored = update_with_output(client, route, '{"n":[' + numbers + "]}")
    assert response.status_code in (200, 204)
    size = len('{"n":[]}') + count * len("1000000000000000.0,") - 1
    assert stored["status"] == "FAILED_WITH_TERMINAL_ERROR"
    assert stored["reasonForIncompletion"].startswith(f"The payload size: {size} of task:")


@pytest.mark.parametrize("padding", [0, 2 * 1024 * 1024])
def test_an_output_with_a_lone_surrogate_is_stored(client, padding):
    """JSON may hold a lone surrogate (\\ud800), which Java's strings keep: the output is
    measured and stored, not refused with a server error; a small and a large output alike."""
    output = '{"odd":"\\ud800","pad":"' + "x" * padding + '"}'
    response, stored = update_with_output(client, "/api/tasks", output)
    assert response.status_code == 200
    assert stored["status"] == "COMPLETED"
    assert stored["outputData"]["odd"] == "\ud800"


def test_task_logs(client):
    (task_id,) = client.post("/fake/tasks", json={"taskType": "a"}).json["taskIds"]
    plain = client.post(f"/api/tasks/{task_id}/log", data="plain line", content_type="text/plain")
    assert plain.status_code == 200
    quoted = client.post(f"/api/tasks/{task_id}/log", json="json line")  # as generated clients send
    assert quoted.status_code == 200
    logs = client.get(f"/api/tasks/{task_id}/log")
    assert logs.status_code == 200 and is_json(logs)
    assert [entry["log"] for entry in logs.json] == ["plain line", "json line"]
    assert client.get("/api/tasks/nope/log").status_code == 204  # none: as Conductor


def test_queue_sizes_and_poll_data(client):
    client.post("/fake/tasks", json={"taskType": "a", "count": 2})
    client.post("/fake/tasks", json={"taskType": "a", "count": 1, "domain": "d"})
    client.get("/api/tasks/poll/batch/b?workerid=w1&timeout=0")
    client.get("/api/tasks/poll/batch/b?workerid=w2&domain=x&timeout=0")
    sizes = client.get("/api/tasks/queue/sizes?taskType=a&taskType=d:a&taskType=none")
    assert sizes.status_code == 200 and sizes.json == {"a": 2, "d:a": 1, "none": 0}
    assert client.get("/api/tasks/queue/all").json == {"a": 2, "d:a": 1}
    poll_data = client.get("/api/tasks/queue/polldata?taskType=b").json
    assert {(p["queueName"], p.get("domain"), p["workerId"]) for p in poll_data} == {
        ("b", None, "w1"),
        ("b", "x", "w2"),
    }
    assert len(client.get("/api/tasks/queue/polldata/all").json) == 2
    assert client.get("/api/tasks/queue/polldata").status_code == 500  # Spring: missing


def test_token_without_auth_is_404_so_clients_go_without(client):
    response = client.post("/api/token", json={"keyId": "k", "keySecret": "s"})
    assert response.status_code == 404 and is_json(response)
