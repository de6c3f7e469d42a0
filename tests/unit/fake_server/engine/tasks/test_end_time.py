"""Every system task that ends gets an endTime, however it ends (completed, failed by its own
script, canceled with its workflow), as Conductor's tasks do."""

import pytest

from fake_server.engine import Engine
from tests.unit.fake_server.helpers import Worker, start
from tests.unit.fake_server.system_task_helpers import by_ref, simple, system, workflow

TERMINAL = {"COMPLETED", "FAILED", "FAILED_WITH_TERMINAL_ERROR", "CANCELED", "TIMED_OUT"}
CHILD = workflow("child", system("NOOP", "child_noop"))


def inline(ref, expression):
    params = {"evaluatorType": "javascript", "expression": expression}
    return system("INLINE", ref, inputParameters=params)


def switch(expression, evaluator="value-param"):
    return system(
        "SWITCH",
        "sw",
        evaluatorType=evaluator,
        expression=expression,
        inputParameters={"k": "a"},
        decisionCases={"a": [system("NOOP", "in_case")]},
    )


SCENARIOS = {
    "SWITCH": [switch("k")],
    "SWITCH failing on its script": [switch("$.k.x.y", "javascript")],
    "DECISION": [
        system(
            "DECISION",
            "dec",
            caseValueParam="k",
            inputParameters={"k": "a"},
            decisionCases={"a": [system("NOOP", "in_case")]},
        )
    ],
    "FORK_JOIN and JOIN": [
        system("FORK_JOIN", "fork", forkTasks=[[system("NOOP", "x")], [system("NOOP", "y")]]),
        system("JOIN", "join", joinOn=["x", "y"]),
    ],
    "FORK_JOIN_DYNAMIC": [
        system(
            "FORK_JOIN_DYNAMIC",
            "dyn",
            inputParameters={"forkTaskType": "NOOP", "forkTaskInputs": [1, 2]},
        ),
        system("JOIN", "dyn_join"),
    ],
    "EXCLUSIVE_JOIN": [
        system(
            "DECISION",
            "dec",
            caseValueParam="k",
            inputParameters={"k": "a"},
            decisionCases={"a": [system("NOOP", "in_a")], "b": [system("NOOP", "in_b")]},
        ),
        system("EXCLUSIVE_JOIN", "xjoin", joinOn=["in_a", "in_b"]),
    ],
    "DO_WHILE": [
        system(
            "DO_WHILE",
            "loop",
            loopCondition="if ($.loop['iteration'] < 2) { true; } else { false; }",
            loopOver=[system("NOOP", "body")],
        )
    ],
    "SUB_WORKFLOW": [system("SUB_WORKFLOW", "sub", subWorkflowParam={"name": "child"})],
    "START_WORKFLOW": [
        system("START_WORKFLOW", "st", inputParameters={"startWorkflow": {"name": "child"}})
    ],
    "INLINE": [inline("js", "1 + 1")],
    "INLINE failing on its script": [inline("js", "$.nothing.here")],
    "LAMBDA": [system("LAMBDA", "lam", inputParameters={"scriptExpression": "return 1"})],
    "SET_VARIABLE": [system("SET_VARIABLE", "var", inputParameters={"x": 1})],
    "JSON_JQ_TRANSFORM": [
        system("JSON_JQ_TRANSFORM", "jq", inputParameters={"queryExpression": "."})
    ],
    "JSON_JQ_TRANSFORM failing": [
        system("JSON_JQ_TRANSFORM", "jq", inputParameters={"queryExpression": 'error("no")'})
    ],
    "WAIT": [system("WAIT", "wait", inputParameters={"duration": "1s"})],
    "TERMINATE": [system("TERMINATE", "end", inputParameters={"terminationStatus": "COMPLETED"})],
    "TERMINATE failing the workflow": [
        system("TERMINATE", "end", inputParameters={"terminationStatus": "FAILED"})
    ],
    "NOOP": [system("NOOP", "noop")],
    "EVENT": [system("EVENT", "ev", sink="conductor", inputParameters={"x": 1})],
    "HUMAN completed from outside": [system("HUMAN", "human")],
    "WAIT canceled by a terminate": [system("WAIT", "wait")],
}


def ended_tasks(engine: Engine, workflow_ids):
    for workflow_id in workflow_ids:
        for task in engine.get_workflow(workflow_id)["tasks"]:
            if task["status"] in TERMINAL:
                yield task


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_a_system_task_that_ends_has_an_end_time(engine, clock, scenario):
    engine.upsert_workflow_defs([CHILD])
    workflow_id = start(engine, workflow("w", *SCENARIOS[scenario]))
    clock.advance_seconds(2)
    if scenario.startswith("HUMAN"):
        engine.update_task_by_reference(workflow_id, "human", "COMPLETED", {})
    if scenario.startswith("WAIT canceled"):
        engine.terminate_workflow(workflow_id, "stop")
    workflow_ids = [workflow_id]
    for task in engine.get_workflow(workflow_id)["tasks"]:
        child = task.get("subWorkflowId") or task["outputData"].get("workflowId")
        if child:
            workflow_ids.append(child)
    ended = list(ended_tasks(engine, workflow_ids))
    assert ended, "the scenario ends no task"
    assert {t["referenceTaskName"]: t["endTime"] for t in ended if not t["endTime"]} == {}
    assert all(t["endTime"] >= t["scheduledTime"] for t in ended)


def test_an_http_task_that_ends_has_an_end_time(engine, httpserver):
    httpserver.expect_request("/x").respond_with_json({}, status=500)
    params = {"http_request": {"uri": httpserver.url_for("/x"), "method": "GET"}}
    workflow_id = start(engine, workflow("w", system("HTTP", "call", inputParameters=params)))
    call = by_ref(engine, workflow_id)["call"]
    assert call["status"] == "FAILED"
    assert call["endTime"] > 0


def test_a_worker_task_canceled_with_its_workflow_has_an_end_time(engine):
    workflow_id = start(engine, workflow("w", simple("a")))
    Worker(engine).take("a")
    engine.terminate_workflow(workflow_id, "stop")
    assert by_ref(engine, workflow_id)["a"]["endTime"] > 0
