"""``${CPEWF_TASK_ID}`` in a system task's input: the mappers that evaluate the input with the
id of the task they create (InlineTaskMapper, LambdaTaskMapper, JsonJQTransformTaskMapper,
HTTPTaskMapper, WaitTaskMapper, HumanTaskMapper, EventTaskMapper, TerminateTaskMapper,
DoWhileTaskMapper) give that id; the others see DeciderService.getTasksToBeScheduled's input,
evaluated without one, where it stays as written."""

import pytest

from tests.unit.fake_server.helpers import start
from tests.unit.fake_server.system_task_helpers import simple, system, workflow

ME = {"me": "${CPEWF_TASK_ID}"}

GIVING_THE_ID = {
    "INLINE": {"inputParameters": {"evaluatorType": "javascript", "expression": "1", **ME}},
    "LAMBDA": {"inputParameters": {"scriptExpression": "return 1", **ME}},
    "JSON_JQ_TRANSFORM": {"inputParameters": {"queryExpression": ".", **ME}},
    "WAIT": {"inputParameters": ME},
    "HUMAN": {"inputParameters": ME},
    "EVENT": {"sink": "conductor", "inputParameters": ME},
    "TERMINATE": {"inputParameters": {"terminationStatus": "COMPLETED", **ME}},
    "DO_WHILE": {
        "loopCondition": "false",
        "loopOver": [simple("inside")],
        "inputParameters": ME,
    },
}


def first_task(engine, workflow_id):
    return engine.get_workflow(workflow_id)["tasks"][0]


@pytest.mark.parametrize("task_type", sorted(GIVING_THE_ID))
def test_the_task_id_is_given_by_these_mappers(engine, task_type):
    definition = workflow("w", system(task_type, "t", **GIVING_THE_ID[task_type]))
    task = first_task(engine, start(engine, definition))
    assert task["inputData"]["me"] == task["taskId"]


def test_the_task_id_is_given_to_an_http_task(engine, httpserver):
    httpserver.expect_request("/x").respond_with_json({})
    params = {"http_request": {"uri": httpserver.url_for("/x"), "method": "GET"}, **ME}
    definition = workflow("w", system("HTTP", "t", inputParameters=params))
    task = first_task(engine, start(engine, definition))
    assert task["inputData"]["me"] == task["taskId"]


def test_the_others_keep_it_as_written(engine):
    definition = workflow(
        "w",
        system("SET_VARIABLE", "t", inputParameters=ME),
        system(
            "SWITCH",
            "s",
            evaluatorType="value-param",
            expression="me",
            inputParameters=ME,
            decisionCases={"x": [simple("a")]},
        ),
    )
    tasks = engine.get_workflow(start(engine, definition))["tasks"]
    assert [t["inputData"]["me"] for t in tasks] == ["${CPEWF_TASK_ID}"] * 2
