"""The buttons of the console's workflow and faults pages, through the Flask test client: each
does what its API route does, and a refusal shows the API's words on the page."""

from __future__ import annotations

from tests.unit.fake_server.helpers import Worker, sequence, start


def test_a_refused_action_shows_the_apis_error_text_and_changes_nothing(engine, client):
    workflow_id = start(engine, sequence("billing", "charge"))

    page = client.post(f"/workflows/{workflow_id}/actions/resume")

    assert page.status_code == 200
    assert "is not PAUSED so cannot resume" in page.get_data(as_text=True)
    assert engine.get_workflow(workflow_id)["status"] == "RUNNING"


def test_a_page_answering_a_form_does_not_reload_itself_from_the_forms_url(engine, client):
    # A live reload GETs the page's own URL: a refusal's URL is the form's (POST only).
    workflow_id = start(engine, sequence("billing", "charge"))
    live = 'data-refresh-seconds="2"'
    assert live in client.get(f"/workflows/{workflow_id}").get_data(as_text=True)

    refused = client.post(f"/workflows/{workflow_id}/actions/resume").get_data(as_text=True)
    missing_rule = client.post("/faults/7/remove").get_data(as_text=True)

    assert client.get(f"/workflows/{workflow_id}/actions/resume").status_code == 405
    for page in (refused, missing_rule):
        assert 'data-refresh-seconds="0"' in page and live not in page
    assert f'<a href="/workflows/{workflow_id}">Back to the live page</a>' in refused


def test_a_failed_task_set_from_its_row_fails_the_workflow_and_retry_runs_it_again(engine, client):
    workflow_id = start(engine, sequence("billing", "charge"))
    task = engine.get_workflow(workflow_id)["tasks"][0]

    failed = client.post(
        f"/workflows/{workflow_id}/actions/update-task",
        data={"taskId": task["taskId"], "status": "FAILED_WITH_TERMINAL_ERROR",
              "output": '{"card": "declined"}', "reason": "card declined"},
    )  # fmt: skip

    assert failed.status_code == 303
    workflow = engine.get_workflow(workflow_id)
    assert workflow["status"] == "FAILED"
    assert workflow["tasks"][0]["outputData"] == {"card": "declined"}
    page = client.get(failed.headers["Location"]).get_data(as_text=True)
    assert "card declined" in page and 'data-action="retry"' in page

    client.post(f"/workflows/{workflow_id}/actions/retry")

    assert engine.get_workflow(workflow_id)["status"] == "RUNNING"


def test_the_actions_offered_follow_the_workflows_state(engine, client):
    workflow_id = start(engine, sequence("billing", "charge", "ship"))

    def offered() -> set[str]:
        page = client.get(f"/workflows/{workflow_id}").get_data(as_text=True)
        names = ("retry", "restart", "rerun", "terminate", "pause", "resume", "skip")
        return {name for name in names if f'data-action="{name}"' in page}

    assert offered() == {"pause", "terminate", "skip"}
    client.post(f"/workflows/{workflow_id}/actions/pause")
    assert offered() == {"resume", "terminate"}
    client.post(f"/workflows/{workflow_id}/actions/terminate", data={"reason": "not needed"})
    assert engine.get_workflow(workflow_id)["reasonForIncompletion"] == "not needed"
    assert offered() == {"retry", "restart", "rerun"}


def test_skip_rerun_and_requeue_reach_the_engine(engine, client):
    workflow_id = start(engine, sequence("billing", "charge", "ship"))
    client.post(f"/workflows/{workflow_id}/actions/skip", data={"taskReferenceName": "ship"})
    Worker(engine).update(Worker(engine).take("charge"), "COMPLETED")
    assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"
    first = engine.get_workflow(workflow_id)["tasks"][0]

    client.post(
        f"/workflows/{workflow_id}/actions/rerun",
        data={"reRunFromTaskId": first["taskId"], "taskInput": '{"amount": 5}'},
    )

    [charge] = engine.get_workflow(workflow_id)["tasks"]
    assert charge["status"] == "SCHEDULED" and charge["inputData"]["amount"] == 5
    answer = client.post(f"/workflows/{workflow_id}/actions/requeue", data={"taskType": "charge"})
    assert "1%20pending%20charge%20task" in answer.headers["Location"]


def test_a_form_that_is_not_json_says_which_field(engine, client):
    workflow_id = start(engine, sequence("billing", "charge"))
    engine.terminate_workflow(workflow_id)

    page = client.post(f"/workflows/{workflow_id}/actions/rerun", data={"taskInput": "[1]"})

    assert "taskInput must be a JSON object" in page.get_data(as_text=True)


def test_fault_rules_are_added_and_removed_from_the_faults_page(client):
    added = client.post("/faults", data={"kind": "latency", "route": "poll", "ms": "250"})
    assert added.status_code == 303
    [rule] = client.get("/fake/faults").get_json()["rules"]
    assert (rule["kind"], rule["route"], rule["ms"]) == ("latency", "poll", 250)

    wrong = client.post("/faults", data={"kind": "latency", "route": "poll"})
    assert "ms" in wrong.get_data(as_text=True) and "is required" in wrong.get_data(as_text=True)

    client.post(f"/faults/{rule['id']}/remove")
    assert client.get("/fake/faults").get_json()["rules"] == []


def test_definitions_leads_to_the_workflow_definitions(client):
    answer = client.get("/definitions")
    assert (answer.status_code, answer.headers["Location"]) == (303, "/definitions/workflows")


def test_a_workflow_definition_shows_as_its_diagram_and_its_json(engine, client):
    engine.upsert_workflow_defs([sequence("billing", "charge", "ship", version=3)])

    page = client.get("/definitions/workflows/billing/3").get_data(as_text=True)

    assert 'data-ref="charge"' in page and 'data-ref="ship"' in page
    assert "&#34;taskReferenceName&#34;: &#34;charge&#34;" in page
    assert client.get("/definitions/workflows/billing").status_code == 200  # the latest
    assert client.get("/definitions/workflows/billing/9").status_code == 404


def test_a_runs_page_draws_its_diagram(engine, client):
    workflow_id = start(engine, sequence("billing", "charge", "ship"))

    page = client.get(f"/workflows/{workflow_id}").get_data(as_text=True)

    assert 'data-ref="charge" data-type="SIMPLE" data-status="SCHEDULED"' in page
    assert 'data-ref="ship" data-type="SIMPLE" data-status="NOT_RUN"' in page


def test_a_form_posted_from_another_site_is_refused(engine, client):
    workflow_id = start(engine, sequence("billing", "charge"))
    url = f"/workflows/{workflow_id}/actions/terminate"

    refused = client.post(url, headers={"Origin": "https://elsewhere.example"})

    assert refused.status_code == 403 and "elsewhere.example" in refused.get_data(as_text=True)
    assert engine.get_workflow(workflow_id)["status"] == "RUNNING"
    client.post(url, headers={"Origin": "http://localhost"})  # the console's own page
    assert engine.get_workflow(workflow_id)["status"] == "TERMINATED"


def test_a_human_and_a_wait_task_are_completed_from_their_rows(engine, client):
    human = {"name": "approve", "taskReferenceName": "approve", "type": "HUMAN"}
    wait = {"name": "hold", "taskReferenceName": "hold", "type": "WAIT"}
    workflow_id = start(engine, {"name": "approval", "tasks": [human, wait]})

    for reference in ("approve", "hold"):
        page = client.get(f"/workflows/{workflow_id}").get_data(as_text=True)
        assert f'name="reference" value="{reference}"' in page  # its row offers the form
        task = next(
            t
            for t in engine.get_workflow(workflow_id)["tasks"]
            if t["referenceTaskName"] == reference
        )
        client.post(
            f"/workflows/{workflow_id}/actions/update-task",
            data={"taskId": task["taskId"], "status": "COMPLETED", "output": '{"ok": true}'},
        )

    workflow = engine.get_workflow(workflow_id)
    assert workflow["status"] == "COMPLETED"
    assert [t["outputData"] for t in workflow["tasks"]] == [{"ok": True}, {"ok": True}]
