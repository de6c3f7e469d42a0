"""INLINE, LAMBDA, SET_VARIABLE, JSON_JQ_TRANSFORM, TERMINATE, NOOP, DYNAMIC (Conductor's
Inline, Lambda, SetVariable, JsonJqTransform, Terminate, Noop, DynamicTaskMapper)."""

import sys

import pytest

from fake_server.engine.errors import BadRequestError
from tests.unit.fake_server.helpers import start, statuses
from tests.unit.fake_server.system_task_helpers import by_ref, simple, system, workflow


def inline(ref, expression, evaluator="javascript", **inputs):
    params = {"evaluatorType": evaluator, "expression": expression, **inputs}
    return system("INLINE", ref, inputParameters=params)


def test_inline_returns_the_value_of_its_script(engine):
    """Mirrors Inline with JavascriptEvaluator: the script's value is the output's result."""
    definition = workflow(
        "w",
        inline(
            "calc",
            "(function () { return {total: $.items.reduce((a, b) => a + b, 0), n: $.n}; })()",
            items="${workflow.input.items}",
            n=2.5,
        ),
    )
    workflow_id = start(engine, definition, input={"items": [1, 2, 3]})
    calc = by_ref(engine, workflow_id)["calc"]
    assert (calc["taskType"], calc["status"]) == ("INLINE", "COMPLETED")
    assert calc["outputData"] == {"result": {"total": 6, "n": 2.5}}
    assert engine.get_workflow(workflow_id)["output"] == {"result": {"total": 6, "n": 2.5}}


def test_inline_whole_numbers_come_back_as_integers(engine):
    """Mirrors Inline: a whole number from the script comes back as an integer."""
    workflow_id = start(engine, workflow("w", inline("calc", "2 ** 40")))
    assert by_ref(engine, workflow_id)["calc"]["outputData"]["result"] == 2**40


def test_inline_value_param_evaluator(engine):
    """Mirrors Inline with ValueParamEvaluator."""
    workflow_id = start(engine, workflow("w", inline("calc", "x", "value-param", x=[1])))
    assert by_ref(engine, workflow_id)["calc"]["outputData"] == {"result": [1]}


def test_an_inline_script_that_throws_fails_for_good_with_the_line(engine):
    """Mirrors Inline: a script that throws fails the task for good, its reason naming the line."""
    workflow_id = start(engine, workflow("w", inline("calc", "1;\nthrow new Error('nope')")))
    calc = by_ref(engine, workflow_id)["calc"]
    assert calc["status"] == "FAILED_WITH_TERMINAL_ERROR"
    assert calc["reasonForIncompletion"] == "Error evaluating the script `Error: nope` at line 2"
    assert calc["outputData"]["error"] == calc["reasonForIncompletion"]
    assert engine.get_workflow(workflow_id)["status"] == "FAILED"


def test_inline_has_no_console_as_on_the_real_server(engine):
    """Mirrors Inline with JavascriptEvaluator: no console object there either."""
    workflow_id = start(engine, workflow("w", inline("calc", "console.log('x')")))
    assert "console is not defined" in by_ref(engine, workflow_id)["calc"]["reasonForIncompletion"]


def test_inline_with_an_unknown_evaluator_fails(engine):
    """Mirrors Inline: an evaluatorType it does not know fails the task."""
    definition = workflow("w", inline("calc", "1", "${workflow.input.evaluator}"))
    workflow_id = start(engine, definition, input={"evaluator": "rhino"})
    calc = by_ref(engine, workflow_id)["calc"]
    assert calc["reasonForIncompletion"] == "Unknown evaluator 'rhino' in INLINE task."


def test_lambda_runs_its_script_as_a_function_body(engine):
    """Mirrors Lambda: the script is a function body over $."""
    definition = workflow(
        "w",
        system("LAMBDA", "l", inputParameters={"x": 2, "scriptExpression": "return $.x + 1;"}),
    )
    workflow_id = start(engine, definition)
    assert by_ref(engine, workflow_id)["l"]["outputData"] == {"result": 3}


def test_set_variable_sets_workflow_variables_that_expressions_read(engine, worker):
    """Mirrors SetVariable: its input becomes workflow variables that ${workflow.variables.x}
    reads."""
    definition = workflow(
        "w",
        system("SET_VARIABLE", "set", inputParameters={"user": "${workflow.input.user}", "n": 1}),
        system("SET_VARIABLE", "set2", inputParameters={"n": 2}),
        simple(
            "use",
            inputParameters={"who": "${workflow.variables.user}", "n": "${workflow.variables.n}"},
        ),
    )
    workflow_id = start(engine, definition, input={"user": "ada"})
    assert engine.get_workflow(workflow_id)["variables"] == {"user": "ada", "n": 2}
    assert worker.take("use")["inputData"] == {"who": "ada", "n": 2}


def test_set_variable_over_the_size_limit_fails_and_keeps_the_variables(engine):
    """Mirrors SetVariable: over maxWorkflowVariablesPayloadSizeThreshold the task fails and the
    variables stay as they were."""
    definition = workflow(
        "w",
        system("SET_VARIABLE", "small", inputParameters={"a": 1}),
        system("SET_VARIABLE", "big", inputParameters={"a": "x" * 300_000}),
    )
    workflow_id = start(engine, definition)
    assert by_ref(engine, workflow_id)["big"]["status"] == "FAILED_WITH_TERMINAL_ERROR"
    assert engine.get_workflow(workflow_id)["variables"] == {"a": 1}


def test_jq_transform_gives_result_and_result_list(engine):
    """Mirrors JsonJqTransform: output result and resultList."""
    definition = workflow(
        "w",
        system(
            "JSON_JQ_TRANSFORM",
            "jq",
            inputParameters={
                "people": "${workflow.input.people}",
                "queryExpression": ".people[] | {name, adult: (.age >= 18)}",
            },
        ),
    )
    people = [{"name": "a", "age": 30}, {"name": "b", "age": 9}]
    workflow_id = start(engine, definition, input={"people": people})
    jq = by_ref(engine, workflow_id)["jq"]
    assert jq["status"] == "COMPLETED"
    assert jq["outputData"] == {
        "result": {"name": "a", "adult": True},
        "resultList": [{"name": "a", "adult": True}, {"name": "b", "adult": False}],
    }


def test_jq_with_no_value_gives_null_and_an_empty_list(engine):
    """Mirrors JsonJqTransform: no value gives a null result and an empty resultList."""
    definition = workflow(
        "w", system("JSON_JQ_TRANSFORM", "jq", inputParameters={"queryExpression": "empty"})
    )
    workflow_id = start(engine, definition)
    assert by_ref(engine, workflow_id)["jq"]["outputData"] == {"result": None, "resultList": []}


def test_a_jq_query_that_does_not_compile_fails_the_task(engine):
    """Mirrors JsonJqTransform: a query that does not compile fails the task."""
    definition = workflow(
        "w", system("JSON_JQ_TRANSFORM", "jq", inputParameters={"queryExpression": ".a |"})
    )
    workflow_id = start(engine, definition)
    jq = by_ref(engine, workflow_id)["jq"]
    assert jq["status"] == "FAILED"
    assert "syntax error" in jq["reasonForIncompletion"]
    assert jq["outputData"]["error"] == jq["reasonForIncompletion"]


def test_jq_needs_a_query_expression(engine):
    """Mirrors WorkflowTaskTypeConstraint: JSON_JQ_TRANSFORM needs
    inputParameters.queryExpression."""
    with pytest.raises(BadRequestError, match="inputParameters.queryExpression field is required"):
        engine.register_workflow_def(workflow("w", system("JSON_JQ_TRANSFORM", "jq")))


@pytest.mark.parametrize(
    ("status", "workflow_status", "reason"),
    [
        ("COMPLETED", "COMPLETED", "all done"),
        ("FAILED", "FAILED", "all done"),
        ("TERMINATED", "TERMINATED", None),
    ],
)
def test_terminate_ends_the_workflow_with_its_status_output_and_reason(
    engine, status, workflow_status, reason
):
    """Mirrors Terminate: the workflow ends with terminationStatus, workflowOutput and
    terminationReason."""
    params = {"terminationStatus": status, "workflowOutput": {"code": 7}}
    if reason:
        params["terminationReason"] = reason
    definition = workflow("w", system("TERMINATE", "stop", inputParameters=params), simple("never"))
    workflow_id = start(engine, definition)
    done = engine.get_workflow(workflow_id)
    stop = by_ref(engine, workflow_id)["stop"]
    assert done["status"] == workflow_status
    assert done["output"] == {"code": 7}
    assert stop["status"] == "COMPLETED"
    assert stop["outputData"] == {"code": 7}
    expected = reason or f"Workflow is {status} by TERMINATE task: {stop['taskId']}"
    assert done["reasonForIncompletion"] == expected
    assert [ref for ref, _ in statuses(engine, workflow_id)] == ["stop"]


def test_terminate_with_a_plain_value_as_output(engine):
    """Mirrors Terminate: a workflowOutput that is not a map becomes the output as it is."""
    params = {"terminationStatus": "COMPLETED", "workflowOutput": "fine"}
    workflow_id = start(engine, workflow("w", system("TERMINATE", "stop", inputParameters=params)))
    assert engine.get_workflow(workflow_id)["output"] == {"output": "fine"}


@pytest.mark.parametrize(
    "fields",
    [
        {"inputParameters": {"terminationStatus": "DONE"}},
        {"inputParameters": {}},
        {"inputParameters": {"terminationStatus": "COMPLETED"}, "optional": True},
    ],
)
def test_terminate_registration_checks(engine, fields):
    """Mirrors WorkflowTaskTypeConstraint for TERMINATE."""
    with pytest.raises(BadRequestError, match="terminate task"):
        engine.register_workflow_def(workflow("w", system("TERMINATE", "stop", **fields)))


def test_noop_completes_at_once(engine):
    """Mirrors Noop: it completes at once."""
    workflow_id = start(engine, workflow("w", system("NOOP", "nothing"), simple("after")))
    assert statuses(engine, workflow_id) == [("nothing", "COMPLETED"), ("after", "SCHEDULED")]


def test_dynamic_runs_the_task_type_named_by_its_input(engine, worker):
    """Mirrors DynamicTaskMapper: the task type comes from the input named by
    dynamicTaskNameParam."""
    engine.register_task_defs([{"name": "send_email"}])
    definition = workflow(
        "w",
        system(
            "DYNAMIC",
            "notify",
            dynamicTaskNameParam="taskToRun",
            inputParameters={"taskToRun": "${workflow.input.channel}", "to": "x"},
        ),
    )
    workflow_id = start(engine, definition, input={"channel": "send_email"})
    task = worker.take("send_email")
    assert (task["referenceTaskName"], task["taskDefName"]) == ("notify", "send_email")
    assert task["workflowTask"]["name"] == "send_email"
    worker.update(task, "COMPLETED")
    assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"


def test_dynamic_runs_on_its_own_ad_hoc_definition(engine, worker):
    """Mirrors DynamicTaskMapper.getDynamicTaskDefinition with
    MetadataMapperService.populateTaskDefinitions: the DYNAMIC task got its own ad-hoc
    definition when the workflow started (no retries, no response timeout), and the task it
    schedules runs on that one, not on the target's: an unregistered target is scheduled, and
    a failure is not retried even though the target's definition has retries."""
    engine.register_task_defs([{"name": "send_email", "retryCount": 3, "retryDelaySeconds": 0}])
    for target in ("unknown", "send_email"):
        definition = workflow(
            "w",
            system("DYNAMIC", "notify", dynamicTaskNameParam="t", inputParameters={"t": target}),
        )
        workflow_id = start(engine, definition)
        task = worker.take(target)
        assert task["responseTimeoutSeconds"] == 0
        worker.update(task, "FAILED")
        done = engine.get_workflow(workflow_id)
        assert done["status"] == "FAILED"
        assert len(done["tasks"]) == 1


def test_dynamic_uses_a_definition_registered_under_its_own_name(engine, worker):
    """Mirrors DynamicTaskMapper.getDynamicTaskDefinition: a task definition named as the
    DYNAMIC task itself is the one its scheduled task runs on."""
    engine.register_task_defs([{"name": "notify", "retryCount": 1, "retryDelaySeconds": 0}])
    definition = workflow(
        "w", system("DYNAMIC", "notify", dynamicTaskNameParam="t", inputParameters={"t": "x"})
    )
    workflow_id = start(engine, definition)
    worker.update(worker.take("x"), "FAILED")
    worker.update(worker.take("x"), "COMPLETED")
    assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"


def test_a_system_task_with_a_registered_definition_is_retried(engine):
    """Mirrors DeciderService.retry: a system task with a registered definition is retried by
    it."""
    engine.register_task_defs([{"name": "flaky_jq", "retryCount": 1, "retryDelaySeconds": 0}])
    definition = workflow(
        "w",
        {
            "name": "flaky_jq",
            "taskReferenceName": "jq",
            "type": "JSON_JQ_TRANSFORM",
            "inputParameters": {"queryExpression": 'error("always")'},
        },
    )
    workflow_id = start(engine, definition)
    attempts = [
        t for t in engine.get_workflow(workflow_id)["tasks"] if t["referenceTaskName"] == "jq"
    ]
    assert [(t["retryCount"], t["status"]) for t in attempts] == [(0, "FAILED"), (1, "FAILED")]
    assert attempts[0]["retried"] is True
    assert engine.get_workflow(workflow_id)["status"] == "FAILED"


def test_a_worker_task_in_a_case_sees_its_own_id_as_cpewf_task_id(engine, worker):
    """Mirrors ParametersUtils: ${CPEWF_TASK_ID} is the task's own id."""
    definition = workflow(
        "w",
        system(
            "SWITCH",
            "s",
            evaluatorType="value-param",
            expression="k",
            inputParameters={"k": "a"},
            decisionCases={"a": [simple("a", inputParameters={"me": "${CPEWF_TASK_ID}"})]},
        ),
    )
    start(engine, definition)
    task = worker.take("a")
    assert task["inputData"] == {"me": task["taskId"]}


@pytest.mark.parametrize(
    ("task", "what"),
    [
        (simple("a", permissive=True), "permissive"),
        (simple("a", cacheConfig={"key": "k", "ttlInSecond": 60}), "cacheConfig"),
        (simple("a", onStateChange={"onFailed": [{"type": "q"}]}), "onStateChange"),
        (
            system("INLINE", "i", inputParameters={"evaluatorType": "python", "expression": "1"}),
            "INLINE evaluatorType python",
        ),
    ],
)
def test_what_the_fake_does_not_honour_is_refused_at_registration(engine, task, what):
    """The fake's honest boundary for WorkflowTaskTypeConstraint: what Conductor would honour
    and the fake cannot is refused at registration."""
    with pytest.raises(BadRequestError, match=f"not supported by the fake server: {what}"):
        engine.register_workflow_def(workflow("w", task))


def test_default_values_of_fields_the_fake_does_not_use_are_accepted(engine):
    """Mirrors WorkflowTask's defaults: official clients send them, and they change nothing."""
    task = simple("a", permissive=False, cacheConfig=None, onStateChange={})
    engine.register_workflow_def(workflow("w", task))


def test_without_a_javascript_engine_the_task_fails_saying_what_to_install(engine, monkeypatch):
    """The fake's own packaging (no Conductor counterpart): without quickjs-ng an Inline task
    fails naming the install command."""
    monkeypatch.setitem(sys.modules, "quickjs", None)  # as if quickjs-ng were not installed
    workflow_id = start(engine, workflow("w", inline("calc", "1 + 1")))
    calc = by_ref(engine, workflow_id)["calc"]
    assert calc["status"] == "FAILED_WITH_TERMINAL_ERROR"
    assert "pip install conductor-workers-testing" in calc["reasonForIncompletion"]


def test_without_jq_the_task_fails_saying_what_to_install(engine, monkeypatch):
    """The fake's own packaging (no Conductor counterpart): without jq a JsonJqTransform task
    fails naming the install command."""
    monkeypatch.setitem(sys.modules, "jq", None)
    query = {"queryExpression": ".a + 1000001"}  # a query not compiled before
    workflow_id = start(
        engine, workflow("w", system("JSON_JQ_TRANSFORM", "jq", inputParameters=query))
    )
    jq = by_ref(engine, workflow_id)["jq"]
    assert jq["status"] == "FAILED"
    assert "pip install conductor-workers-testing" in jq["reasonForIncompletion"]


def run_jq(engine, query):
    definition = workflow(
        "w", system("JSON_JQ_TRANSFORM", "jq", inputParameters={"queryExpression": query, "a": 2})
    )
    return by_ref(engine, start(engine, definition))["jq"]


@pytest.mark.parametrize(
    ("query", "missing"),
    [
        (".a | round", "round/0"),
        (".a | ceil", "ceil/0"),
        ("now", "now/0"),
        ("0 | todate", "todate/0"),
        ('getpath(["a"])', "getpath/1"),
        ("isempty(.a)", "isempty/1"),
        (".a | abs", "abs/0"),
        ('"x " | trim', "trim/0"),
        ("env.HOME", "env/0"),
        ("[tostream]", "tostream/0"),
        ('{b: "\\(now)"}', "now/0"),
    ],
)
def test_jq_functions_jackson_jq_lacks_fail_the_task(engine, query, missing):
    """Mirrors JsonJqTransform on jackson-jq 0.0.13 (FunctionCall.apply): a function that
    jackson-jq does not have fails the task with its words, though jq itself has it."""
    task = run_jq(engine, query)
    assert task["status"] == "FAILED"
    assert task["reasonForIncompletion"] == f"Function {missing} does not exist"
    assert task["outputData"]["error"] == task["reasonForIncompletion"]


def test_jq_formats_jackson_jq_lacks_fail_the_task(engine):
    """Mirrors jackson-jq 0.0.13's FormattingFilter: @base64d is not one of its formats."""
    task = run_jq(engine, '"eA==" | @base64d')
    assert task["reasonForIncompletion"] == "Formatting operator @base64d does not exist"


@pytest.mark.parametrize("query", ["if .a > 1 then 1 end", "if .a then 1 elif .b then 2 end"])
def test_jq_if_without_else_does_not_compile(engine, query):
    """Mirrors jackson-jq 0.0.13's grammar (ConditionalExpression needs else), which
    JsonJqTransform compiles when the task starts: the task fails with the parser's words."""
    task = run_jq(engine, query)
    assert task["status"] == "FAILED"
    assert task["reasonForIncompletion"].startswith('Encountered " "end" "end "" at line 1')


def test_jq_queries_within_jackson_jq_run(engine):
    """Mirrors JsonJqTransform: what jackson-jq 0.0.13 has runs (its functions, functions the
    query defines, object keys named like missing functions)."""
    query = (
        "def twice(f): f * 2; "
        "{round: twice(.a), b: ([.a] | map(. + 1) | add), c: (if .a then 1 else 0 end)}"
    )
    task = run_jq(engine, query)
    assert task["status"] == "COMPLETED"
    assert task["outputData"]["result"] == {"round": 4, "b": 3, "c": 1}
