"""The hot task routes answer before Flask, exactly as the Flask routes would.

Each comparison runs the same requests against two servers in the same state: one as
``create_app`` builds it (hot routes in front) and one with the hot routes taken out (the
Flask views answer). Task and workflow ids are made deterministic so that the bodies match.
"""

import http.client
import itertools
import json
import logging
import uuid
from types import SimpleNamespace

import pytest
from flask import Flask, got_request_exception, request_started

import fake_server.engine.scheduling
from fake_server import ManualClock
from fake_server.app import create_app
from fake_server.auth import TokenAuthority
from fake_server.engine import Engine
from fake_server.hot_routes import HotRoutes
from fake_server.server import FakeServer

# The last task any answer carried stands in for "{task}" and "{workflow}" in a body.
DONE = '{"taskId":"{task}","workflowInstanceId":"{workflow}","workerId":"w","status":"COMPLETED"}'
RUNNING = '{"taskId":"{task}","workflowInstanceId":"{workflow}","status":"IN_PROGRESS"}'

# (method, path, body, served by the hot routes?), run in this order against one state.
REQUESTS = [
    ("GET", "/api/tasks/poll/a", None, True),
    ("GET", "/api/tasks/poll/a?workerid=w1&workerid=w2", None, True),
    ("GET", "/api/tasks/poll/a?workerid=w&domain=d", None, True),
    ("GET", "/api/tasks/poll/a?domain=%20%20", None, True),  # blank domain = none
    ("GET", "/api/tasks/poll/caf%C3%A9?workerid=caf%C3%A9", None, True),
    ("GET", "/api/tasks/poll/%FF", None, True),  # not UTF-8: decoded with replacement
    ("GET", "/api/tasks/poll/none", None, True),
    ("GET", "/api/tasks/poll/batch", None, True),  # the task type "batch"
    ("GET", "/api/tasks/poll/batch/a?count=2&timeout=0&count=7", None, True),
    ("GET", "/api/tasks/poll/batch/a?workerid=w&domain=d&count=&timeout=0", None, True),
    ("GET", "/api/tasks/poll/batch/none?timeout=0", None, True),
    ("GET", "/api/tasks/poll/batch/a?count=many&timeout=x", None, True),
    ("GET", "/api/tasks/poll/batch/a?timeout=1.5", None, True),
    ("GET", "/api/tasks/poll/batch/a?timeout=-1", None, True),
    ("GET", "/api/tasks/poll/batch/a?timeout=5001", None, True),
    ("GET", "/api/tasks/poll/batch/a", None, True),  # default wait, but a task is ready
    ("POST", "/api/tasks", RUNNING, True),
    ("POST", "/api/tasks", DONE, True),
    ("POST", "/api/tasks", DONE, True),  # a repeated update changes nothing
    ("POST", "/api/tasks", "{not json", True),
    ("POST", "/api/tasks", "", True),
    ("POST", "/api/tasks", "null", True),
    ("POST", "/api/tasks", "[1]", True),
    ("POST", "/api/tasks", b"\xff\xfe{", True),
    ("POST", "/api/tasks", "[" * 10_000 + "]" * 10_000, True),
    ("POST", "/api/tasks", '{"taskId":"t","workflowInstanceId":"w","status":"DONE"}', True),
    ("POST", "/api/tasks", '{"taskId":"t","workflowInstanceId":"w","status":"COMPLETED"}', True),
    ("GET", "/api/tasks/poll/a?workerid=w", None, True),
    ("POST", "/api/tasks/update-v2", RUNNING, True),  # not terminal: no next task, 204
    ("POST", "/api/tasks/update-v2", DONE, True),  # the next task of the queue
    ("POST", "/api/tasks/update-v2", DONE, True),
    ("POST", "/api/tasks/update-v2", DONE, True),  # the queue is empty now: 204
    ("POST", "/api/tasks/update-v2", '{"taskId":"t","status":3}', True),
    ("POST", "/api/tasks/update-v2", "", True),
    # Not the hot routes: Flask answers these.
    ("GET", "/api/tasks/update-v2", None, False),
    ("PUT", "/api/tasks", DONE, False),
    ("DELETE", "/api/tasks/poll/a", None, False),
    ("HEAD", "/api/tasks/poll/a", None, False),
    ("GET", "/api/tasks/poll/", None, False),
    ("GET", "/api/tasks/poll/a/", None, False),
    ("GET", "/api/tasks/poll/batch/", None, False),
    ("GET", "/api/tasks/poll//a", None, False),
    ("POST", "/api/tasks/", DONE, False),
    ("GET", "/api/tasks/queue/all", None, False),
]


@pytest.fixture(autouse=True)
def access_log(caplog):
    caplog.set_level(logging.DEBUG, logger="fake_server.access")
    return caplog


class Server:
    """One app in a reproducible state; ``hot=False`` takes the hot routes out."""

    def __init__(self, monkeypatch, *, hot: bool, auth: bool = False) -> None:
        counter = itertools.count(1)
        monkeypatch.setattr(
            fake_server.engine.scheduling,
            "uuid",
            SimpleNamespace(uuid4=lambda: uuid.UUID(int=next(counter))),
        )
        clock = ManualClock()
        self.engine = Engine(clock)
        self.engine.enqueue_tasks("a", 9)
        self.engine.enqueue_tasks("a", 3, domain="d")
        self.engine.enqueue_tasks("café")
        self.engine.enqueue_tasks("\ufffd")
        authority = TokenAuthority("key", "secret", clock) if auth else None
        self.token = authority.issue("key", "secret") if authority else None
        self.app = create_app(self.engine, authority)
        assert isinstance(self.app.wsgi_app, HotRoutes)
        if not hot:
            self.app.wsgi_app = self.app.wsgi_app.app
        self.client = self.app.test_client()
        self.flask_served: list[str] = []
        request_started.connect(self._on_flask_request, self.app)
        self.last_task = {"taskId": "none-yet", "workflowInstanceId": "none-yet"}

    def _on_flask_request(self, sender: Flask, **extra) -> None:
        self.flask_served.append("yes")

    def answer(self, method, path, body, caplog, token="valid", **kwargs):
        """(status line, headers, body, access log lines) of one request."""
        if isinstance(body, str) and "{task}" in body:
            body = body.replace("{task}", self.last_task["taskId"])
            body = body.replace("{workflow}", self.last_task["workflowInstanceId"])
        headers = {"X-Authorization": self.token if token == "valid" else token}
        headers = {} if token is None or headers["X-Authorization"] is None else headers
        caplog.clear()
        response = self.client.open(path, method=method, data=body, headers=headers, **kwargs)
        self._remember_task(response)
        log_lines = [r.getMessage() for r in caplog.records if r.name == "fake_server.access"]
        return response.status, list(response.headers), response.data, log_lines

    def _remember_task(self, response) -> None:
        if response.mimetype != "application/json" or not response.data:
            return
        value = json.loads(response.data)
        if isinstance(value, list) and value:
            value = value[-1]
        if isinstance(value, dict) and "taskId" in value:
            self.last_task = value


def run_requests(monkeypatch, caplog, *, hot: bool, auth: bool = False, token="valid"):
    server = Server(monkeypatch, hot=hot, auth=auth)
    answers = []
    for method, path, body, served_hot in REQUESTS:
        server.flask_served.clear()
        answers.append(server.answer(method, path, body, caplog, token=token))
        if hot:
            assert bool(server.flask_served) != served_hot, (method, path)
    return answers


@pytest.mark.parametrize(
    ("auth", "token"),
    [
        (False, None),
        (False, "ignored"),
        (True, "valid"),
        (True, None),
        (True, "a.b.c"),
        (True, "garbage"),
    ],
)
def test_the_hot_routes_answer_every_request_as_the_flask_routes_do(
    monkeypatch, access_log, auth, token
):
    flask_answers = run_requests(monkeypatch, access_log, hot=False, auth=auth, token=token)
    hot_answers = run_requests(monkeypatch, access_log, hot=True, auth=auth, token=token)
    for request, hot, flask in zip(REQUESTS, hot_answers, flask_answers, strict=True):
        assert hot == flask, request[:2]


def test_the_compared_answers_cover_what_workers_see(monkeypatch, access_log):
    answers = run_requests(monkeypatch, access_log, hot=True)
    hot = [answer for answer, request in zip(answers, REQUESTS, strict=True) if request[3]]
    assert {status for status, *_ in hot} == {
        "200 OK",
        "204 NO CONTENT",
        "400 BAD REQUEST",
        "404 NOT FOUND",
    }
    status, headers, body, log_lines = answers[4]  # the percent-encoded task type
    assert json.loads(body)["taskType"] == "café"
    assert log_lines == ["GET /api/tasks/poll/café?workerid=caf%C3%A9 -> 200"]
    assert json.loads(answers[2][2])["domain"] == "d"
    assert json.loads(answers[3][2]).get("domain") is None  # a blank domain is no domain
    status, headers, body, log_lines = answers[11]
    error = json.loads(body)
    assert error["message"] == "count: query parameter must be an integer, got 'many'"
    assert error["validationErrors"] == [
        {
            "path": "count",
            "invalidValue": "many",
            "message": "query parameter must be an integer, got 'many'",
        }
    ]
    status, headers, body, log_lines = answers[17]
    assert (status, headers[0], log_lines) == (
        "200 OK",
        ("Content-Type", "text/plain; charset=utf-8"),
        ["POST /api/tasks -> 200"],
    )


def test_without_a_valid_token_the_hot_routes_answer_401(monkeypatch, access_log):
    server = Server(monkeypatch, hot=True, auth=True)
    for token, code in [(None, "INVALID_TOKEN"), ("x.y.z", "INVALID_TOKEN")]:
        status, _, body, _ = server.answer(
            "POST", "/api/tasks/update-v2", DONE, access_log, token=token
        )
        assert (status, json.loads(body)["error"]) == ("401 UNAUTHORIZED", code)
    server.engine.clock.advance(3601 * 1000)
    status, _, body, _ = server.answer("GET", "/api/tasks/poll/a", None, access_log)
    assert (status, json.loads(body)["error"]) == ("401 UNAUTHORIZED", "EXPIRED_TOKEN")


def test_a_client_that_goes_away_mid_body_gets_a_400_and_no_bug_is_signalled(
    monkeypatch, access_log
):
    answers, signals = [], []

    def receiver(sender, exception, **extra):
        signals.append(exception)

    for hot in (True, False):
        server = Server(monkeypatch, hot=hot)
        got_request_exception.connect(receiver, server.app)
        answers.append(
            server.answer(
                "POST", "/api/tasks", "{}", access_log, environ_overrides={"CONTENT_LENGTH": "100"}
            )
        )
    assert answers[0] == answers[1]
    assert answers[0][0] == "400 BAD REQUEST" and signals == []


HOT_CALLS = [
    ("poll", "GET", "/api/tasks/poll/a", None),
    ("batch_poll", "GET", "/api/tasks/poll/batch/a?timeout=0", None),
    ("update_task", "POST", "/api/tasks", DONE),
    ("update_task_v2", "POST", "/api/tasks/update-v2", DONE),
]


@pytest.mark.parametrize(("engine_method", "method", "path", "body"), HOT_CALLS)
def test_an_engine_bug_is_a_logged_500_and_signalled_to_an_embedding_harness(
    monkeypatch, access_log, engine_method, method, path, body
):
    answers, signalled = [], []
    for hot in (True, False):
        server = Server(monkeypatch, hot=hot)
        server.last_task = server.engine.poll("a")

        def broken(*args, **kwargs):
            raise RuntimeError("a bug in the engine")

        def receiver(sender, exception, **extra):
            signalled.append((sender, str(exception)))

        monkeypatch.setattr(server.engine, engine_method, broken)
        got_request_exception.connect(receiver, server.app)
        answers.append(server.answer(method, path, body, access_log))
        assert "Traceback" in access_log.text and "a bug in the engine" in access_log.text
        assert signalled[-1] == (server.app, "a bug in the engine")
        got_request_exception.disconnect(receiver, server.app)
    assert answers[0] == answers[1]
    status, _, body, log_lines = answers[0]
    assert status == "500 INTERNAL SERVER ERROR"
    assert json.loads(body)["message"] == "Internal error: RuntimeError: a bug in the engine"
    assert log_lines == [f"{method} {path} -> 500"]


def test_a_chunked_update_over_a_real_socket_gets_the_next_task():
    with FakeServer() as server:
        server.engine.enqueue_tasks("a", 2)
        first = server.engine.poll("a", "w")
        connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
        body = DONE.replace("{task}", first["taskId"])
        body = body.replace("{workflow}", first["workflowInstanceId"])
        connection.request(
            "POST", "/api/tasks/update-v2", body=iter([body.encode()]), encode_chunked=True
        )
        response = connection.getresponse()
        assert response.status == 200
        assert json.loads(response.read())["taskType"] == "a"
        connection.close()
