"""docs/coverage.md is the routing table's coverage of Conductor OSS's REST API, regenerated and
compared here; each route is answered or refused with its reason, as the page says."""

from __future__ import annotations

import re

from fake_server.http import coverage
from fake_server.http.conductor_api import ROUTES as CONDUCTOR_ROUTES
from tests.paths import REPO

PAGE = REPO / "docs" / "coverage.md"
REFUSED = [route for route in CONDUCTOR_ROUTES if coverage.route_status(route) == "refused"]


def test_the_coverage_page_is_the_routing_tables():
    assert PAGE.read_text() == coverage.render(), (
        "docs/coverage.md is out of date: python -m fake_server.http.coverage > docs/coverage.md"
    )


def test_every_conductor_route_is_answered_or_refused_with_a_reason():
    """A route of the list that the table neither answers nor refuses means one of the two is
    wrong; a route the table answers must not carry a refusal reason."""
    statuses = {(r.method, r.path): coverage.route_status(r) for r in CONDUCTOR_ROUTES}
    assert [key for key, status in statuses.items() if status == "missing"] == []
    assert [
        (r.method, r.path)
        for r in CONDUCTOR_ROUTES
        if r.refused and statuses[(r.method, r.path)] == "answered"
    ] == []
    assert len(statuses) == len(CONDUCTOR_ROUTES)  # each route listed once


def test_every_refused_route_answers_400_with_its_reason(client):
    assert len(REFUSED) > 50
    for route in REFUSED:
        answer = client.open(re.sub(r"\{[^}]*\}", "x", route.path), method=route.method, json={})
        assert (answer.status_code, answer.json["message"]) == (
            400,
            f"not supported by the fake server: {route.method} {route.path} ({route.refused})",
        ), route


def test_the_new_workflow_routes_answer_as_conductor(client):
    """WorkflowResource.getExecutionStatusTaskList and WorkflowServiceImpl.terminateRemove."""
    client.put(
        "/api/metadata/workflow",
        json=[{"name": "wf", "tasks": [{"name": "a", "taskReferenceName": "a"}]}],
    )
    workflow_id = client.post("/api/workflow", json={"name": "wf"}).text
    page = client.get(f"/api/workflow/{workflow_id}/tasks?status=scheduled&count=5").json
    assert page["totalHits"] == 1
    assert [t["referenceTaskName"] for t in page["results"]] == ["a"]
    assert client.get(f"/api/workflow/{workflow_id}/tasks?status=COMPLETED").json == {
        "totalHits": 0,
        "results": [],
    }
    removed = client.delete(f"/api/workflow/{workflow_id}/terminate-remove?reason=done")
    assert removed.status_code == 200
    assert client.get(f"/api/workflow/{workflow_id}").status_code == 200  # archived: still read
    assert client.get(f"/api/workflow/{workflow_id}").json["status"] == "TERMINATED"


def test_workflow_definition_listings_answer_as_conductor(client):
    """MetadataServiceImpl.getWorkflowNamesAndVersions, getWorkflowNames, getWorkflowVersions
    and getWorkflowDefsLatestVersions."""
    task = [{"name": "a", "taskReferenceName": "a"}]
    definitions = [
        {"name": "b_wf", "version": 2, "tasks": task},
        {"name": "b_wf", "version": 1, "tasks": task},
        {"name": "a_wf", "version": 1, "tasks": task, "createTime": 5},
    ]
    assert client.put("/api/metadata/workflow", json=definitions).status_code == 200
    assert client.get("/api/metadata/workflow/names").json == ["a_wf", "b_wf"]
    assert client.get("/api/metadata/workflow/names-and-versions").json == {
        "a_wf": [{"name": "a_wf", "version": 1, "createTime": 5}],
        "b_wf": [{"name": "b_wf", "version": 1}, {"name": "b_wf", "version": 2}],
    }
    assert client.get("/api/metadata/workflow/b_wf/versions").json == [
        {"name": "b_wf", "version": 1},
        {"name": "b_wf", "version": 2},
    ]
    assert client.get("/api/metadata/workflow/nope/versions").json == []
    latest = client.get("/api/metadata/workflow/latest-versions").json
    assert [(d["name"], d["version"]) for d in latest] == [("a_wf", 1), ("b_wf", 2)]
