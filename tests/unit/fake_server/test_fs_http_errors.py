"""Client mistakes get a 4xx with Conductor's error body naming the field; the server goes on."""

import pytest
from flask import got_request_exception

from fake_server.engine import Engine
from fake_server.http import create_app

ERROR_KEYS = {"status", "message", "instance", "retryable"}
RESULT = {"workflowInstanceId": "w", "taskId": "t", "status": "COMPLETED"}


def assert_conductor_error(response, status):
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.json
    assert set(body) >= ERROR_KEYS
    assert body["status"] == status
    assert body["retryable"] is False
    return body


BAD_REQUESTS = [
    # (method, path, body, expected status, a word the message must hold)
    ("POST", "/api/tasks", "{not json", 400, "malformed JSON"),
    ("POST", "/api/tasks", None, 400, "JSON body is required"),
    ("POST", "/api/tasks", [1], 400, "must be a JSON object"),
    ("POST", "/api/tasks", {"taskId": "t", "status": "COMPLETED"}, 400, "workflowInstanceId"),
    ("POST", "/api/tasks", {"workflowInstanceId": "w", "status": "COMPLETED"}, 400, "taskId"),
    ("POST", "/api/tasks", {**RESULT, "status": "FINISHED"}, 400, "IN_PROGRESS, COMPLETED"),
    ("POST", "/api/tasks", {**RESULT, "callbackAfterSeconds": "x"}, 400, "callbackAfterSeconds"),
    ("POST", "/api/tasks", RESULT, 404, "No such workflow found by id: w"),
    ("POST", "/api/tasks/update-v2", {**RESULT, "status": 3}, 400, "status"),
    ("POST", "/api/tasks/update-v2", RESULT, 404, "No such workflow"),
    ("GET", "/api/tasks/poll/batch/a?count=many", None, 400, "count"),
    ("GET", "/api/tasks/poll/batch/a?timeout=1.5", None, 400, "timeout"),
    ("GET", "/api/tasks/poll/batch/a?timeout=5001", None, 400, "cannot be more than 5 seconds"),
    ("GET", "/api/tasks/poll/batch/a?timeout=-1", None, 400, "timeout"),
    ("GET", "/api/tasks/nope", None, 404, "No such task found by id: nope"),
    ("POST", "/api/metadata/taskdefs", {"name": "a"}, 400, "must be a JSON list"),
    (
        "POST",
        "/api/metadata/taskdefs",
        [{"name": "a", "retryLogic": "SOON"}],
        400,
        "FIXED, LINEAR_BACKOFF, EXPONENTIAL_BACKOFF",
    ),
    (
        "POST",
        "/api/metadata/taskdefs",
        [{"name": "a", "timeoutPolicy": "NEVER"}],
        400,
        "RETRY, TIME_OUT_WF, ALERT_ONLY",
    ),
    ("POST", "/api/metadata/taskdefs", [{"name": "a", "retryCount": -2}], 400, "retryCount"),
    ("POST", "/api/metadata/taskdefs", [{"retryCount": 2}], 400, "name"),
    ("PUT", "/api/metadata/taskdefs", [{"name": "a"}], 400, "must be a JSON object"),
    ("GET", "/api/metadata/taskdefs/none", None, 404, "No such taskType found by name: none"),
    ("POST", "/api/metadata/workflow", {"name": "wf"}, 400, "tasks"),
    ("POST", "/api/metadata/workflow", {"name": "wf", "tasks": "a"}, 400, "tasks"),
    ("PUT", "/api/metadata/workflow", {"name": "wf"}, 400, "must be a JSON list"),
    ("GET", "/api/metadata/workflow/wf?version=x", None, 400, "version"),
    ("GET", "/api/metadata/workflow/none", None, 404, "No such workflow defined"),
    ("POST", "/api/workflow", {"name": "none"}, 404, "No such workflow defined. name=none"),
    ("POST", "/api/workflow", {"name": "wf", "priority": "high"}, 400, "priority"),
    ("POST", "/api/workflow", {"version": 1}, 400, "name"),
    ("POST", "/api/workflow/wf", [1, 2], 400, "input"),
    ("POST", "/api/workflow/wf?priority=x", {}, 400, "priority"),
    ("GET", "/api/workflow/none", None, 404, "No such workflow found by id: none"),
    ("GET", "/api/workflow/none?includeTasks=maybe", None, 400, "includeTasks"),
    ("DELETE", "/api/workflow/none", None, 404, "No such workflow found by id"),
    ("GET", "/api/nothing/here", None, 404, "No route for GET /api/nothing/here"),
    ("GET", "/nothing", None, 404, "No route"),
    ("DELETE", "/api/tasks", None, 405, "Method DELETE is not allowed"),
    ("PUT", "/api/workflow", {}, 405, "allowed: OPTIONS, POST"),
    ("POST", "/health", None, 405, "not allowed"),
    ("POST", "/fake/tasks", {"count": 1}, 400, "taskType"),
    ("POST", "/fake/tasks", {"taskType": "a", "count": -3}, 400, "count"),
    ("POST", "/fake/tasks", {"taskType": "a", "count": 10**9}, 400, "count"),
    ("POST", "/fake/tasks", {"taskType": "a", "count": "2"}, 400, "count"),
    ("POST", "/fake/tasks", {"taskType": "a", "input": "x"}, 400, "input"),
    ("POST", "/fake/clock/advance", {}, 400, "exactly one of 'ms' or 'seconds'"),
    ("POST", "/fake/clock/advance", {"ms": -5}, 400, "ms"),
    ("POST", "/fake/clock/advance", {"seconds": "x"}, 400, "seconds"),
    ("POST", "/fake/clock/advance", '{"ms": Infinity}', 400, "finite"),
    ("POST", "/fake/clock/advance", '{"seconds": NaN}', 400, "finite"),
    ("POST", "/api/tasks", "[" * 100_000 + "]" * 100_000, 400, "nested too deeply"),
    ("POST", "/api/tasks", b"\xff\xfe{", 400, "malformed JSON"),
    ("POST", "/api/tasks", "null", 400, "must be a JSON object, got null"),
    ("POST", "/api/workflow", {"name": "wf", "version": 0}, 400, "version"),
    ("POST", "/api/workflow", {"workflowDef": {"name": "x"}}, 400, "workflowDef.tasks"),
    ("GET", "/fake/reset", None, 405, "not allowed"),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "words"), BAD_REQUESTS)
def test_bad_request(client, method, path, body, status, words):
    client.post(
        "/api/metadata/workflow",
        json={"name": "wf", "tasks": [{"name": "a", "taskReferenceName": "a"}]},
    )
    kwargs = {"data": body} if isinstance(body, (str, bytes)) else {"json": body}
    response = client.open(path, method=method, **({} if body is None else kwargs))
    error = assert_conductor_error(response, status)
    assert words in error["message"]
    if status == 400:
        assert error["validationErrors"], "a 400 lists what was wrong"
        assert {"path", "message", "invalidValue"} <= set(error["validationErrors"][0])
    assert client.get("/health").status_code == 200  # still serving


def test_the_validation_error_names_the_value(client):
    body = client.post("/api/metadata/taskdefs", json=[{"name": "a", "retryLogic": "SOON"}]).json
    assert body["validationErrors"] == [
        {
            "path": "taskDefs[0].retryLogic",
            "message": "must be one of FIXED, LINEAR_BACKOFF, EXPONENTIAL_BACKOFF",
            "invalidValue": "SOON",
        }
    ]


def test_a_405_lists_the_allowed_methods_in_its_header(client):
    response = client.delete("/api/tasks")
    assert response.headers["Allow"] == "OPTIONS, POST"


class BrokenEngine(Engine):
    def get_task(self, task_id):
        raise RuntimeError("a bug in the engine")


def test_an_engine_bug_is_a_500_with_the_error_body_and_a_logged_traceback(caplog):
    client = create_app(BrokenEngine()).test_client()
    response = client.get("/api/tasks/anything")
    error = assert_conductor_error(response, 500)
    assert "RuntimeError: a bug in the engine" in error["message"]
    assert "Traceback" not in response.get_data(as_text=True)
    assert "Traceback" in caplog.text and "a bug in the engine" in caplog.text
    assert client.get("/health").status_code == 200


def test_an_engine_bug_is_signalled_to_an_embedding_harness():
    app = create_app(BrokenEngine())
    seen = []

    def receiver(sender, exception, **extra):
        seen.append(exception)

    got_request_exception.connect(receiver, app)
    app.test_client().get("/api/tasks/anything")
    assert [str(error) for error in seen] == ["a bug in the engine"]
