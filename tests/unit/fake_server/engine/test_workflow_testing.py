"""The workflow test API in the engine (Conductor's WorkflowTestService): a definition run on
mocked task results, one per attempt, with the operators run for real."""

from __future__ import annotations

from typing import Any

import pytest

from fake_server import ManualClock, SkippingClock
from fake_server.engine import Engine
from fake_server.engine.errors import BadRequestError, NotFoundError
from tests.unit.fake_server.system_task_helpers import simple, system, workflow


def mocked_run(engine: Engine, definition: dict[str, Any], **request: Any) -> dict[str, Any]:
    """The workflow of a test run of the inline ``definition``."""
    return engine.test_workflow({"name": definition["name"], "workflowDef": definition, **request})


def done(status: str = "COMPLETED", **output: Any) -> dict[str, Any]:
    return {"status": status, "output": output}


def rows(run: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(t["referenceTaskName"], t["taskType"], t["status"]) for t in run["tasks"]]


def task(run: dict[str, Any], ref: str, attempt: int = -1) -> dict[str, Any]:
    attempts = [t for t in run["tasks"] if t["referenceTaskName"] == ref]
    return attempts[attempt]


# -- mocks, one per attempt ---------------------------------------------------------------------
def test_mocked_results_complete_the_workflow_with_their_outputs(engine):
    """Mirrors WorkflowTestService.testWorkflow."""
    definition = workflow(
        "greet",
        simple("lookup", inputParameters={"id": "${workflow.input.id}"}),
        simple("greet", inputParameters={"name": "${lookup.output.name}"}),
        outputParameters={"text": "${greet.output.text}"},
    )
    run = mocked_run(
        engine,
        definition,
        input={"id": 7},
        taskRefToMockOutput={
            "lookup": [done(name="Ada")],
            "greet": [done(text="Hello Ada")],
        },
    )
    assert run["status"] == "COMPLETED"
    assert run["output"] == {"text": "Hello Ada"}
    assert rows(run) == [("lookup", "lookup", "COMPLETED"), ("greet", "greet", "COMPLETED")]
    # Inputs are evaluated from the mocked outputs, as from a worker's.
    assert task(run, "greet")["inputData"] == {"name": "Ada"}
    assert engine.get_workflow(run["workflowId"]) == run


def test_a_failed_mock_then_a_completed_one_is_a_retry_without_its_delay(engine, clock):
    """Mirrors WorkflowTestService.testWorkflow."""
    engine.register_task_defs([{"name": "charge", "retryCount": 2, "retryDelaySeconds": 600}])
    before = clock.now_ms()
    run = mocked_run(
        engine,
        workflow("pay", simple("charge")),
        taskRefToMockOutput={"charge": [done("FAILED", error="card declined"), done(id="c-1")]},
    )
    assert run["status"] == "COMPLETED"
    assert rows(run) == [("charge", "charge", "FAILED"), ("charge", "charge", "COMPLETED")]
    assert [t["retryCount"] for t in run["tasks"]] == [0, 1]
    assert task(run, "charge", 0)["outputData"] == {"error": "card declined"}
    assert task(run, "charge", 1)["outputData"] == {"id": "c-1"}
    assert task(run, "charge", 1)["retriedTaskId"] == task(run, "charge", 0)["taskId"]
    assert clock.now_ms() == before  # the 600 s delay was not waited for, nor skipped


def test_failures_beyond_the_retries_fail_the_workflow(engine):
    """Mirrors WorkflowTestService.testWorkflow."""
    engine.register_task_defs([{"name": "charge", "retryCount": 1, "retryDelaySeconds": 0}])
    run = mocked_run(
        engine,
        workflow("pay", simple("charge"), simple("ship")),
        taskRefToMockOutput={"charge": [done("FAILED"), done("FAILED")], "ship": [done()]},
    )
    assert run["status"] == "FAILED"
    assert rows(run) == [("charge", "charge", "FAILED"), ("charge", "charge", "FAILED")]
    failed = task(run, "charge")
    # A mock has no reason: Conductor's message shows it as Java prints a missing one.
    assert run["reasonForIncompletion"] == (
        f"Task {failed['taskId']} failed with status: FAILED and reason: 'null'"
    )


def test_a_terminal_error_is_not_retried(engine):
    """Mirrors WorkflowTestService.testWorkflow."""
    engine.register_task_defs([{"name": "charge", "retryCount": 3}])
    run = mocked_run(
        engine,
        workflow("pay", simple("charge")),
        taskRefToMockOutput={"charge": [done("FAILED_WITH_TERMINAL_ERROR"), done()]},
    )
    assert run["status"] == "FAILED"
    assert rows(run) == [("charge", "charge", "FAILED_WITH_TERMINAL_ERROR")]


def test_an_in_progress_mock_keeps_the_attempt_open_for_the_next_mock(engine):
    """Mirrors WorkflowTestService.testWorkflow."""
    run = mocked_run(
        engine,
        workflow("poll_job", simple("job")),
        taskRefToMockOutput={"job": [done("IN_PROGRESS", percent=50), done(percent=100)]},
    )
    assert run["status"] == "COMPLETED"
    assert rows(run) == [("job", "job", "COMPLETED")]  # one attempt, two results
    assert task(run, "job")["outputData"] == {"percent": 100}


def test_a_mock_without_status_or_output_completes_with_an_empty_output(engine):
    """Mirrors WorkflowTestService.testWorkflow."""
    run = mocked_run(engine, workflow("w", simple("a")), taskRefToMockOutput={"a": [{}]})
    assert run["status"] == "COMPLETED"
    assert task(run, "a")["outputData"] == {}


# -- where a run stops --------------------------------------------------------------------------
def test_a_task_without_a_mock_leaves_the_workflow_running_there(engine, worker):
    """Mirrors WorkflowTestService.testWorkflow."""
    run = mocked_run(
        engine,
        workflow("w", simple("first"), simple("second"), simple("third")),
        taskRefToMockOutput={"first": [done()], "third": [done()]},
    )
    assert run["status"] == "RUNNING"
    assert rows(run) == [("first", "first", "COMPLETED"), ("second", "second", "SCHEDULED")]
    # Its tasks are in the run's own domain, and in no queue: no worker gets them, and they
    # do not count as work waiting in the fake server's stats.
    domain = run["taskToDomain"]["*"]
    assert task(run, "second")["domain"] == domain
    assert worker.poll("second") is None
    assert engine.poll("second", "w-1", domain) is None
    assert engine.stats()["queues"] == {}


def test_used_up_mocks_stop_the_run_at_the_next_attempt(engine):
    """Mirrors WorkflowTestService.testWorkflow."""
    engine.register_task_defs([{"name": "charge", "retryCount": 2, "retryDelaySeconds": 5}])
    run = mocked_run(
        engine, workflow("pay", simple("charge")), taskRefToMockOutput={"charge": [done("FAILED")]}
    )
    assert run["status"] == "RUNNING"
    assert rows(run) == [("charge", "charge", "FAILED"), ("charge", "charge", "SCHEDULED")]


def test_a_branch_without_a_mock_stops_the_run_before_any_mock_is_used(engine):
    # Conductor looks for open tasks without mocks before it uses any mock of the round.
    """Mirrors WorkflowTestService.testWorkflow."""
    definition = workflow(
        "fork",
        system(
            "FORK_JOIN", "fork", forkTasks=[[simple("left")], [simple("right")]], type="FORK_JOIN"
        ),
        system("JOIN", "join", joinOn=["left", "right"]),
    )
    run = mocked_run(engine, definition, taskRefToMockOutput={"left": [done()]})
    assert run["status"] == "RUNNING"
    assert ("left", "left", "SCHEDULED") in rows(run)
    assert ("right", "right", "SCHEDULED") in rows(run)


def test_a_workflow_of_operators_only_needs_no_mock(engine):
    """Mirrors WorkflowTestService.testWorkflow."""
    definition = workflow(
        "compute",
        system(
            "INLINE",
            "double",
            inputParameters={
                "evaluatorType": "graaljs",
                "expression": "$.n * 2",
                "n": "${workflow.input.n}",
            },
        ),
        system("SET_VARIABLE", "remember", inputParameters={"doubled": "${double.output.result}"}),
        system(
            "JSON_JQ_TRANSFORM",
            "wrap",
            inputParameters={
                "queryExpression": "{value: .v}",
                "v": "${workflow.variables.doubled}",
            },
        ),
        outputParameters={"value": "${wrap.output.result.value}"},
    )
    run = mocked_run(engine, definition, input={"n": 21})
    assert run["status"] == "COMPLETED"
    assert run["output"] == {"value": 42}


def test_a_terminate_task_ends_the_run_as_it_says(engine):
    """Mirrors WorkflowTestService.testWorkflow."""
    definition = workflow(
        "stop",
        simple("check"),
        system(
            "TERMINATE",
            "stop",
            inputParameters={"terminationStatus": "FAILED", "terminationReason": "bad input"},
        ),
        simple("never"),
    )
    run = mocked_run(engine, definition, taskRefToMockOutput={"check": [done()]})
    assert run["status"] == "FAILED"
    assert run["reasonForIncompletion"] == "bad input"
    assert [t["referenceTaskName"] for t in run["tasks"]] == ["check", "stop"]


def test_tasks_that_end_when_scheduled_run_without_mocks(engine):
    """Mirrors WorkflowTestService.testWorkflow."""
    definition = workflow(
        "sync",
        system("NOOP", "nothing"),
        system(
            "LAMBDA",
            "add",
            inputParameters={"a": 2, "scriptExpression": "return {sum: $.a + 3};"},
        ),
        system("EVENT", "announce", sink="conductor", inputParameters={"sum": "${add.output}"}),
        system("JSON_JQ_TRANSFORM", "pick", inputParameters={"queryExpression": ".x", "x": 1}),
    )
    run = mocked_run(engine, definition)
    assert run["status"] == "COMPLETED"
    assert {status for _, _, status in rows(run)} == {"COMPLETED"}
    assert len(engine.published_events()) == 1


# -- branches and loops -------------------------------------------------------------------------
def routed(engine: Engine, country: str) -> dict[str, Any]:
    definition = workflow(
        "route",
        simple("locate"),
        system(
            "SWITCH",
            "region",
            evaluatorType="value-param",
            expression="country",
            inputParameters={"country": "${locate.output.country}"},
            decisionCases={"FR": [simple("ship_eu")], "US": [simple("ship_us")]},
            defaultCase=[simple("ship_by_post")],
        ),
        simple("notify"),
    )
    mocks = {
        "locate": [done(country=country)],
        "ship_eu": [done(carrier="colissimo")],
        "ship_us": [done(carrier="ups")],
        "ship_by_post": [done(carrier="post")],
        "notify": [done()],
    }
    return mocked_run(engine, definition, taskRefToMockOutput=mocks)


@pytest.mark.parametrize(
    ("country", "branch"), [("FR", "ship_eu"), ("US", "ship_us"), ("JP", "ship_by_post")]
)
def test_a_switch_takes_the_case_the_mocked_output_selects(engine, country, branch):
    """Mirrors WorkflowTestService.testWorkflow."""
    run = routed(engine, country)
    assert run["status"] == "COMPLETED"
    refs = [t["referenceTaskName"] for t in run["tasks"]]
    assert refs == ["locate", "region", branch, "notify"]


def test_fork_branches_take_their_mocks_and_the_join_runs(engine):
    """Mirrors WorkflowTestService.testWorkflow."""
    definition = workflow(
        "fork",
        system("FORK_JOIN", "fork", forkTasks=[[simple("left")], [simple("right")]]),
        system("JOIN", "join", joinOn=["left", "right"]),
    )
    run = mocked_run(
        engine, definition, taskRefToMockOutput={"left": [done(l=1)], "right": [done(r=2)]}
    )
    assert run["status"] == "COMPLETED"
    assert task(run, "join")["outputData"] == {"left": {"l": 1}, "right": {"r": 2}}


def test_each_loop_iteration_takes_the_mocks_of_its_own_reference_name(engine):
    """Mirrors WorkflowTestService.testWorkflow."""
    definition = workflow(
        "loop",
        system(
            "DO_WHILE",
            "loop",
            loopCondition="if ($.fetch['more']) { true; } else { false; }",
            inputParameters={"fetch": "${fetch.output}"},
            loopOver=[simple("fetch")],
        ),
    )
    mocks = {"fetch__1": [done(more=True)], "fetch__2": [done(more=False)]}
    run = mocked_run(engine, definition, taskRefToMockOutput=mocks)
    assert run["status"] == "COMPLETED"
    assert [t["referenceTaskName"] for t in run["tasks"]] == ["loop", "fetch__1", "fetch__2"]
    assert task(run, "loop")["iteration"] == 2


def test_a_dynamic_task_and_a_dynamic_fork_take_the_mocks_of_what_they_became(engine):
    """Mirrors WorkflowTestService.testWorkflow."""
    engine.register_task_defs([{"name": "mail"}])
    definition = workflow(
        "dyn",
        system(
            "DYNAMIC",
            "pick",
            dynamicTaskNameParam="kind",
            inputParameters={"kind": "${workflow.input.kind}"},
        ),
        system(
            "FORK_JOIN_DYNAMIC",
            "fan",
            dynamicForkTasksParam="tasks",
            dynamicForkTasksInputParamName="inputs",
            inputParameters={"tasks": "${workflow.input.tasks}", "inputs": {}},
        ),
        system("JOIN", "fan_join"),
    )
    tasks = [simple("mail_a", name="mail"), simple("mail_b", name="mail")]
    mocks = {"pick": [done(sent=0)], "mail_a": [done(sent=1)], "mail_b": [done(sent=2)]}
    run = mocked_run(
        engine, definition, input={"kind": "mail", "tasks": tasks}, taskRefToMockOutput=mocks
    )
    assert run["status"] == "COMPLETED"
    assert task(run, "pick")["taskType"] == "mail"
    assert task(run, "fan_join")["outputData"] == {"mail_a": {"sent": 1}, "mail_b": {"sent": 2}}


# -- sub-workflows ------------------------------------------------------------------------------
CHILD = workflow(
    "payment",
    simple("charge"),
    simple("receipt"),
    outputParameters={"receipt": "${receipt.output.number}"},
)
PARENT = workflow(
    "order",
    system("SUB_WORKFLOW", "pay", subWorkflowParam={"name": "payment"}),
    simple("ship", inputParameters={"receipt": "${pay.output.receipt}"}),
)


def test_a_sub_workflow_runs_on_the_mocks_of_its_sub_request(engine):
    """Mirrors WorkflowTestService.testWorkflow."""
    engine.upsert_workflow_defs([CHILD])
    engine.register_task_defs([{"name": "charge", "retryCount": 1, "retryDelaySeconds": 60}])
    sub_request = {
        "name": "payment",
        "taskRefToMockOutput": {
            "charge": [done("FAILED"), done()],
            "receipt": [done(number="R-1")],
        },
    }
    run = mocked_run(
        engine,
        PARENT,
        taskRefToMockOutput={"ship": [done()]},
        subWorkflowTestRequest={"pay": sub_request},
    )
    assert run["status"] == "COMPLETED"
    pay = task(run, "pay")
    assert pay["status"] == "COMPLETED"
    assert task(run, "ship")["inputData"] == {"receipt": "R-1"}
    child = engine.get_workflow(pay["subWorkflowId"])
    assert child["status"] == "COMPLETED"
    assert child["parentWorkflowId"] == run["workflowId"]
    assert rows(child) == [
        ("charge", "charge", "FAILED"),
        ("charge", "charge", "COMPLETED"),
        ("receipt", "receipt", "COMPLETED"),
    ]
    # The child runs in the parent's test domain, out of every queue too.
    assert child["taskToDomain"] == run["taskToDomain"]
    assert engine.stats()["queues"] == {}


def test_a_sub_workflow_without_a_sub_request_keeps_both_running(engine):
    """Mirrors WorkflowTestService.testWorkflow."""
    engine.upsert_workflow_defs([CHILD])
    run = mocked_run(engine, PARENT, taskRefToMockOutput={"ship": [done()]})
    assert run["status"] == "RUNNING"
    pay = task(run, "pay")
    assert pay["status"] == "IN_PROGRESS"
    child = engine.get_workflow(pay["subWorkflowId"])
    assert child["status"] == "RUNNING"
    assert rows(child) == [("charge", "charge", "SCHEDULED")]


def test_nested_sub_requests_reach_a_grandchild(engine):
    """Mirrors WorkflowTestService.testWorkflow."""
    grandchild = workflow("audit", simple("log"))
    child = workflow("payment", system("SUB_WORKFLOW", "audit", subWorkflowParam={"name": "audit"}))
    engine.upsert_workflow_defs([grandchild, child])
    sub_request = {"subWorkflowTestRequest": {"audit": {"taskRefToMockOutput": {"log": [done()]}}}}
    run = mocked_run(
        engine,
        workflow("order", system("SUB_WORKFLOW", "pay", subWorkflowParam={"name": "payment"})),
        subWorkflowTestRequest={"pay": sub_request},
    )
    assert run["status"] == "COMPLETED"


# -- system tasks that wait for mocks -----------------------------------------------------------
def test_http_wait_human_and_start_workflow_take_mocks_instead_of_running(engine, clock):
    """Mirrors WorkflowTestService.testWorkflow."""
    definition = workflow(
        "waits",
        system(
            "HTTP",
            "call",
            inputParameters={"http_request": {"uri": "http://127.0.0.1:9/never", "method": "GET"}},
        ),
        system("WAIT", "pause", inputParameters={"duration": "2 days"}),
        system("HUMAN", "approve"),
        system("START_WORKFLOW", "spawn", inputParameters={"startWorkflow": {"name": "nope"}}),
        outputParameters={"status": "${call.output.response.statusCode}"},
    )
    mocks = {
        "call": [done(response={"statusCode": 201})],
        "pause": [done()],
        "approve": [done(approved=True)],
        "spawn": [done(workflowId="not-started")],
    }
    before = clock.now_ms()
    run = mocked_run(engine, definition, taskRefToMockOutput=mocks)
    assert run["status"] == "COMPLETED"
    assert run["output"] == {"status": 201}
    assert task(run, "spawn")["outputData"] == {"workflowId": "not-started"}
    assert clock.now_ms() == before
    assert [w["workflowId"] for w in engine.snapshot()["workflows"]] == [run["workflowId"]]


def test_an_http_task_without_a_mock_is_not_called(engine):
    """Mirrors WorkflowTestService.testWorkflow."""
    definition = workflow(
        "call",
        system(
            "HTTP",
            "call",
            inputParameters={"http_request": {"uri": "http://127.0.0.1:9/never", "method": "GET"}},
        ),
    )
    run = mocked_run(engine, definition)
    assert run["status"] == "RUNNING"
    assert rows(run) == [("call", "HTTP", "SCHEDULED")]
    engine.tick()
    assert engine.get_workflow(run["workflowId"])["tasks"][0]["status"] == "SCHEDULED"


# -- times ------------------------------------------------------------------------------------
def test_execution_and_queue_wait_times_set_the_task_times_back(engine, clock):
    """Mirrors WorkflowTestService.testWorkflow."""
    run = mocked_run(
        engine,
        workflow("w", simple("slow")),
        taskRefToMockOutput={"slow": [{"executionTime": 4000, "queueWaitTime": 1000}]},
    )
    slow = task(run, "slow")
    now = clock.now_ms()
    assert (slow["scheduledTime"], slow["startTime"], slow["endTime"]) == (
        now - 5000,
        now - 4000,
        now,
    )


def test_an_execution_time_beyond_the_timeout_times_the_attempt_out(engine):
    """Mirrors WorkflowTestService.testWorkflow."""
    engine.register_task_defs(
        [
            {
                "name": "slow",
                "timeoutSeconds": 10,
                "responseTimeoutSeconds": 10,
                "timeoutPolicy": "RETRY",
                "retryCount": 1,
                "retryDelaySeconds": 0,
            }
        ]
    )
    mocks = {"slow": [done("IN_PROGRESS") | {"executionTime": 11_000}, done()]}
    run = mocked_run(engine, workflow("w", simple("slow")), taskRefToMockOutput=mocks)
    assert run["status"] == "COMPLETED"
    assert rows(run) == [("slow", "slow", "TIMED_OUT"), ("slow", "slow", "COMPLETED")]


def test_a_test_run_neither_moves_a_skipping_clock_nor_holds_skipping_up():
    """Mirrors WorkflowTestService with the fake's own time skipping (no Conductor counterpart):
    a test run neither moves the clock nor holds skipping up."""
    real_time = ManualClock()
    engine = Engine(SkippingClock(base=real_time))
    try:
        engine.register_task_defs([{"name": "charge", "retryCount": 1, "retryDelaySeconds": 3600}])
        finished = mocked_run(
            engine,
            workflow("pay", simple("charge")),
            taskRefToMockOutput={"charge": [done("FAILED"), done()]},
        )
        assert finished["status"] == "COMPLETED"
        # Left RUNNING on a retry (its delay pending): nothing of it is under way.
        left = mocked_run(
            engine,
            workflow("pay", simple("charge")),
            taskRefToMockOutput={"charge": [done("FAILED")]},
        )
        assert left["status"] == "RUNNING"
        skipping = engine.time_skipping()
        assert (skipping["skips"], skipping["underWay"]) == (0, None)
    finally:
        engine.close()


# -- the request --------------------------------------------------------------------------------
def test_a_registered_definition_is_run_by_name_and_version(engine):
    """Mirrors WorkflowTestService.testWorkflow."""
    engine.upsert_workflow_defs([workflow("w", simple("a")), workflow("w", simple("b"), version=2)])
    run = engine.test_workflow({"name": "w", "version": 1, "taskRefToMockOutput": {"a": [done()]}})
    assert (run["status"], run["workflowVersion"]) == ("COMPLETED", 1)
    latest = engine.test_workflow({"name": "w", "taskRefToMockOutput": {"b": [done()]}})
    assert (latest["status"], latest["workflowVersion"]) == ("COMPLETED", 2)


def test_the_request_domains_stay_and_star_is_the_runs_own(engine):
    """Mirrors WorkflowTestService.testWorkflow: the request's taskToDomain stays, and "*" maps
    to a domain of the run's own."""
    run = mocked_run(
        engine,
        workflow("w", simple("a")),
        taskToDomain={"a": "blue", "*": "mine"},
        correlationId="c-1",
        input={"x": 1},
    )
    assert run["taskToDomain"]["a"] == "blue"
    assert run["taskToDomain"]["*"] not in ("mine", "blue")
    assert (run["correlationId"], run["input"]) == ("c-1", {"x": 1})


@pytest.mark.parametrize(
    ("request_body", "error", "words"),
    [
        ({"name": "nowhere"}, NotFoundError, "No such workflow defined. name=nowhere"),
        ({"workflowDef": workflow("w", simple("a"))}, BadRequestError, "name: is required"),
        (
            {"name": "w", "taskRefToMockOutput": {"a": {"status": "COMPLETED"}}},
            BadRequestError,
            "WorkflowTestRequest.taskRefToMockOutput.a: must be a list",
        ),
        (
            {"name": "w", "taskRefToMockOutput": {"a": [{"status": "DONE"}]}},
            BadRequestError,
            "WorkflowTestRequest.taskRefToMockOutput.a[0].status: must be one of",
        ),
        (
            {"name": "w", "taskRefToMockOutput": {"a": [{"output": "yes"}]}},
            BadRequestError,
            "taskRefToMockOutput.a[0].output: must be an object",
        ),
        (
            {"name": "w", "subWorkflowTestRequest": {"pay": []}},
            BadRequestError,
            "WorkflowTestRequest.subWorkflowTestRequest.pay: must be a JSON object",
        ),
        (
            {"name": "w", "idempotencyKey": "k-1"},
            BadRequestError,
            "not supported by the fake server: idempotencyKey",
        ),
        ("not a request", BadRequestError, "WorkflowTestRequest: must be a JSON object"),
    ],
)
def test_bad_requests_are_refused_naming_what_is_wrong(engine, request_body, error, words):
    """Mirrors WorkflowTestRequest's constraints and its enums as Jackson reads them."""
    engine.upsert_workflow_defs([workflow("w", simple("a"))])
    with pytest.raises(error) as raised:
        engine.test_workflow(request_body)
    assert words in raised.value.message
    assert engine.snapshot()["workflows"] == []  # nothing was started
