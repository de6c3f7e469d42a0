"""Faults injected through the admin API: which requests they hit, how often, and what the
client gets; seeded, counted in /fake/stats, cleared by a reset."""

from __future__ import annotations

import threading
import time

import pytest

from fake_server.engine import Engine
from fake_server.http import create_app


def add(client, **rule):
    response = client.post("/fake/faults", json=rule)
    assert response.status_code == 201, response.json
    return response.json


def poll(client, task_type="work", **args):
    query = "&".join(f"{k}={v}" for k, v in {"workerid": "w", **args}.items())
    return client.get(f"/api/tasks/poll/batch/{task_type}?timeout=0&{query}")


def test_an_error_for_the_next_n_calls_of_one_route_only(client, engine):
    engine.enqueue_tasks("work", 3)
    rule = add(client, kind="error", route="batch_poll", status=503, times=2)
    assert rule["description"] == "answer 503" and rule["timesLeft"] == 2

    statuses = [poll(client).status_code for _ in range(3)]

    assert statuses == [503, 503, 200]
    assert client.get("/api/tasks/queue/all").status_code == 200  # another route: untouched
    body = poll(client).json
    assert len(body) == 1  # the failed polls took nothing from the queue
    [stats] = client.get("/fake/stats").json["faults"]["rules"]
    assert (stats["matched"], stats["injected"], stats["timesLeft"]) == (4, 2, 0)


def test_the_error_body_is_conductors_and_says_it_was_injected(client):
    add(client, kind="error", route="*", status=500)

    response = client.get("/api/tasks/queue/all")

    assert response.status_code == 500
    assert response.json["status"] == 500 and response.json["retryable"] is True
    assert "fault injected by the fake server (rule 1)" in response.json["message"]


def test_an_error_after_handling_applies_the_update_and_loses_the_answer(client, engine):
    [task_id] = engine.enqueue_tasks("work")
    task = poll(client).json[0]
    add(client, kind="error", route="update", status=502, after=True, times=1)

    result = {"taskId": task_id, "workflowInstanceId": task["workflowInstanceId"]}
    response = client.post("/api/tasks", json={**result, "status": "COMPLETED"})

    assert response.status_code == 502
    assert engine.get_task(task_id)["status"] == "COMPLETED"


def test_a_probability_is_seeded_so_the_same_requests_fail_in_every_run(engine):
    def run(seed):
        client = create_app(Engine(engine.clock)).test_client()
        client.post("/fake/faults/seed", json={"seed": seed})
        add(client, kind="error", route="batch_poll", probability=0.5)
        return [poll(client).status_code for _ in range(40)]

    first, again, other = run(7), run(7), run(8)

    assert first == again
    assert first != other
    assert 8 < first.count(503) < 32


def test_paths_are_matched_by_glob(client):
    add(client, kind="error", path="/api/metadata/*", status=429)

    assert client.get("/api/metadata/taskdefs").status_code == 429
    assert client.get("/api/tasks/queue/all").status_code == 200


def test_latency_delays_the_answer(client):
    add(client, kind="latency", route="batch_poll", ms=300, times=1)

    started = time.monotonic()
    assert poll(client).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_a_hung_answer_ends_when_the_faults_are_cleared(client):
    add(client, kind="hang", route="batch_poll", seconds=60)
    answered = []
    waiting = threading.Thread(target=lambda: answered.append(poll(client).status_code))
    waiting.start()
    waiting.join(timeout=0.2)
    assert waiting.is_alive() and answered == []  # hanging

    assert client.delete("/fake/faults").status_code == 200
    waiting.join(timeout=5)

    assert answered == [200]


def test_a_task_delivered_twice_goes_to_the_next_poll_of_its_queue(client, engine):
    engine.enqueue_tasks("work", 1)
    engine.enqueue_tasks("work", 1, domain="eu")
    add(client, kind="duplicate", route="*", times=1)

    first = poll(client).json
    second = poll(client).json
    in_domain = poll(client, domain="eu").json

    assert len(first) == 1 and second == first
    assert poll(client).json == []  # once only
    assert len(in_domain) == 1 and in_domain[0]["taskId"] != first[0]["taskId"]
    [rule] = client.get("/fake/faults").json["rules"]
    assert rule["injected"] == 1


def test_the_admin_api_and_the_console_are_never_faulted(client):
    add(client, kind="error", route="*", status=503)

    assert client.get("/fake/stats").status_code == 200
    assert client.get("/").status_code == 200
    assert client.get("/api/health").status_code == 503


def test_a_reset_clears_the_faults(client):
    add(client, kind="error", route="*")
    client.post("/fake/reset")

    assert client.get("/api/tasks/queue/all").status_code == 200
    assert client.get("/fake/faults").json["rules"] == []


def test_removing_one_rule_keeps_the_others(client):
    first = add(client, kind="error", route="poll")
    add(client, kind="latency", route="poll", ms=1)

    assert client.delete(f"/fake/faults/{first['id']}").status_code == 200
    assert [r["kind"] for r in client.get("/fake/faults").json["rules"]] == ["latency"]
    assert client.delete("/fake/faults/99").status_code == 404


@pytest.mark.parametrize(
    ("rule", "says"),
    [
        ({"route": "update"}, "fault.kind: is required, one of error, latency, hang, duplicate"),
        ({"kind": "error", "route": "updat"}, "fault.route: must be one of"),
        ({"kind": "error"}, "give exactly one of 'route'"),
        ({"kind": "error", "path": "/fake/*"}, "fault.path: must start with /api/"),
        ({"kind": "error", "route": "*", "probability": 2}, "must be between 0 and 1"),
        ({"kind": "latency", "route": "*"}, "fault.ms: is required"),
        ({"kind": "error", "route": "*", "ms": 5}, "fault.ms: is not a field of a error fault"),
        ({"kind": "error", "route": "*", "status": 200}, "fault.status: must be >= 400"),
    ],
)
def test_a_bad_rule_is_a_400_that_names_the_field(client, rule, says):
    response = client.post("/fake/faults", json=rule)

    assert response.status_code == 400
    assert says in response.json["message"]


def test_an_outage_needs_a_server_that_can_make_one(client):
    response = client.post("/fake/faults/outage", json={"seconds": 1})

    assert response.status_code == 400
    assert "not supported by the fake server" in response.json["message"]
