"""TaskClient against a mocked server (responses): requests sent, answers read, retries."""

from __future__ import annotations

import decimal
import json
import logging
import pickle
import threading
from typing import Any

import pytest
import requests
import responses
from responses import matchers

from conductor.client.configuration.configuration import Configuration
from conductor.client.http import _backoff as backoff
from conductor.client.http.models import Task, TaskResult, TaskResultStatus
from conductor.client.http.task_client import ConductorApiError, TaskClient

API = "http://conductor.test/api"
TASK_JSON = {
    "taskType": "greet",
    "taskId": "t-1",
    "workflowInstanceId": "wf-1",
    "status": "IN_PROGRESS",
    "inputData": {"name": "Ada"},
    "pollCount": 1,
    "someFieldFromANewerServer": True,
}
NEXT_TASK_JSON = {**TASK_JSON, "taskId": "t-2"}


pytestmark = pytest.mark.usefixtures("clean_env")


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def client(waits: list[float], session):
    # jitter 1.0: every wait is the backoff ceiling, so the doubling is visible.
    config = Configuration(server_api_url=API, connect_timeout=3, read_timeout=20)
    task_client = TaskClient(config, sleep=waits.append, jitter=lambda: 1.0, session=session)
    yield task_client
    task_client.close()


def completed(task_id: str = "t-1") -> TaskResult:
    result = TaskResult(task_id=task_id, workflow_instance_id="wf-1", worker_id="w1")
    result.status = TaskResultStatus.COMPLETED
    result.add_output_data("greeting", "hello")
    return result


def paths(server: responses.RequestsMock) -> list[str]:
    return [f"{c.request.method} {c.request.path_url.split('?')[0]}" for c in server.calls]


# -- polling ------------------------------------------------------------------------------------


def test_poll_returns_the_task(server, client) -> None:
    server.get(
        f"{API}/tasks/poll/greet",
        json=TASK_JSON,
        match=[matchers.query_param_matcher({"workerid": "w1"})],
    )
    task = client.poll("greet", worker_id="w1")
    assert isinstance(task, Task)
    assert (task.task_id, task.input_data, task.poll_count) == ("t-1", {"name": "Ada"}, 1)


def test_poll_with_nothing_ready_returns_none(server, client) -> None:
    server.get(f"{API}/tasks/poll/greet", status=204)
    assert client.poll("greet", worker_id="w1") is None


@pytest.mark.parametrize(
    ("domain", "expected_query"),
    [
        (None, {"workerid": "w1", "count": "5", "timeout": "1000"}),
        ("", {"workerid": "w1", "count": "5", "timeout": "1000"}),
        ("gpu", {"workerid": "w1", "count": "5", "timeout": "1000", "domain": "gpu"}),
    ],
)
def test_batch_poll_sends_count_timeout_worker_and_domain_only_when_set(
    server, client, domain, expected_query
) -> None:
    server.get(
        f"{API}/tasks/poll/batch/greet",
        json=[TASK_JSON, NEXT_TASK_JSON],
        match=[matchers.query_param_matcher(expected_query)],
    )
    tasks = client.batch_poll("greet", worker_id="w1", domain=domain, count=5, timeout_ms=1000)
    assert [t.task_id for t in tasks] == ["t-1", "t-2"]


def test_batch_poll_empty_queue_gives_empty_list(server, client) -> None:
    server.get(f"{API}/tasks/poll/batch/greet", json=[])
    assert client.batch_poll("greet", worker_id="w1", count=2) == []


def test_batch_poll_for_no_tasks_asks_nothing(server, client) -> None:
    assert client.batch_poll("greet", worker_id="w1", count=0) == []
    assert len(server.calls) == 0


def test_task_type_is_quoted_in_the_path(server, client) -> None:
    server.get(f"{API}/tasks/poll/a%2Fb%20c", status=204)
    assert client.poll("a/b c", worker_id="w1") is None


def test_every_call_carries_a_timeout_and_long_polls_wait_longer(server, client) -> None:
    server.get(f"{API}/tasks/poll/greet", status=204)
    server.get(f"{API}/tasks/poll/batch/greet", json=[])
    server.post(f"{API}/tasks", body="t-1")
    server.post(f"{API}/tasks/update-v2", status=204)
    server.post(f"{API}/tasks/t-1/log")
    server.get(f"{API}/tasks/t-1", json=TASK_JSON)

    client.poll("greet", worker_id="w1")
    client.batch_poll("greet", worker_id="w1", count=3, timeout_ms=2500)
    client.update(completed())
    client.update_v2(completed())
    client.add_log("t-1", "line")
    client.get_task("t-1")

    timeouts = [call.request.req_kwargs["timeout"] for call in server.calls]
    assert timeouts == [(3, 20), (3, 22.5), (3, 20), (3, 20), (3, 20), (3, 20)]


# -- updates ------------------------------------------------------------------------------------


def test_update_posts_camel_case_result_and_returns_task_id_text(server, client) -> None:
    server.post(
        f"{API}/tasks",
        body="t-1",
        content_type="text/plain",
        match=[
            matchers.json_params_matcher(
                {
                    "taskId": "t-1",
                    "workflowInstanceId": "wf-1",
                    "workerId": "w1",
                    "status": "COMPLETED",
                    "outputData": {"greeting": "hello"},
                    "logs": [],
                }
            )
        ],
    )
    assert client.update(completed()) == "t-1"


def test_update_v2_returns_the_next_task(server, client) -> None:
    server.post(f"{API}/tasks/update-v2", json=NEXT_TASK_JSON)
    next_task = client.update_v2(completed())
    assert next_task is not None and next_task.task_id == "t-2"


def test_update_v2_without_next_task_returns_none(server, client) -> None:
    server.post(f"{API}/tasks/update-v2", status=204)
    assert client.update_v2(completed()) is None


@pytest.mark.parametrize("status", [404, 405])
def test_update_v2_falls_back_to_update_for_good(server, client, status) -> None:
    server.post(f"{API}/tasks/update-v2", status=status)
    server.post(f"{API}/tasks", body="t-1")
    assert client.update_v2(completed()) is None
    assert client.update_v2(completed("t-2")) is None
    assert paths(server) == [
        "POST /api/tasks/update-v2",
        "POST /api/tasks",
        "POST /api/tasks",
    ]
    delivered = [json.loads(c.request.body)["taskId"] for c in server.calls[1:]]
    assert delivered == ["t-1", "t-2"]


def test_update_v2_404_for_an_unknown_task_does_not_abandon_update_v2(server, client) -> None:
    message = "No such task found by id: nope"
    error_body = {"status": 404, "message": message, "retryable": False}
    server.post(f"{API}/tasks/update-v2", status=404, json=error_body)
    server.post(f"{API}/tasks", status=404, json=error_body)
    with pytest.raises(ConductorApiError) as raised:
        client.update_v2(completed("nope"))
    assert (raised.value.status, raised.value.message, raised.value.transient) == (
        404,
        message,
        False,
    )
    server.post(f"{API}/tasks/update-v2", status=204)
    client.update_v2(completed())
    assert paths(server)[-1] == "POST /api/tasks/update-v2"


def test_add_log_posts_the_plain_line(server, client) -> None:
    server.post(f"{API}/tasks/t-1/log")
    client.add_log("t-1", "step 2 of 3: ünïcode ok")
    request = server.calls[0].request
    assert request.body == "step 2 of 3: ünïcode ok".encode()
    assert request.headers["Content-Type"].startswith("text/plain")


def test_get_task_and_its_not_found_error(server, client) -> None:
    server.get(f"{API}/tasks/t-1", json=TASK_JSON)
    server.get(
        f"{API}/tasks/nope",
        status=404,
        json={"status": 404, "message": "No such task found by id: nope", "retryable": False},
    )
    assert client.get_task("t-1").workflow_instance_id == "wf-1"
    with pytest.raises(ConductorApiError, match="No such task found by id: nope") as raised:
        client.get_task("nope")
    assert raised.value.status == 404 and not raised.value.transient


def test_connection_error_is_transient_without_status(server, client) -> None:
    server.get(f"{API}/tasks/poll/greet", body=requests.ConnectionError("refused"))
    with pytest.raises(ConductorApiError) as raised:
        client.poll("greet", worker_id="w1")
    assert raised.value.status is None and raised.value.transient


@pytest.mark.parametrize(
    ("status", "transient"), [(500, True), (503, True), (429, True), (400, False), (403, False)]
)
def test_transient_is_true_for_5xx_and_429_only(server, client, status, transient) -> None:
    server.get(f"{API}/tasks/poll/greet", status=status, json={"message": "nope"})
    with pytest.raises(ConductorApiError) as raised:
        client.poll("greet", worker_id="w1")
    assert raised.value.transient is transient


@pytest.mark.parametrize(("retryable", "transient"), [(False, False), (True, True)])
def test_a_5xx_is_transient_unless_its_error_body_says_it_is_not_retryable(
    server, client, retryable, transient
) -> None:
    body = {"status": 500, "message": "JSON parse error: x", "retryable": retryable}
    server.get(f"{API}/tasks/poll/greet", status=500, json=body)
    with pytest.raises(ConductorApiError) as raised:
        client.poll("greet", worker_id="w1")
    assert raised.value.transient is transient


def test_a_400_message_carries_the_validation_errors(server, client) -> None:
    body = {
        "status": 400,
        "message": "Validation failed, check below errors for detail.",
        "validationErrors": [
            {"path": "updateTask.arg0.taskId", "message": "Task ID cannot be null or empty"},
            {"message": "no path"},
        ],
    }
    server.post(f"{API}/tasks", status=400, json=body)
    with pytest.raises(ConductorApiError) as raised:
        client.update(completed())
    assert raised.value.message == (
        "Validation failed, check below errors for detail. "
        "(updateTask.arg0.taskId: Task ID cannot be null or empty; no path)"
    )


def test_error_survives_pickling() -> None:
    error = ConductorApiError("busy", status=503, transient=True, request="GET /tasks/x")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.status, copy.message, copy.transient, str(copy)) == (
        503,
        "busy",
        True,
        str(error),
    )


# -- deliver: retries -----------------------------------------------------------------------------

TRANSIENT_FAILURES: list[dict[str, Any]] = [
    {"body": requests.ConnectionError("connection refused")},
    {"body": requests.ReadTimeout("read timed out")},
    {"status": 500, "json": {"message": "boom"}},
    {"status": 503},
    {"status": 429, "json": {"message": "slow down"}},
]


def test_deliver_retries_transient_failures_with_backoff_then_delivers(
    server, client, waits, caplog
) -> None:
    for failure in TRANSIENT_FAILURES:
        server.post(f"{API}/tasks/update-v2", **failure)
    server.post(f"{API}/tasks/update-v2", json=NEXT_TASK_JSON)

    with caplog.at_level(logging.INFO, logger="conductor.client"):
        next_task = client.deliver(completed())

    assert next_task is not None and next_task.task_id == "t-2"
    assert len(server.calls) == 6
    bodies = {c.request.body for c in server.calls}
    assert len(bodies) == 1, "the same result is sent on every attempt"
    assert waits == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.6])
    messages = [r.getMessage() for r in caplog.records]
    assert sum("Delivering task results failed" in m for m in messages) == 1
    assert sum("works again after 5 failed attempts" in m for m in messages) == 1


def test_backoff_is_capped_and_jittered(server, waits, session) -> None:
    jitter = iter([1.0] * 10 + [0.5, 0.0])
    client = TaskClient(
        Configuration(server_api_url=API),
        sleep=waits.append,
        jitter=lambda: next(jitter),
        session=session,
    )
    for _ in range(12):
        server.post(f"{API}/tasks/update-v2", status=503)
    server.post(f"{API}/tasks/update-v2", status=204)
    assert client.deliver(completed()) is None
    assert len(server.calls) == 13
    assert max(waits) == 10.0
    assert waits[-2:] == [5.0, 0.0]


@pytest.mark.parametrize("status", [400, 404])
def test_deliver_does_not_retry_a_refused_update_and_logs_the_server_message(
    server, client, waits, caplog, status
) -> None:
    message = f"refused with {status}: taskId missing"
    server.post(f"{API}/tasks/update-v2", status=status, json={"message": message})
    server.post(f"{API}/tasks", status=status, json={"message": message})
    with caplog.at_level(logging.INFO, logger="conductor.client"):
        assert client.deliver(completed()) is None
    assert waits == []
    assert len(server.calls) == (1 if status == 400 else 2)  # 404: one try at plain /tasks
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and message in errors[0].getMessage()


def test_a_5xx_the_server_says_is_not_retryable_is_final_for_that_result(
    server, client, waits, caplog
) -> None:
    """Conductor answers a result it cannot read with 500 and ``"retryable": false``: sending
    it again would fail the same way, so it is logged once and given up, not retried."""
    message = "JSON parse error: Cannot deserialize value of type `TaskResult$Status`"
    body = {"status": 500, "message": message, "instance": "conductor-1", "retryable": False}
    server.post(f"{API}/tasks/update-v2", status=500, json=body)
    failures: list[ConductorApiError] = []
    with caplog.at_level(logging.INFO, logger="conductor.client"):
        assert client.deliver(completed(), on_failure=failures.append) is None
    assert waits == [] and len(server.calls) == 1
    assert [(f.status, f.transient) for f in failures] == [(500, False)]
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(errors) == 1
    assert "t-1" in errors[0] and message in errors[0]


def test_a_5xx_the_server_says_is_retryable_is_retried(server, client, waits) -> None:
    body = {"status": 500, "message": "Error updating task", "retryable": True}
    server.post(f"{API}/tasks/update-v2", status=500, json=body)
    server.post(f"{API}/tasks/update-v2", status=502, body="<html>bad gateway</html>")
    server.post(f"{API}/tasks/update-v2", json=NEXT_TASK_JSON)
    next_task = client.deliver(completed())
    assert next_task is not None and next_task.task_id == "t-2"
    assert len(server.calls) == 3 and len(waits) == 2


def test_stop_event_ends_the_retries_after_one_last_attempt(server, session, caplog) -> None:
    stop = threading.Event()
    waits: list[float] = []

    def wait_and_stop_on_third(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 3:
            stop.set()

    client = TaskClient(
        Configuration(server_api_url=API), sleep=wait_and_stop_on_third, session=session
    )
    server.post(f"{API}/tasks/update-v2", body=requests.ConnectionError("down"))
    with caplog.at_level(logging.ERROR, logger="conductor.client"):
        assert client.deliver(completed(), stop=stop) is None
    assert len(waits) == 3
    assert len(server.calls) == 4  # three failures, the stop, one last attempt
    assert any("not delivered" in r.getMessage() for r in caplog.records)


def test_stop_already_set_means_a_single_attempt_without_waiting(server, session) -> None:
    stop = threading.Event()
    stop.set()
    # real waiting: on the stop event
    client = TaskClient(Configuration(server_api_url=API), session=session)
    server.post(f"{API}/tasks/update-v2", status=503)
    assert client.deliver(completed(), stop=stop) is None
    assert len(server.calls) == 1


def test_stop_event_interrupts_the_wait(server, session, monkeypatch) -> None:
    monkeypatch.setattr(backoff, "BASE_SECONDS", 5.0)  # a long first wait
    stop = threading.Event()
    client = TaskClient(Configuration(server_api_url=API), jitter=lambda: 1.0, session=session)

    def fail_and_stop(request):
        stop.set()
        return (503, {}, "")

    server.add_callback("POST", f"{API}/tasks/update-v2", callback=fail_and_stop)
    worker = threading.Thread(target=client.deliver, args=(completed(),), kwargs={"stop": stop})
    worker.start()
    worker.join(timeout=4.0)
    assert not worker.is_alive(), "deliver kept waiting although stop was set"
    assert len(server.calls) == 2  # the attempt during which stop was set, one last attempt


def circular() -> list:
    loop: list = []
    loop.append(loop)
    return loop


@pytest.mark.parametrize(
    ("bad_output", "named"),
    [
        (decimal.Decimal("1.5"), "it contains a Decimal (Decimal('1.5'))"),
        ({"tags": {"a"}}, "it contains a set ({'a'})"),
        ([{"deep": object()}], "it contains a object (<object object at"),
        (float("nan"), "ValueError: Out of range float values are not JSON compliant"),
        (circular(), "ValueError: Circular reference detected"),
    ],
    ids=["decimal", "set", "nested-object", "nan", "circular"],
)
def test_output_that_json_cannot_carry_is_reported_as_a_failure_saying_why(
    server, client, caplog, bad_output, named
) -> None:
    server.post(f"{API}/tasks/update-v2", status=204)
    result = completed()
    result.add_output_data("value", bad_output)
    result.log("worked hard")
    with caplog.at_level(logging.ERROR, logger="conductor.client"):
        assert client.deliver(result) is None
    [call] = server.calls  # one attempt: the FAILED result
    sent = json.loads(call.request.body)
    assert sent["status"] == "FAILED"
    assert sent["taskId"] == "t-1" and sent["workflowInstanceId"] == "wf-1"
    assert sent["reasonForIncompletion"].startswith("the task's output cannot be sent as JSON: ")
    assert named in sent["reasonForIncompletion"]
    assert sent.get("outputData", {}) == {}
    assert [entry["log"] for entry in sent["logs"]] == ["worked hard"]
    assert named in caplog.text


# -- sessions and processes ------------------------------------------------------------------


def test_a_session_passed_in_carries_every_request_and_stays_open(server, session) -> None:
    session.headers["X-Gateway"] = "team-a"  # e.g. what a gateway in front of the server wants
    server.get(f"{API}/tasks/poll/greet", status=204)
    with TaskClient(Configuration(server_api_url=API), session=session) as client:
        assert client.poll("greet", worker_id="w1") is None
    request = server.calls[0].request
    assert request.headers["X-Gateway"] == "team-a"
    assert request.headers["User-Agent"] == "conductor-workers-python"
    server.get(f"{API}/health", json={"healthy": True})
    assert session.get(f"{API}/health", timeout=1).json() == {"healthy": True}  # still open


def test_a_client_is_not_pickled_and_says_what_to_do_instead(client) -> None:
    with pytest.raises(TypeError, match="make one in each process"):
        pickle.dumps(client)
