"""WAIT, HUMAN, HTTP and EVENT: tasks that wait on time, on a person or on the outside
(Conductor's Wait, WaitTaskMapper, Human, HttpTask, Event)."""

import json

import pytest
from werkzeug import Response

from fake_server.engine.errors import BadRequestError
from tests.unit.fake_server.helpers import Worker, result, start, statuses
from tests.unit.fake_server.system_task_helpers import by_ref, simple, system, workflow


def wait(ref="pause", **inputs):
    return system("WAIT", ref, inputParameters=inputs)


def test_wait_with_a_duration_ends_when_the_clock_gets_there(engine, clock):
    """Mirrors Wait and WaitTaskMapper with duration."""
    workflow_id = start(engine, workflow("w", wait(duration="1 hour"), simple("after")))
    pause = by_ref(engine, workflow_id)["pause"]
    assert (pause["taskType"], pause["status"]) == ("WAIT", "IN_PROGRESS")
    assert pause["callbackAfterSeconds"] == 3600
    clock.advance_seconds(3599)
    assert by_ref(engine, workflow_id)["pause"]["status"] == "IN_PROGRESS"
    clock.advance_seconds(1)
    assert statuses(engine, workflow_id) == [("pause", "COMPLETED"), ("after", "SCHEDULED")]


def test_wait_until_a_time(engine, clock):
    # The manual clock starts at 2023-11-14T22:13:20Z.
    """Mirrors Wait and WaitTaskMapper with until."""
    workflow_id = start(engine, workflow("w", wait(until="2023-11-14 23:00 UTC")))
    clock.advance_seconds(46 * 60 + 39)
    assert engine.get_workflow(workflow_id)["status"] == "RUNNING"
    clock.advance_seconds(1)
    assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"


def test_wait_without_an_end_is_completed_from_outside(engine):
    """Mirrors Wait without an end: completed by an update from outside."""
    workflow_id = start(engine, workflow("w", wait(), simple("after")))
    pause = by_ref(engine, workflow_id)["pause"]
    engine.update_task(result(pause, "COMPLETED", outputData={"approved": True}))
    assert by_ref(engine, workflow_id)["pause"]["outputData"] == {"approved": True}
    assert statuses(engine, workflow_id)[-1] == ("after", "SCHEDULED")


def test_a_wait_is_not_handed_to_workers(engine):
    """Mirrors Wait: the server holds it; no worker receives it."""
    start(engine, workflow("w", wait()))
    assert engine.poll("WAIT") is None
    assert engine.poll("pause") is None


def test_wait_with_duration_and_until_is_refused(engine):
    """Mirrors WorkflowTaskTypeConstraint for WAIT: both duration and until is refused."""
    with pytest.raises(BadRequestError, match="Both 'duration' and 'until'"):
        engine.register_workflow_def(workflow("w", wait(duration="1s", until="2024-01-01")))


def test_wait_with_an_unreadable_duration_is_refused(engine):
    """Mirrors WaitTaskMapper: a duration it cannot read is refused."""
    with pytest.raises(BadRequestError, match="Wait time specified is invalid"):
        engine.register_workflow_def(workflow("w", wait(duration="soon")))


def test_human_waits_for_an_update_and_can_be_failed(engine):
    """Mirrors Human: it waits for an update, which may fail it."""
    definition = workflow("w", system("HUMAN", "approve"), simple("after"))
    workflow_id = start(engine, definition)
    approve = by_ref(engine, workflow_id)["approve"]
    assert (approve["taskType"], approve["status"]) == ("HUMAN", "IN_PROGRESS")
    engine.update_task(result(approve, "IN_PROGRESS", outputData={"seen": True}))
    assert by_ref(engine, workflow_id)["approve"]["status"] == "IN_PROGRESS"
    engine.update_task(result(approve, "FAILED", reasonForIncompletion="rejected"))
    done = engine.get_workflow(workflow_id)
    assert done["status"] == "FAILED"
    assert "rejected" in done["reasonForIncompletion"]


def http_task(httpserver, path="/price", **request):
    params = {"uri": httpserver.url_for(path), "method": "GET", **request}
    return system("HTTP", "call", inputParameters={"http_request": params})


def test_http_task_calls_out_and_takes_the_response(engine, httpserver):
    """Mirrors HttpTask: the call is made and its response becomes the output."""
    httpserver.expect_request(
        "/price", method="POST", json={"sku": "a"}, headers={"X-Token": "t"}
    ).respond_with_json({"price": 3}, headers={"X-Served": "yes"})
    definition = workflow(
        "w",
        http_task(
            httpserver,
            method="POST",
            body={"sku": "${workflow.input.sku}"},
            headers={"X-Token": "t"},
        ),
        simple("after", inputParameters={"price": "${call.output.response.body.price}"}),
    )
    workflow_id = start(engine, definition, input={"sku": "a"})
    call = by_ref(engine, workflow_id)["call"]
    assert (call["taskType"], call["status"]) == ("HTTP", "COMPLETED")
    response = call["outputData"]["response"]
    assert response["statusCode"] == 200
    assert response["reasonPhrase"] == "OK"
    assert response["body"] == {"price": 3}
    assert response["headers"]["X-Served"] == ["yes"]
    assert Worker(engine).take("after")["inputData"] == {"price": 3}


def test_http_task_reads_a_number_body_as_a_float_and_text_as_text(engine, httpserver):
    """Mirrors HttpTask: a number body reads as a float, text as text."""
    httpserver.expect_request("/n").respond_with_data("42")
    httpserver.expect_request("/t").respond_with_data("plain words")
    first = start(engine, workflow("a", http_task(httpserver, "/n")))
    second = start(engine, workflow("b", http_task(httpserver, "/t")))
    assert by_ref(engine, first)["call"]["outputData"]["response"]["body"] == 42.0
    assert by_ref(engine, second)["call"]["outputData"]["response"]["body"] == "plain words"


def test_http_task_fails_on_an_error_status(engine, httpserver):
    """Mirrors HttpTask: an error status fails the task."""
    httpserver.expect_request("/price").respond_with_data("no such sku", status=404)
    workflow_id = start(engine, workflow("w", http_task(httpserver)))
    call = by_ref(engine, workflow_id)["call"]
    assert call["status"] == "FAILED"
    assert call["reasonForIncompletion"].startswith("Failed to invoke HTTP task due to:")
    assert '404 Not Found: "no such sku"' in call["reasonForIncompletion"]
    assert engine.get_workflow(workflow_id)["status"] == "FAILED"


def test_http_task_is_retried_by_its_definition(engine, httpserver, clock):
    """Mirrors HttpTask with DeciderService.retry: retried as its task definition says."""
    engine.register_task_defs([{"name": "call", "retryCount": 1, "retryDelaySeconds": 5}])
    httpserver.expect_ordered_request("/price").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/price").respond_with_json({"price": 1})
    workflow_id = start(engine, workflow("w", http_task(httpserver)))
    assert statuses(engine, workflow_id) == [("call", "FAILED"), ("call", "SCHEDULED")]
    clock.advance_seconds(5)
    assert statuses(engine, workflow_id) == [("call", "FAILED"), ("call", "COMPLETED")]
    assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"


def test_http_task_times_out_by_its_read_timeout(engine, httpserver):
    """Mirrors HttpTask: its read timeout fails it."""
    import time

    def slow(_request):
        time.sleep(0.5)
        return Response("late")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    workflow_id = start(engine, workflow("w", http_task(httpserver, "/slow", readTimeOut=100)))
    call = by_ref(engine, workflow_id)["call"]
    assert call["status"] == "FAILED"
    assert "timed out" in call["reasonForIncompletion"].lower()


def test_http_task_with_async_complete_waits_for_an_update(engine, httpserver):
    """Mirrors HttpTask with asyncComplete: it waits for an update."""
    httpserver.expect_request("/price").respond_with_json({"accepted": True})
    definition = workflow("w", {**http_task(httpserver), "asyncComplete": True})
    workflow_id = start(engine, definition)
    call = by_ref(engine, workflow_id)["call"]
    assert call["status"] == "IN_PROGRESS"
    engine.update_task(result(call, "COMPLETED", outputData={"done": 1}))
    assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"


def test_http_task_needs_a_uri(engine):
    """Mirrors WorkflowTaskTypeConstraint for HTTP: it needs a uri."""
    with pytest.raises(BadRequestError, match="http_request or inputParameters.uri"):
        engine.register_workflow_def(workflow("w", system("HTTP", "call")))


def test_event_is_recorded_and_completes_with_conductors_output(engine):
    """Mirrors Event: it completes with Conductor's output; the fake records the message instead
    of publishing it."""
    definition = workflow(
        "orders",
        system(
            "EVENT", "notify", sink="conductor", inputParameters={"order": "${workflow.input.id}"}
        ),
    )
    workflow_id = start(engine, definition, input={"id": 7}, correlationId="c")
    notify = by_ref(engine, workflow_id)["notify"]
    assert notify["status"] == "COMPLETED"
    output = notify["outputData"]
    assert output["event_produced"] == "conductor:orders:notify"
    assert output["order"] == 7
    assert output["workflowInstanceId"] == workflow_id
    assert output["correlationId"] == "c"
    events = engine.snapshot()["events"]
    assert [(e["queue"], e["payload"]["order"]) for e in events] == [("conductor:orders:notify", 7)]
    assert json.dumps(events)  # plain JSON


@pytest.mark.parametrize(
    ("sink", "error"),
    [("orders", "Illegal event orders"), ("rabbit:orders", "Unknown queue type rabbit")],
)
def test_an_event_to_a_queue_conductor_cannot_load_fails(engine, sink, error):
    """Mirrors Event.execute with EventQueues.getQueue: a sink without a ``type:`` prefix, or
    of a type no provider has, fails the task with Conductor's reason; nothing is published."""
    definition = workflow("orders", system("EVENT", "notify", sink=sink))
    workflow_id = start(engine, definition)
    notify = by_ref(engine, workflow_id)["notify"]
    assert notify["status"] == "FAILED"
    assert notify["reasonForIncompletion"] == (
        f"Error loading queue:{sink}, for task:{notify['taskId']}, error: {error}"
    )
    assert notify["outputData"]["event_produced"] == sink
    assert engine.get_workflow(workflow_id)["status"] == "FAILED"
    assert engine.snapshot()["events"] == []


def test_event_needs_a_sink(engine):
    """Mirrors WorkflowTaskTypeConstraint for EVENT: it needs a sink."""
    with pytest.raises(BadRequestError, match="sink field is required"):
        engine.register_workflow_def(workflow("w", system("EVENT", "e")))


def test_published_events_are_shown_by_the_admin_api(engine, client):
    """The fake's own admin API shows what Event tasks published (no Conductor counterpart)."""
    definition = workflow(
        "orders", system("EVENT", "notify", sink="sqs:orders", inputParameters={"n": 1})
    )
    start(engine, definition)
    answer = client.get("/fake/events")
    assert answer.status_code == 200
    assert [(e["queue"], e["payload"]["n"]) for e in answer.get_json()] == [("sqs:orders", 1)]


def test_registering_an_unsupported_type_over_http_is_a_400_naming_it(client):
    """The fake's honest boundary for WorkflowTaskTypeConstraint, over HTTP."""
    definition = workflow("w", system("KAFKA_PUBLISH", "k", inputParameters={"kafka_request": {}}))
    answer = client.post("/api/metadata/workflow", json=definition)
    assert answer.status_code == 400
    assert "not supported by the fake server: KAFKA_PUBLISH" in answer.get_json()["message"]


def test_a_wait_is_completed_by_workflow_id_and_reference_name_over_http(engine, client):
    """Mirrors TaskResource.updateTask by workflow id and reference name, on a Wait."""
    workflow_id = start(engine, workflow("w", wait(), simple("after")))
    answer = client.post(f"/api/tasks/{workflow_id}/pause/COMPLETED", json={"approved": True})
    assert answer.status_code == 200
    assert answer.get_data(as_text=True) == by_ref(engine, workflow_id)["pause"]["taskId"]
    assert by_ref(engine, workflow_id)["pause"]["outputData"] == {"approved": True}
    assert statuses(engine, workflow_id)[-1] == ("after", "SCHEDULED")


def test_a_human_task_in_a_loop_is_updated_by_its_iteration_name_with_sync(engine, client):
    """Mirrors TaskResource.updateTaskSync on a Human task in a DoWhile."""
    loop = system(
        "DO_WHILE",
        "loop",
        loopCondition="$.approve.approved != true",
        loopOver=[system("HUMAN", "approve")],
    )
    workflow_id = start(engine, workflow("w", loop))
    answer = client.post(f"/api/tasks/{workflow_id}/approve__1/COMPLETED/sync", json={})
    assert answer.status_code == 200
    assert answer.get_json()["status"] == "RUNNING"
    answer = client.post(
        f"/api/tasks/{workflow_id}/approve__2/COMPLETED/sync", json={"approved": True}
    )
    body = answer.get_json()
    assert body["status"] == "COMPLETED"
    assert [t["referenceTaskName"] for t in body["tasks"]] == ["loop", "approve__1", "approve__2"]
