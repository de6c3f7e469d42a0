"""The queue routes of TaskResource: verbose sizes and requeue, codes and bodies."""


def test_all_queues_verbose(client):
    client.post("/fake/tasks", json={"taskType": "a", "count": 2})
    client.post("/fake/tasks", json={"taskType": "a", "domain": "d"})
    assert client.get("/api/tasks/poll/a?workerid=w").status_code == 200
    answer = client.get("/api/tasks/queue/all/verbose")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    assert answer.json == {
        "a": {"a": {"size": 1, "uacked": 0}},
        "d:a": {"a": {"size": 1, "uacked": 0}},
    }


def test_requeue_answers_the_count_as_text(client):
    client.post("/fake/tasks", json={"taskType": "a", "count": 2})
    held = client.get("/api/tasks/poll/a?workerid=w").json
    answer = client.post("/api/tasks/queue/requeue/a")
    assert answer.status_code == 200 and answer.mimetype == "text/plain"
    assert answer.get_data(as_text=True) == "2"
    assert client.get("/api/tasks/queue/size?taskType=a").json == 2
    polled = client.get("/api/tasks/poll/batch/a?workerid=other&count=5").json
    assert held["taskId"] in [task["taskId"] for task in polled]
    assert client.post("/api/tasks/queue/requeue/nothing").get_data(as_text=True) == "0"


def test_requeue_is_not_taken_for_an_update_by_reference_name(client):
    """The route is more specific than POST /tasks/{workflowId}/{taskRefName}/{status}."""
    answer = client.post("/api/tasks/queue/requeue/COMPLETED", json={})
    assert (answer.status_code, answer.get_data(as_text=True)) == (200, "0")


def test_requeue_wants_a_post(client):
    answer = client.get("/api/tasks/queue/requeue/a")
    assert answer.status_code == 405
