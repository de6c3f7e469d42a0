"""Client mistakes get Conductor's status code and error body, with the fake's precise words
beside them; the admin API answers its own 400s; the server goes on serving."""

import pytest
from flask import got_request_exception

from fake_server.engine import Engine
from fake_server.http import create_app

VALIDATION_FAILED = "Validation failed, check below errors for detail."
RESULT = {"workflowInstanceId": "w", "taskId": "t", "status": "COMPLETED"}

# How each kind of mistake is answered:
# - "constraint": a failed constraint (Conductor's ValidationExceptionMapper): 400
#   "Validation failed..." with validationErrors and no instance; the words in fakeServerDetail.
# - "unreadable": what Spring cannot read or convert (ApplicationExceptionMapper): 500 with
#   Spring's message; the words in fakeServerDetail.
# - "conductor": Conductor's own message holds the words (IllegalArgumentException's 400,
#   404, 409, 405).
# - "own": the fake's own API or boundary: the words in the message, no fakeServerDetail.
BAD_REQUESTS = [
    # (method, path, body, status, kind, words)
    ("POST", "/api/tasks", "{not json", 500, "unreadable", "malformed JSON"),
    ("POST", "/api/tasks", None, 500, "unreadable", "JSON body is required"),
    ("POST", "/api/tasks", [1], 500, "unreadable", "must be a JSON object"),
    ("POST", "/api/tasks", "null", 500, "unreadable", "must be a JSON object, got null"),
    ("POST", "/api/tasks", "[" * 100_000 + "]" * 100_000, 500, "unreadable", "nested too deeply"),
    ("POST", "/api/tasks", b"\xff\xfe{", 500, "unreadable", "malformed JSON"),
    ("POST", "/api/tasks", '{"taskId": NaN}', 500, "unreadable", "Non-standard token 'NaN'"),
    (
        "POST",
        "/api/tasks",
        {**RESULT, "status": "FINISHED"},
        500,
        "unreadable",
        "IN_PROGRESS, COMPLETED",
    ),
    (
        "POST",
        "/api/tasks",
        {**RESULT, "callbackAfterSeconds": "x"},
        500,
        "unreadable",
        "callbackAfterSeconds",
    ),
    (
        "POST",
        "/api/tasks",
        {"taskId": "t", "status": "COMPLETED"},
        400,
        "constraint",
        "TaskResult.workflowInstanceId: Workflow Id cannot be null or empty",
    ),
    (
        "POST",
        "/api/tasks",
        {"workflowInstanceId": "w", "status": "COMPLETED"},
        400,
        "constraint",
        "TaskResult.taskId: Task ID cannot be null or empty",
    ),
    ("POST", "/api/tasks", RESULT, 404, "conductor", "No such workflow found by id: w"),
    ("POST", "/api/tasks/update-v2", {**RESULT, "status": "DONE"}, 500, "unreadable", "status"),
    (
        "POST",
        "/api/tasks/update-v2",
        {"status": "COMPLETED"},
        500,
        "unreadable",
        "Task ID cannot be null",
    ),
    ("POST", "/api/tasks/update-v2", RESULT, 404, "conductor", "No such workflow"),
    (
        "GET",
        "/api/tasks/poll/batch/a?count=many",
        None,
        500,
        "unreadable",
        "count: must be an integer",
    ),
    ("GET", "/api/tasks/poll/batch/a?timeout=1.5", None, 500, "unreadable", "timeout"),
    (
        "GET",
        "/api/tasks/poll/batch/a?timeout=5001",
        None,
        400,
        "conductor",
        "Long Poll Timeout value cannot be more than 5 seconds",
    ),
    ("GET", "/api/tasks/poll/batch/a?timeout=-1", None, 400, "own", "negative poll timeout"),
    ("GET", "/api/tasks/nope", None, 404, "conductor", "Task not found for taskId: nope"),
    (
        "GET",
        "/api/tasks/queue/size",
        None,
        500,
        "unreadable",
        "taskType: query parameter is required",
    ),
    (
        "GET",
        "/api/tasks/queue/polldata?taskType=",
        None,
        400,
        "constraint",
        "TaskType cannot be null or empty.",
    ),
    ("POST", "/api/metadata/taskdefs", {"name": "a"}, 500, "unreadable", "must be a JSON list"),
    (
        "POST",
        "/api/metadata/taskdefs",
        [{"name": "a", "retryLogic": "SOON"}],
        500,
        "unreadable",
        "FIXED, LINEAR_BACKOFF, EXPONENTIAL_BACKOFF",
    ),
    (
        "POST",
        "/api/metadata/taskdefs",
        [{"name": "a", "timeoutPolicy": "NEVER"}],
        500,
        "unreadable",
        "RETRY, TIME_OUT_WF, ALERT_ONLY",
    ),
    (
        "POST",
        "/api/metadata/taskdefs",
        [{"name": "a", "retryCount": -2}],
        400,
        "constraint",
        "retryCount",
    ),
    ("POST", "/api/metadata/taskdefs", [{"retryCount": 2}], 400, "constraint", "name"),
    ("PUT", "/api/metadata/taskdefs", [{"name": "a"}], 500, "unreadable", "must be a JSON object"),
    (
        "GET",
        "/api/metadata/taskdefs/none",
        None,
        404,
        "conductor",
        "No such taskType found by name: none",
    ),
    ("POST", "/api/metadata/workflow", {"name": "wf"}, 400, "constraint", "tasks"),
    ("POST", "/api/metadata/workflow", {"name": "wf", "tasks": "a"}, 500, "unreadable", "tasks"),
    ("PUT", "/api/metadata/workflow", {"name": "wf"}, 500, "unreadable", "must be a JSON list"),
    ("GET", "/api/metadata/workflow/wf?version=x", None, 500, "unreadable", "version"),
    (
        "GET",
        "/api/metadata/workflow/none",
        None,
        404,
        "conductor",
        "No such workflow found by name: none, version: null",
    ),
    (
        "POST",
        "/api/workflow",
        {"name": "none"},
        404,
        "conductor",
        "No such workflow defined. name=none",
    ),
    ("POST", "/api/workflow", {"name": "wf", "version": 0}, 404, "conductor", "name=wf, version=0"),
    ("POST", "/api/workflow", {"name": "wf", "priority": "high"}, 500, "unreadable", "priority"),
    ("POST", "/api/workflow", {"name": "wf", "priority": 100}, 400, "constraint", "priority"),
    ("POST", "/api/workflow", {"version": 1}, 400, "constraint", "name"),
    (
        "POST",
        "/api/workflow",
        {"workflowDef": {"name": "x"}},
        400,
        "constraint",
        "workflowDef.tasks",
    ),
    ("POST", "/api/workflow/wf", [1, 2], 500, "unreadable", "input"),
    ("POST", "/api/workflow/wf?priority=x", {}, 500, "unreadable", "priority"),
    ("GET", "/api/workflow/none", None, 404, "conductor", "No such workflow found by id: none"),
    ("GET", "/api/workflow/none?includeTasks=maybe", None, 500, "unreadable", "includeTasks"),
    ("DELETE", "/api/workflow/none", None, 404, "conductor", "No such workflow found by id"),
    ("GET", "/api/nothing/here", None, 404, "conductor", "No route for GET /api/nothing/here"),
    ("GET", "/nothing", None, 404, "conductor", "No route"),
    ("DELETE", "/api/tasks", None, 405, "conductor", "Method DELETE is not allowed"),
    ("PUT", "/api/workflow", {}, 405, "conductor", "allowed: OPTIONS, POST"),
    ("POST", "/health", None, 405, "conductor", "not allowed"),
    ("GET", "/fake/reset", None, 405, "conductor", "not allowed"),
    # The admin API (the fake's own): 400 with the precise words, whatever Conductor would say.
    ("POST", "/fake/tasks", {"count": 1}, 400, "own", "taskType"),
    ("POST", "/fake/tasks", {"taskType": "a", "count": -3}, 400, "own", "count"),
    ("POST", "/fake/tasks", {"taskType": "a", "count": 10**9}, 400, "own", "count"),
    (
        "POST",
        "/fake/tasks",
        {"taskType": "a", "count": "2"},
        400,
        "own",
        "count: must be an integer",
    ),
    ("POST", "/fake/tasks", {"taskType": "a", "input": "x"}, 400, "own", "input"),
    ("POST", "/fake/tasks", "{not json", 400, "own", "body: malformed JSON"),
    ("POST", "/fake/clock/advance", {}, 400, "own", "exactly one of 'ms' or 'seconds'"),
    ("POST", "/fake/clock/advance", {"ms": -5}, 400, "own", "ms"),
    ("POST", "/fake/clock/advance", {"seconds": "x"}, 400, "own", "seconds"),
    (
        "POST",
        "/fake/clock/advance",
        '{"ms": Infinity}',
        400,
        "own",
        "Non-standard token 'Infinity'",
    ),
    ("POST", "/fake/clock/advance", '{"seconds": NaN}', 400, "own", "Non-standard token 'NaN'"),
]

SPRING_MESSAGES = (
    "JSON parse error: ",
    "Required request body is missing",
    "Method parameter '",
    "Required request parameter '",
    "Validation failed for argument [0] in public",
)


@pytest.mark.parametrize(("method", "path", "body", "status", "kind", "words"), BAD_REQUESTS)
def test_bad_request(client, method, path, body, status, kind, words):
    client.post(
        "/api/metadata/workflow",
        json={"name": "wf", "tasks": [{"name": "a", "taskReferenceName": "a"}]},
    )
    kwargs = {"data": body} if isinstance(body, (str, bytes)) else {"json": body}
    response = client.open(path, method=method, **({} if body is None else kwargs))
    assert response.status_code == status
    assert response.mimetype == "application/json"
    error = response.json
    assert error["status"] == status
    assert error["retryable"] is False
    if kind == "constraint":
        assert error["message"] == VALIDATION_FAILED
        assert "instance" not in error  # Conductor leaves its null instance out
        assert words in error["fakeServerDetail"]
        assert error["validationErrors"], "a 400 lists what was wrong"
        assert {"path", "message"} <= set(error["validationErrors"][0])
    elif kind == "unreadable":
        assert error["message"].startswith(SPRING_MESSAGES)
        assert words in error["fakeServerDetail"]
        assert "validationErrors" not in error
        assert error["instance"]
    else:
        assert words in error["message"]
        assert "fakeServerDetail" not in error
        assert error["instance"]
    assert client.get("/health").status_code == 200  # still serving


def test_a_failed_constraint_lists_each_field_as_conductor_does(client):
    """ValidationExceptionMapper: both missing ids at once, a null value left out."""
    body = client.post("/api/tasks", json={"status": "COMPLETED"}).json
    assert body == {
        "status": 400,
        "message": VALIDATION_FAILED,
        "retryable": False,
        "validationErrors": [
            {
                "path": "TaskResult.workflowInstanceId",
                "message": "Workflow Id cannot be null or empty",
            },
            {"path": "TaskResult.taskId", "message": "Task ID cannot be null or empty"},
        ],
        "fakeServerDetail": (
            "TaskResult.workflowInstanceId: Workflow Id cannot be null or empty; "
            "TaskResult.taskId: Task ID cannot be null or empty"
        ),
    }


def test_update_v2_answers_its_own_validation_of_the_body_with_500(client):
    """TaskResource.updateTaskV2 validates with @Valid: Spring's MethodArgumentNotValidException,
    a 500 from ApplicationExceptionMapper, where POST /tasks answers 400."""
    body = client.post("/api/tasks/update-v2", json={"workflowInstanceId": "w"}).json
    assert body["status"] == 500
    assert body["message"].startswith(
        "Validation failed for argument [0] in public org.springframework.http.ResponseEntity"
    )
    assert "on field 'taskId': rejected value [null]" in body["message"]
    assert "default message [Task ID cannot be null or empty]" in body["message"]
    assert body["fakeServerDetail"] == "TaskResult.taskId: Task ID cannot be null or empty"


def test_an_unknown_enum_value_is_a_500_naming_the_allowed_values(client):
    """HttpMessageNotReadableException (Jackson's InvalidFormatException): 500."""
    body = client.post("/api/metadata/taskdefs", json=[{"name": "a", "retryLogic": "SOON"}]).json
    assert body["status"] == 500
    assert body["message"].startswith("JSON parse error: ")
    assert body["fakeServerDetail"] == (
        "taskDefs[0].retryLogic: must be one of FIXED, LINEAR_BACKOFF, EXPONENTIAL_BACKOFF"
    )


def test_a_missing_status_is_the_500_of_a_null_status(client):
    """WorkflowExecutorOps.updateTask reads the status only once the task is found and open:
    a null status fails there (NullPointerException, 500); for an ended task it is ignored."""
    client.post("/fake/tasks", json={"taskType": "a"})
    task = client.get("/api/tasks/poll/a").json
    ids = {"workflowInstanceId": task["workflowInstanceId"], "taskId": task["taskId"]}
    missing = client.post("/api/tasks", json=ids)
    assert missing.status_code == 500
    assert 'TaskResult.getStatus()" is null' in missing.json["message"]
    assert missing.json["fakeServerDetail"].startswith("TaskResult.status: is required")
    assert client.post("/api/tasks", json={**ids, "status": "COMPLETED"}).status_code == 200
    assert client.post("/api/tasks", json=ids).status_code == 200  # ended: nothing to do


def test_a_missing_query_parameter_is_springs_500(client):
    """MissingServletRequestParameterException: 500 naming the parameter."""
    body = client.get("/api/tasks/queue/polldata").json
    assert body["status"] == 500
    assert body["message"] == (
        "Required request parameter 'taskType' for method parameter type String is not present"
    )


def test_query_booleans_are_read_as_spring_reads_them(client):
    for word in ("yes", "on", "1", "TRUE"):
        assert client.get(f"/api/workflow/none?includeTasks={word}").status_code == 404


def test_a_workflow_input_over_the_size_limit_is_a_500(client):
    """ExecutionDAOFacade.createWorkflow's TerminateWorkflowException: not mapped, so 500."""
    client.put(
        "/api/metadata/workflow",
        json=[{"name": "wf", "tasks": [{"name": "a", "taskReferenceName": "a"}]}],
    )
    answer = client.post("/api/workflow/wf", json={"blob": "x" * (10240 * 1024)})
    assert answer.status_code == 500
    assert answer.json["message"].endswith("is greater than the permissible limit: 10485760 bytes")
    assert answer.json["retryable"] is False
    assert client.get("/api/workflow/search").json["totalHits"] == 0


def test_an_input_the_template_makes_too_large_is_a_500_from_a_small_body(client):
    """The body's size bounds the input as sent, not what the definition's inputTemplate adds:
    that input is still measured."""
    client.put(
        "/api/metadata/workflow",
        json=[
            {
                "name": "wf",
                "tasks": [{"name": "a", "taskReferenceName": "a"}],
                "inputTemplate": {"blob": "x" * (10240 * 1024)},
            }
        ],
    )
    assert client.post("/api/workflow/wf", json={"small": 1}).status_code == 500
    assert client.post("/api/workflow", json={"name": "wf", "input": {"n": 1}}).status_code == 500
    assert client.get("/api/workflow/search").json["totalHits"] == 0


def test_the_admin_api_names_the_value(client):
    body = client.post("/fake/tasks", json={"taskType": "a", "count": "2"}).json
    assert body["message"] == "body.count: must be an integer, got a string"
    assert body["validationErrors"] == [
        {"path": "body.count", "message": "must be an integer, got a string", "invalidValue": "2"}
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
    assert response.status_code == 500
    error = response.json
    assert error["retryable"] is False
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
