"""Testing a workflow without workers through the harness: ``admin.test_workflow`` over a real
socket, and the example file docs/testing.md shows, run by pytest outside this repository."""

from __future__ import annotations

import pytest
import requests

from harness.admin import AdminError
from tests.paths import REPO

EXAMPLE = REPO / "examples" / "testing" / "test_workflow_mocks.py"
DRAFT = {
    "name": "draft",
    "tasks": [
        {"name": "fetch", "taskReferenceName": "fetch"},
        {
            "name": "wait_for_ok",
            "taskReferenceName": "ok",
            "type": "HUMAN",
        },
    ],
    "outputParameters": {"rows": "${fetch.output.rows}", "by": "${ok.output.by}"},
}


def test_an_unregistered_definition_is_tested_as_given(conductor_server):
    admin = conductor_server.admin
    run = admin.test_workflow(
        workflow_def=DRAFT,
        input={"day": "monday"},
        mocks={"fetch": [{"output": {"rows": 3}}], "ok": [{"output": {"by": "ada"}}]},
        correlation_id="try-1",
        task_to_domain={"fetch": "mine"},
    )
    assert (run["workflowName"], run["status"]) == ("draft", "COMPLETED")
    assert run["output"] == {"rows": 3, "by": "ada"}
    assert run["correlationId"] == "try-1"
    assert run["tasks"][0]["domain"] == "mine"  # the request's own domain for that type stays
    # Nothing was registered by the run.
    assert (
        requests.get(f"{conductor_server.url}/metadata/workflow/draft", timeout=5).status_code
        == 404
    )


def test_a_registered_version_is_tested_by_name(conductor_server):
    admin = conductor_server.admin
    admin.register_workflow({**DRAFT, "version": 1})
    admin.register_workflow({**DRAFT, "version": 2, "tasks": DRAFT["tasks"][:1]})
    first = admin.test_workflow("draft", version=1, mocks={"fetch": [{}], "ok": [{}]})
    latest = admin.test_workflow("draft", mocks={"fetch": [{}]})
    assert (first["workflowVersion"], first["status"]) == (1, "COMPLETED")
    assert (latest["workflowVersion"], latest["status"]) == (2, "COMPLETED")


def test_what_cannot_run_is_an_error_with_the_servers_words(conductor_server):
    admin = conductor_server.admin
    with pytest.raises(AdminError) as unknown:
        admin.test_workflow("nowhere")
    assert unknown.value.status == 404
    assert "nowhere" in unknown.value.body
    with pytest.raises(ValueError, match="a workflow name or a workflow_def"):
        admin.test_workflow()
