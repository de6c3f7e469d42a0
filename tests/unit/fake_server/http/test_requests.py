"""How requests are read and answered, whatever the route: names and query values decoded,
the access log, tokens on the task routes, a client that goes away, a bug in the server,
HEAD and OPTIONS, and routes of one's own added to the table."""

import http.client
import json
import logging

import pytest
from flask import got_request_exception

from fake_server import FakeServer
from fake_server.http import create_app
from fake_server.http.auth import TokenAuthority
from fake_server.http.routes import ROUTES, Route
from fake_server.http.wire import json_reply


@pytest.fixture
def access_log(caplog):
    caplog.set_level(logging.DEBUG, logger="fake_server.access")
    return caplog


def logged(caplog):
    return [r.getMessage() for r in caplog.records if r.name == "fake_server.access"]


def result(task, status="COMPLETED", **fields):
    return {
        "taskId": task["taskId"],
        "workflowInstanceId": task["workflowInstanceId"],
        "status": status,
        **fields,
    }


def test_percent_encoded_names_are_decoded_and_logged_as_sent(engine, client, access_log):
    engine.enqueue_tasks("café")
    response = client.get("/api/tasks/poll/caf%C3%A9?workerid=caf%C3%A9")
    assert response.json["taskType"] == "café" and response.json["workerId"] == "café"
    assert logged(access_log) == ["GET /api/tasks/poll/café?workerid=caf%C3%A9 -> 200"]


def test_a_path_that_is_not_utf8_is_read_with_replacement_characters(engine, client):
    engine.enqueue_tasks("\ufffd")
    assert client.get("/api/tasks/poll/%FF").json["taskType"] == "\ufffd"


def test_the_first_of_repeated_query_values_counts(engine, client):
    engine.enqueue_tasks("a", 9)
    tasks = client.get("/api/tasks/poll/batch/a?count=2&timeout=0&count=7").json
    assert len(tasks) == 2
    assert client.get("/api/tasks/poll/a?workerid=w1&workerid=w2").json["workerId"] == "w1"


def test_a_batch_poll_with_a_blank_count_gets_the_default_of_one(engine, client):
    engine.enqueue_tasks("a", 3)
    assert len(client.get("/api/tasks/poll/batch/a?count=&timeout=0").json) == 1


def test_an_update_answers_the_id_as_text_and_update_v2_the_next_task(engine, client):
    first, second = engine.enqueue_tasks("a", 2)
    task = client.get("/api/tasks/poll/a?workerid=w").json
    running = client.post("/api/tasks", json=result(task, "IN_PROGRESS"))
    assert (running.status_code, running.mimetype, running.text) == (200, "text/plain", first)
    again = client.get("/api/tasks/poll/a?workerid=w").json  # the one queued earlier
    assert again["taskId"] == second
    following = client.post("/api/tasks/update-v2", json=result(again, workerId="w"))
    assert following.json["taskId"] == first
    last = client.post("/api/tasks/update-v2", json=result(following.json, workerId="w"))
    assert (last.status_code, last.data) == (204, b"")
    assert "Content-Type" not in last.headers  # nothing to describe


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-32-le"])
def test_a_json_body_is_read_in_any_of_json_s_encodings(engine, client, encoding):
    """As Jackson detects the encoding of a body, json.loads does; UTF-8 is only the usual."""
    engine.enqueue_tasks("a")
    task = client.get("/api/tasks/poll/a?workerid=w").json
    body = json.dumps(result(task, outputData={"word": "café"}), ensure_ascii=False)
    headers = {"Content-Type": "application/json"}
    answer = client.post("/api/tasks", data=body.encode(encoding), headers=headers)
    assert answer.status_code == 200
    assert engine.get_task(task["taskId"])["outputData"] == {"word": "café"}


def test_an_output_the_fast_encoder_refuses_is_answered_intact(engine, client):
    """An int beyond 64 bits (JSON has no limit; Jackson reads it as a BigInteger) and text
    beyond ASCII come back as they were sent."""
    engine.enqueue_tasks("a")
    task = client.get("/api/tasks/poll/a?workerid=w").json
    output = {"big": 2**70, "word": "café"}
    client.post("/api/tasks", json=result(task, outputData=output))
    answer = client.get(f"/api/tasks/{task['taskId']}")
    assert json.loads(answer.data)["outputData"] == output


def test_a_malformed_query_value_is_springs_500_with_the_fake_s_words_beside(client):
    """MethodArgumentTypeMismatchException, answered 500 by ApplicationExceptionMapper."""
    error = client.get("/api/tasks/poll/batch/a?count=many&timeout=x").json
    assert error["status"] == 500
    assert error["message"] == (
        "Method parameter 'count': Failed to convert value of type 'java.lang.String' to "
        "required type 'int'; For input string: \"many\""
    )
    assert error["fakeServerDetail"] == "count: must be an integer, got 'many'"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/tasks/poll/a"),
        ("GET", "/api/tasks/poll/batch/a?timeout=0"),
        ("POST", "/api/tasks"),
        ("POST", "/api/tasks/update-v2"),
    ],
)
def test_the_task_routes_need_a_valid_token_that_has_not_expired(engine, clock, method, path):
    client = create_app(engine, TokenAuthority("key", "secret", clock)).test_client()
    for headers in ({}, {"X-Authorization": "x.y.z"}):
        answer = client.open(path, method=method, headers=headers, json={})
        assert (answer.status_code, answer.json["error"]) == (401, "INVALID_TOKEN")
    token = client.post("/api/token", json={"keyId": "key", "keySecret": "secret"}).json["token"]
    clock.advance(3601 * 1000)
    answer = client.open(path, method=method, headers={"X-Authorization": token}, json={})
    assert (answer.status_code, answer.json["error"]) == (401, "EXPIRED_TOKEN")


def test_a_client_that_goes_away_mid_body_gets_a_400_and_no_bug_is_signalled(engine, client):
    signalled = []

    def receiver(sender, exception, **extra):
        signalled.append(exception)

    got_request_exception.connect(receiver, client.application)
    answer = client.post("/api/tasks", data=b"{}", environ_overrides={"CONTENT_LENGTH": "100"})
    assert answer.status_code == 400 and answer.json["status"] == 400
    assert signalled == []


@pytest.mark.parametrize(
    ("engine_method", "method", "path"),
    [
        ("poll", "GET", "/api/tasks/poll/a"),
        ("batch_poll", "GET", "/api/tasks/poll/batch/a?timeout=0"),
        ("update_task", "POST", "/api/tasks"),
        ("update_task_v2", "POST", "/api/tasks/update-v2"),
    ],
)
def test_a_bug_is_a_logged_500_and_signalled_to_an_embedding_harness(
    monkeypatch, engine, access_log, engine_method, method, path
):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the engine")

    monkeypatch.setattr(engine, engine_method, broken)
    app = create_app(engine)
    signalled = []

    def receiver(sender, exception, **extra):
        signalled.append((sender, str(exception)))

    got_request_exception.connect(receiver, app)
    answer = app.test_client().open(path, method=method, json={})
    assert answer.status_code == 500
    assert answer.json["message"] == "Internal error: RuntimeError: a bug in the engine"
    assert "Traceback" in access_log.text and "Traceback" not in answer.text
    assert signalled == [(app, "a bug in the engine")]
    assert logged(access_log) == [f"{method} {path} -> 500"]


def test_head_answers_a_get_route_without_a_body(engine, client):
    engine.enqueue_tasks("a")
    answer = client.head("/api/tasks/queue/all")
    assert (answer.status_code, answer.data) == (200, b"")
    assert answer.mimetype == "application/json"
    assert engine.all_queue_sizes() == {"a": 1}


def test_a_route_of_ones_own_joins_the_table_and_gets_its_token_check(engine, clock):
    def queued(context, request):
        return json_reply(context.engine.all_queue_sizes())

    routes = (*ROUTES, Route("GET", "/api/extra/queued", queued))
    client = create_app(engine, TokenAuthority("k", "s", clock), routes=routes).test_client()
    engine.enqueue_tasks("a")
    assert client.get("/api/extra/queued").status_code == 401
    token = client.post("/api/token", json={"keyId": "k", "keySecret": "s"}).json["token"]
    assert client.get("/api/extra/queued", headers={"X-Authorization": token}).json == {"a": 1}


def test_a_rule_added_to_the_flask_app_alone_is_not_a_route(engine):
    app = create_app(engine)
    app.add_url_rule("/extra", "extra", lambda: "extra")
    assert app.test_client().get("/extra").status_code == 404


def test_options_lists_the_methods_of_a_path_and_unknown_paths_are_404(client):
    answer = client.options("/api/metadata/taskdefs")
    assert answer.status_code == 200
    assert answer.headers["Allow"] == "GET, HEAD, OPTIONS, POST, PUT"
    assert client.options("/api/nothing/here").status_code == 404


def test_a_chunked_update_over_a_real_socket_gets_the_next_task():
    with FakeServer() as server:
        server.engine.enqueue_tasks("a", 2)
        first = server.engine.poll("a", "w")
        connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
        body = json.dumps(result(first, workerId="w")).encode()
        connection.request("POST", "/api/tasks/update-v2", body=iter([body]), encode_chunked=True)
        response = connection.getresponse()
        assert response.status == 200
        assert json.loads(response.read())["taskType"] == "a"
        connection.close()
