"""``POST /api/workflow/test`` over the Flask test client: the workflow JSON of a run on mocked
results, and Conductor's error bodies for requests it cannot run."""

from __future__ import annotations

import pytest

ORDER = {
    "name": "order",
    "tasks": [
        {"name": "reserve", "taskReferenceName": "reserve"},
        {
            "name": "route",
            "taskReferenceName": "route",
            "type": "SWITCH",
            "evaluatorType": "value-param",
            "expression": "express",
            "inputParameters": {"express": "${workflow.input.express}"},
            "decisionCases": {"true": [{"name": "courier", "taskReferenceName": "courier"}]},
            "defaultCase": [{"name": "post", "taskReferenceName": "post"}],
        },
    ],
}
MOCKS = {
    "reserve": [{"status": "FAILED"}, {"status": "COMPLETED", "output": {"id": "r-1"}}],
    "courier": [{"output": {"eta": "1h"}}],
    "post": [{"output": {"eta": "2d"}}],
}


@pytest.fixture(autouse=True)
def definitions(client):
    reserve = {"name": "reserve", "retryCount": 1, "retryDelaySeconds": 30}
    assert client.post("/api/metadata/taskdefs", json=[reserve]).status_code == 200
    assert client.post("/api/metadata/workflow", json=ORDER).status_code == 200


def test_a_registered_workflow_runs_on_its_mocks(client):
    body = {"name": "order", "version": 1, "input": {"express": True}, "taskRefToMockOutput": MOCKS}
    response = client.post("/api/workflow/test", json=body)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    run = response.json
    assert run["status"] == "COMPLETED"
    assert [(t["referenceTaskName"], t["status"]) for t in run["tasks"]] == [
        ("reserve", "FAILED"),
        ("reserve", "COMPLETED"),
        ("route", "COMPLETED"),
        ("courier", "COMPLETED"),
    ]
    assert run["output"] == {"eta": "1h"}
    # The run is a workflow like any other: it can be read back.
    again = client.get(f"/api/workflow/{run['workflowId']}")
    assert again.json["status"] == "COMPLETED"


def test_an_inline_definition_runs_without_registration(client):
    inline = {**ORDER, "name": "order_draft"}
    body = {"name": "order_draft", "workflowDef": inline, "taskRefToMockOutput": MOCKS}
    run = client.post("/api/workflow/test", json=body).json
    assert run["workflowName"] == "order_draft"
    assert [t["referenceTaskName"] for t in run["tasks"]][-1] == "post"
    assert client.get("/api/metadata/workflow/order_draft").status_code == 404


def test_a_missing_mock_answers_the_running_workflow(client):
    body = {"name": "order", "input": {"express": False}, "taskRefToMockOutput": {}}
    response = client.post("/api/workflow/test", json=body)
    assert response.status_code == 200
    assert response.json["status"] == "RUNNING"
    assert [t["status"] for t in response.json["tasks"]] == ["SCHEDULED"]


def test_a_workflow_named_test_is_still_started_by_its_request(client):
    named_test = {**ORDER, "name": "test"}
    assert client.post("/api/metadata/workflow", json=named_test).status_code == 200
    response = client.post("/api/workflow", json={"name": "test", "input": {"express": True}})
    assert response.status_code == 200
    assert client.get(f"/api/workflow/{response.get_data(as_text=True)}").json["status"] == (
        "RUNNING"
    )


@pytest.mark.parametrize(
    ("body", "status", "path"),
    [
        ({"name": "nowhere"}, 404, None),
        # WorkflowService.startWorkflow's @Valid: a failed constraint, 400.
        ({"workflowDef": ORDER}, 400, "WorkflowTestRequest.name"),
        # What Jackson cannot read (an unknown status, a text for a list): 500.
        (
            {"name": "order", "taskRefToMockOutput": {"reserve": [{"status": "OK"}]}},
            500,
            "WorkflowTestRequest.taskRefToMockOutput.reserve[0].status",
        ),
        (
            {"name": "order", "taskRefToMockOutput": {"reserve": "COMPLETED"}},
            500,
            "WorkflowTestRequest.taskRefToMockOutput.reserve",
        ),
    ],
)
def test_requests_it_cannot_run_get_conductors_error_body(client, body, status, path):
    response = client.post("/api/workflow/test", json=body)
    assert response.status_code == status
    error = response.json
    assert {"status", "message", "retryable"} <= set(error)
    assert error["status"] == status
    if path is not None:
        assert error["fakeServerDetail"].startswith(path)


def test_a_body_that_is_not_json_is_refused(client):
    response = client.post("/api/workflow/test", data="{", content_type="application/json")
    assert response.status_code == 500
    assert response.json["message"].startswith("JSON parse error")
    assert "malformed JSON" in response.json["fakeServerDetail"]
