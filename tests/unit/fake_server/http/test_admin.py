"""The /fake admin API over the Flask test client."""

import sys

from fake_server import ManualClock, SystemClock
from fake_server.engine import Engine
from fake_server.http import create_app


def test_enqueue_adhoc_tasks_and_update_them(client):
    response = client.post("/fake/tasks", json={"taskType": "a", "count": 3, "input": {"n": 1}})
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.json
    assert len(body["taskIds"]) == 3
    assert body["workflowInstanceId"].startswith("adhoc-")
    task = client.get("/api/tasks/poll/a?workerid=w").json
    assert (task["taskId"], task["inputData"]) == (body["taskIds"][0], {"n": 1})
    result = {
        "workflowInstanceId": body["workflowInstanceId"],
        "taskId": task["taskId"],
        "status": "COMPLETED",
    }
    assert client.post("/api/tasks", json=result).status_code == 200
    assert client.get(f"/api/tasks/{task['taskId']}").json["status"] == "COMPLETED"


def test_count_defaults_to_one_and_domain_is_used(client):
    body = client.post("/fake/tasks", json={"taskType": "a", "domain": "d"}).json
    assert len(body["taskIds"]) == 1
    assert client.get("/api/tasks/queue/sizes?taskType=d:a").json == {"d:a": 1}


def test_start_workflows_in_one_go(client):
    definition = {
        "name": "one",
        "version": 1,
        "tasks": [
            {
                "name": "a",
                "taskReferenceName": "a1",
                "type": "SIMPLE",
                "inputParameters": {"n": "${workflow.input.n}"},
            }
        ],
    }
    assert client.post("/api/metadata/workflow", json=definition).status_code == 200
    request = {"request": {"name": "one", "input": {"n": 7}}, "count": 3}
    response = client.post("/fake/workflows", json=request)
    assert response.status_code == 200
    workflow_ids = response.json["workflowIds"]
    assert len(set(workflow_ids)) == 3
    assert client.get("/api/tasks/queue/sizes?taskType=a").json == {"a": 3}
    task = client.get("/api/tasks/poll/a?workerid=w").json
    assert (task["workflowInstanceId"], task["inputData"]) == (workflow_ids[0], {"n": 7})


def test_start_workflows_says_what_is_wrong(client):
    response = client.post("/fake/workflows", json={"request": {"name": "nope"}, "count": 2})
    assert response.status_code == 404
    response = client.post("/fake/workflows", json={"request": {"name": "x"}, "count": 0})
    assert response.status_code == 400 and "count" in response.json["message"]


def test_clock_advance_moves_a_manual_clock(client, clock):
    start = clock.now_ms()
    assert client.get("/fake/clock").json == {"now": start, "manual": True}
    response = client.post("/fake/clock/advance", json={"ms": 250})
    assert (response.status_code, response.json) == (200, {"now": start + 250})
    assert client.post("/fake/clock/advance", json={"seconds": 1.5}).json == {"now": start + 1750}
    assert clock.now_ms() == start + 1750


def test_clock_advance_fires_timeouts(client):
    client.post("/api/metadata/taskdefs", json=[{"name": "a", "responseTimeoutSeconds": 5}])
    (task_id,) = client.post("/fake/tasks", json={"taskType": "a"}).json["taskIds"]
    client.get("/api/tasks/poll/a?workerid=w")
    client.post("/fake/clock/advance", json={"seconds": 5})
    assert client.get(f"/api/tasks/{task_id}").json["status"] == "TIMED_OUT"


def test_clock_advance_on_the_system_clock_is_a_conflict():
    client = create_app(Engine(SystemClock())).test_client()
    response = client.post("/fake/clock/advance", json={"ms": 10})
    assert response.status_code == 409
    assert "system clock" in response.json["message"]
    assert client.get("/fake/clock").json["manual"] is False


def test_stats(client):
    client.post("/fake/tasks", json={"taskType": "a", "count": 2})
    client.get("/api/tasks/poll/batch/a?workerid=w&count=1&timeout=0")
    stats = client.get("/fake/stats").json
    assert stats["queues"]["a"]["scheduled"] == 1
    assert stats["queues"]["a"]["inProgress"] == 1
    assert stats["workers"]["w"]["polls"] == 1
    assert stats["workers"]["w"]["tasksHandedOut"] == 1
    assert stats["pickupLatencyMs"]["all"]["count"] == 1


def test_state_and_reset(client):
    client.post("/api/metadata/taskdefs", json=[{"name": "a"}])
    client.post("/fake/tasks", json={"taskType": "a", "count": 2})
    state = client.get("/fake/state").json
    assert len(state["tasks"]) == 2
    assert len(state["queues"]["a"]) == 2
    assert state["taskDefs"][0]["name"] == "a"
    response = client.post("/fake/reset")
    assert (response.status_code, response.json) == (200, {"reset": True})
    state = client.get("/fake/state").json
    assert (state["tasks"], state["taskDefs"], state["queues"]) == ([], [], {})
    assert client.get("/api/metadata/taskdefs/a").status_code == 404


def test_stats_count_what_the_retention_removed():
    client = create_app(Engine(ManualClock(), retention_seconds=10)).test_client()
    ids = client.post("/fake/tasks", json={"taskType": "a", "count": 2}).json
    task = client.get("/api/tasks/poll/a?workerid=w").json
    result = {"workflowInstanceId": ids["workflowInstanceId"], "taskId": task["taskId"]}
    client.post("/api/tasks", json={**result, "status": "COMPLETED"})
    client.post("/fake/clock/advance", json={"seconds": 11})
    stats = client.get("/fake/stats").json
    assert stats["tasks"] == 1  # the one still queued
    assert stats["retention"]["seconds"] == 10
    assert (stats["retention"]["removedTasks"], stats["retention"]["removedWorkers"]) == (1, 1)
    assert client.get(f"/api/tasks/{task['taskId']}").status_code == 404


def test_stats_show_the_serving_process_memory(client):
    before = client.get("/fake/stats").json["memory"]
    client.post("/fake/tasks", json={"taskType": "a", "count": 20_000})
    after = client.get("/fake/stats").json["memory"]
    # Python's live blocks follow what the server holds (a task is several objects).
    assert after["pythonBlocks"] - before["pythonBlocks"] > 20_000
    if sys.platform.startswith("linux"):
        assert after["rssMb"] > 10
        assert after["cHeapInUseMb"] > 0 and after["cHeapFreeMb"] >= 0
