"""Time skipping through the /fake admin API (Flask test client, a manual clock under the
skipping one standing for real time)."""

import pytest

from fake_server import ManualClock, SkippingClock, SystemClock
from fake_server.engine import Engine
from fake_server.http import create_app


@pytest.fixture
def skipping_client():
    engine = Engine(SkippingClock(base=ManualClock()))
    yield create_app(engine).test_client()
    engine.close()


def fail_once_with_retry_delay(client, seconds):
    client.post(
        "/api/metadata/taskdefs",
        json=[{"name": "a", "retryCount": 1, "retryDelaySeconds": seconds}],
    )
    body = client.post("/fake/tasks", json={"taskType": "a"}).json
    task = client.get("/api/tasks/poll/a?workerid=w").json
    result = {"workflowInstanceId": body["workflowInstanceId"], "taskId": task["taskId"]}
    client.post("/api/tasks", json={**result, "status": "FAILED"})


def test_the_clock_shows_what_was_skipped_and_why(skipping_client):
    start = skipping_client.get("/fake/clock").json["now"]
    fail_once_with_retry_delay(skipping_client, 3600)

    clock = skipping_client.get("/fake/clock").json
    assert clock["now"] == start + 3600_000
    skipping = clock["timeSkipping"]
    assert (skipping["enabled"], skipping["skips"], skipping["skippedMs"]) == (True, 1, 3600_000)
    assert skipping["lastSkip"]["from"] == start
    assert skipping["lastSkip"]["to"] == start + 3600_000
    assert "retry delay" in skipping["lastSkip"]["reason"]
    assert "ready to hand out in queue a" in skipping["underWay"]
    assert skipping_client.get("/fake/stats").json["timeSkipping"] == skipping


def test_switching_off_and_on(skipping_client):
    response = skipping_client.post("/fake/clock/time-skipping", json={"enabled": False})
    assert (response.status_code, response.json) == (200, {"enabled": False, "wasEnabled": True})
    fail_once_with_retry_delay(skipping_client, 60)
    clock = skipping_client.get("/fake/clock").json["timeSkipping"]
    assert (clock["skips"], clock["lastSkip"], clock["underWay"]) == (0, None, None)
    assert "retry delay (60 s)" in clock["nextTimer"]["what"]
    assert skipping_client.get("/api/tasks/poll/a?workerid=w").status_code == 204

    response = skipping_client.post("/fake/clock/time-skipping", json={"enabled": True})
    assert response.json == {"enabled": True, "wasEnabled": False}
    assert skipping_client.get("/api/tasks/poll/a?workerid=w").json["retryCount"] == 1


def test_advance_skips_explicitly(skipping_client):
    start = skipping_client.get("/fake/clock").json["now"]
    response = skipping_client.post("/fake/clock/advance", json={"seconds": 90})
    assert response.json == {"now": start + 90_000}
    skipping = skipping_client.get("/fake/clock").json["timeSkipping"]
    assert skipping["lastSkip"]["reason"] == "requested by a test"


@pytest.mark.parametrize(
    "body", [{}, {"enabled": "yes"}, {"enabled": None}], ids=["missing", "string", "null"]
)
def test_a_bad_switch_is_a_400_naming_the_field(skipping_client, body):
    response = skipping_client.post("/fake/clock/time-skipping", json=body)
    assert response.status_code == 400
    assert "body.enabled" in response.json["message"]


def test_a_server_without_time_skipping_refuses_the_switch_and_shows_nothing_new():
    engine = Engine(SystemClock())
    client = create_app(engine).test_client()
    response = client.post("/fake/clock/time-skipping", json={"enabled": True})
    assert response.status_code == 409
    assert "--time-skipping" in response.json["message"]
    assert set(client.get("/fake/clock").json) == {"now", "manual"}
    assert "timeSkipping" not in client.get("/fake/stats").json
    assert client.get("/fake/state").json["clock"] == "system"
    engine.close()
