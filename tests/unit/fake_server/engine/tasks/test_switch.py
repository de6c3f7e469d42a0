"""SWITCH and DECISION: where a workflow picks its case (Conductor's SwitchTaskMapper,
DecisionTaskMapper, WorkflowTaskTypeConstraint)."""

import pytest

from fake_server.engine.errors import BadRequestError
from tests.unit.fake_server.helpers import Worker, start, statuses
from tests.unit.fake_server.system_task_helpers import (
    by_ref,
    simple,
    system,
    types_and_statuses,
    workflow,
)


def route(evaluator, expression, cases, default=(), **fields):
    return system(
        "SWITCH",
        "route",
        evaluatorType=evaluator,
        expression=expression,
        inputParameters={"kind": "${workflow.input.kind}"},
        decisionCases=cases,
        defaultCase=list(default),
        **fields,
    )


@pytest.mark.parametrize(
    ("kind", "chosen"), [("express", "ship_fast"), ("standard", "ship_slow"), (None, "ship_slow")]
)
def test_value_param_picks_the_case_named_by_the_input(engine, worker, kind, chosen):
    """SwitchTaskMapper: the value, turned into text, names the case; else defaultCase."""
    definition = workflow(
        "orders",
        route("value-param", "kind", {"express": [simple("ship_fast")]}, [simple("ship_slow")]),
        simple("invoice"),
    )
    workflow_id = start(engine, definition, input={"kind": kind})
    switch = by_ref(engine, workflow_id)["route"]
    expected_case = "null" if kind is None else kind
    assert switch["taskType"] == "SWITCH"
    assert switch["status"] == "COMPLETED"
    assert switch["outputData"] == {
        "evaluationResult": [expected_case],
        "selectedCase": expected_case,
    }
    assert switch["inputData"]["case"] == expected_case
    worker.update(worker.take(chosen), "COMPLETED")
    worker.update(worker.take("invoice"), "COMPLETED")
    assert statuses(engine, workflow_id) == [
        ("route", "COMPLETED"),
        (chosen, "COMPLETED"),
        ("invoice", "COMPLETED"),
    ]
    assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"


def test_javascript_evaluator_sees_the_input_as_dollar(engine, worker):
    """Mirrors SwitchTaskMapper with JavascriptEvaluator: the input is $."""
    definition = workflow(
        "orders",
        route(
            "javascript",
            "$.kind == 'express' ? 'fast' : ($.kind.length > 3 ? 'long' : 'short')",
            {"fast": [simple("fast")], "long": [simple("long")], "short": [simple("short")]},
        ),
    )
    workflow_id = start(engine, definition, input={"kind": "standard"})
    assert by_ref(engine, workflow_id)["route"]["outputData"]["selectedCase"] == "long"
    worker.update(worker.take("long"), "COMPLETED", outputData={"shipped": True})
    done = engine.get_workflow(workflow_id)
    assert done["status"] == "COMPLETED"
    assert done["output"] == {"shipped": True}


def test_graaljs_is_the_same_evaluator(engine, worker):
    """Mirrors SwitchTaskMapper with GraalJSEvaluator."""
    definition = workflow("w", route("graaljs", "1 + 1", {"2": [simple("two")]}))
    workflow_id = start(engine, definition)
    assert by_ref(engine, workflow_id)["route"]["outputData"]["selectedCase"] == "2"


def test_no_matching_case_and_no_default_goes_on_after_the_switch(engine, worker):
    """Mirrors SwitchTaskMapper: no case and no default, and the workflow goes on after the
    switch."""
    definition = workflow("w", route("value-param", "kind", {"a": [simple("a")]}), simple("after"))
    workflow_id = start(engine, definition, input={"kind": "zzz"})
    assert statuses(engine, workflow_id) == [("route", "COMPLETED"), ("after", "SCHEDULED")]
    assert "hasChildren" not in by_ref(engine, workflow_id)["route"]["inputData"]


def test_switch_as_last_task_with_nothing_to_run_completes_the_workflow(engine):
    """Mirrors SwitchTaskMapper and DeciderService: a last switch with nothing to run completes
    the workflow."""
    workflow_id = start(engine, workflow("w", route("value-param", "kind", {"a": [simple("a")]})))
    assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"


def test_an_empty_case_runs_nothing_and_does_not_fall_to_the_default(engine):
    """Mirrors SwitchTaskMapper: an empty case runs nothing, and not the default either."""
    definition = workflow(
        "w",
        route("value-param", "kind", {"skip": []}, [simple("default")]),
        simple("after"),
    )
    workflow_id = start(engine, definition, input={"kind": "skip"})
    assert statuses(engine, workflow_id) == [("route", "COMPLETED"), ("after", "SCHEDULED")]


def test_nested_switches_lead_on_after_the_outer_one(engine, worker):
    """Mirrors SwitchTaskMapper nested, with DeciderService's next task after the outer switch."""
    inner = system(
        "SWITCH",
        "inner",
        evaluatorType="value-param",
        expression="size",
        inputParameters={"size": "${workflow.input.size}"},
        decisionCases={"big": [simple("crate"), simple("truck")]},
    )
    definition = workflow(
        "w", route("value-param", "kind", {"goods": [inner, simple("label")]}), simple("bill")
    )
    workflow_id = start(engine, definition, input={"kind": "goods", "size": "big"})
    for ref in ("crate", "truck", "label", "bill"):
        worker.update(worker.take(ref), "COMPLETED")
    assert [ref for ref, _ in statuses(engine, workflow_id)] == [
        "route",
        "inner",
        "crate",
        "truck",
        "label",
        "bill",
    ]
    assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"


def test_a_script_that_throws_fails_the_switch_and_the_workflow(engine):
    """Mirrors SwitchTaskMapper: a script that throws fails the switch and the workflow."""
    definition = workflow("w", route("javascript", "$.missing.field", {"a": [simple("a")]}))
    workflow_id = start(engine, definition)
    switch = by_ref(engine, workflow_id)["route"]
    assert switch["status"] == "FAILED"
    assert "Error evaluating the script `TypeError" in switch["reasonForIncompletion"]
    done = engine.get_workflow(workflow_id)
    assert done["status"] == "FAILED"
    assert switch["taskId"] in done["reasonForIncompletion"]


def decision_on_kind(cases, **fields):
    return workflow(
        "w",
        system(
            "DECISION",
            "decide",
            caseValueParam="kind",
            inputParameters={"kind": "${workflow.input.kind}", **fields.pop("inputs", {})},
            decisionCases=cases,
            **fields,
        ),
    )


def test_decision_reads_case_value_param_and_falls_to_default_for_an_empty_case(engine, worker):
    """Mirrors DecisionTaskMapper: caseValueParam, and the default for an empty case."""
    definition = decision_on_kind({"a": [simple("a")], "empty": []}, defaultCase=[simple("other")])
    first = start(engine, definition, input={"kind": "a"})
    decision = by_ref(engine, first)["decide"]
    assert (decision["taskType"], decision["outputData"]) == ("DECISION", {"caseOutput": ["a"]})
    second = engine.start_workflow({"name": "w", "input": {"kind": "empty"}})
    assert types_and_statuses(engine, second)[1] == ("other", "other", "SCHEDULED")


def test_decision_case_expression_is_javascript(engine):
    """Mirrors DecisionTaskMapper: caseExpression is JavaScript."""
    definition = workflow(
        "w",
        system(
            "DECISION",
            "decide",
            caseExpression="$.n > 10 ? 'big' : 'small'",
            inputParameters={"n": "${workflow.input.n}"},
            decisionCases={"big": [simple("big")], "small": [simple("small")]},
        ),
    )
    workflow_id = start(engine, definition, input={"n": 11})
    assert statuses(engine, workflow_id)[1] == ("big", "SCHEDULED")


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"expression": "x", "decisionCases": {"a": []}}, "evaluatorType field is required"),
        ({"evaluatorType": "value-param", "decisionCases": {"a": []}}, "expression field"),
        ({"evaluatorType": "value-param", "expression": "x"}, "decisionCases field"),
        (
            {"evaluatorType": "value-param", "expression": "x", "decisionCases": {}},
            "decisionCases should have atleast one task",
        ),
        (
            {"evaluatorType": "python", "expression": "x", "decisionCases": {"a": []}},
            "not supported by the fake server: SWITCH evaluatorType python",
        ),
    ],
)
def test_switch_registration_says_what_is_missing(engine, fields, words):
    """Mirrors WorkflowTaskTypeConstraint for SWITCH."""
    with pytest.raises(BadRequestError, match=words):
        engine.register_workflow_def(workflow("w", system("SWITCH", "s", **fields)))


def test_reference_names_are_unique_across_nested_tasks(engine):
    """Mirrors WorkflowDef's constraint: reference names are unique across nested tasks."""
    definition = workflow("w", route("value-param", "kind", {"a": [simple("dup")]}), simple("dup"))
    with pytest.raises(BadRequestError) as raised:
        engine.register_workflow_def(definition)
    assert raised.value.errors[0].path == "workflowDef.tasks[1].taskReferenceName"


@pytest.mark.parametrize("task_type", ["KAFKA_PUBLISH", "LLM_CHAT_COMPLETE", "CALL_MCP_TOOL"])
def test_unsupported_types_are_refused_by_name(engine, task_type):
    """The fake's honest boundary for WorkflowTaskTypeConstraint: a type the fake does not run
    is refused by name."""
    definition = workflow("w", simple("a"), system(task_type, "x"))
    with pytest.raises(BadRequestError) as raised:
        engine.register_workflow_def(definition)
    assert raised.value.message == f"not supported by the fake server: {task_type}"
    assert raised.value.errors[0].path == "workflowDef.tasks[1].type"


def test_unsupported_type_nested_in_a_case_is_refused_too(engine):
    """The fake's honest boundary for WorkflowTaskTypeConstraint, inside a case too."""
    definition = workflow("w", route("value-param", "k", {"a": [system("KAFKA_PUBLISH", "k")]}))
    with pytest.raises(BadRequestError, match="not supported by the fake server: KAFKA_PUBLISH"):
        engine.upsert_workflow_defs([definition])


def test_registered_definition_keeps_its_cases(engine):
    """Mirrors MetadataServiceImpl.getWorkflowDef: the definition comes back with its cases."""
    definition = workflow("w", route("value-param", "kind", {"a": [simple("a")]}, [simple("b")]))
    engine.register_workflow_def(definition)
    stored = engine.get_workflow_def("w")["tasks"][0]
    assert stored["decisionCases"]["a"][0]["taskReferenceName"] == "a"
    assert stored["defaultCase"][0]["taskReferenceName"] == "b"
    assert stored["evaluatorType"] == "value-param"


def test_worker_sees_the_workflow_task_of_a_case(engine):
    """Mirrors SwitchTaskMapper: a task of a case carries its workflowTask."""
    workflow_id = start(
        engine,
        workflow("w", route("value-param", "kind", {"a": [simple("a")]})),
        input={"kind": "a"},
    )
    task = Worker(engine).take("a")
    assert task["workflowInstanceId"] == workflow_id
    assert task["workflowTask"]["taskReferenceName"] == "a"


@pytest.mark.parametrize(
    ("value", "case"),
    [(True, "true"), (3, "3"), (1.5, "1.5"), (None, "null"), ("x", "x")],
)
def test_a_case_is_the_value_as_text(engine, value, case):
    """Mirrors SwitchTaskMapper: the case is the value as text."""
    definition = workflow(
        "w",
        route("value-param", "kind", {case: [simple("chosen")]}, [simple("other")]),
    )
    workflow_id = start(engine, definition, input={"kind": value})
    assert statuses(engine, workflow_id)[1] == ("chosen", "SCHEDULED")


@pytest.mark.parametrize(
    ("task_type", "fields"),
    [
        ("SWITCH", {"evaluatorType": "javascript", "expression": "$.kind == 'a' ?"}),
        ("DECISION", {"caseExpression": "if ($.n > 1) { 'big' "}),
    ],
)
def test_a_script_with_a_syntax_error_is_refused_at_registration(engine, task_type, fields):
    """Mirrors WorkflowTaskTypeConstraint.validateScriptExpression: a SWITCH (javascript) or
    DECISION script is parsed, not run, when registered; a syntax error refuses it."""
    task = system(task_type, "s", decisionCases={"a": [simple("a")]}, **fields)
    with pytest.raises(BadRequestError) as caught:
        engine.register_workflow_def(workflow("w", task))
    message = caught.value.errors[0].message
    assert message.startswith("Expression is not well formatted: SyntaxError")
    assert message.endswith(f", taskType: {task_type} taskName s")


def test_a_script_is_only_parsed_at_registration(engine):
    """Mirrors ScriptEvaluator.validateScriptSyntax: a script that would throw when run (or
    loop for ever) reads well, so it is registered; value-param expressions are not scripts."""
    for expression in ("$.missing.field", "while (true) {}"):
        engine.upsert_workflow_defs(
            [workflow("w", route("javascript", expression, {"a": [simple("a")]}))]
        )
    engine.upsert_workflow_defs([workflow("w", route("value-param", "kind ?", {"a": []}))])


def test_a_decision_records_only_its_case_as_input(engine):
    """Mirrors DecisionTaskMapper: the DECISION task's input is the case it chose, and
    hasChildren when that case has tasks; its inputParameters are not copied (a SWITCH's
    are)."""
    definition = decision_on_kind({"a": [simple("a")], "b": []}, inputs={"other": 1})
    chosen = by_ref(engine, start(engine, definition, input={"kind": "a"}))["decide"]
    assert chosen["inputData"] == {"case": "a", "hasChildren": "true"}
    empty = by_ref(engine, engine.start_workflow({"name": "w", "input": {"kind": "b"}}))["decide"]
    assert empty["inputData"] == {"case": "b"}
