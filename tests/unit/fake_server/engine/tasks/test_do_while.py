"""DO_WHILE (Conductor's DoWhile, DoWhileTaskMapper, DeciderService's loop handling; the test
harness's DoWhileSpec)."""

import pytest

from fake_server.engine.errors import BadRequestError
from tests.unit.fake_server.helpers import start, statuses
from tests.unit.fake_server.system_task_helpers import by_ref, simple, system, workflow


def loop(condition, *body, **fields):
    return system("DO_WHILE", "loop", loopCondition=condition, loopOver=list(body), **fields)


TWICE = "$.loop['iteration'] < 2"


def test_each_iteration_runs_the_body_with_suffixed_names_and_the_iteration(engine, worker):
    """Mirrors DoWhile and DoWhileTaskMapper: each iteration's tasks are named ref__N and carry
    the iteration."""
    workflow_id = start(engine, workflow("w", loop(TWICE, simple("a"), simple("b")), simple("end")))
    seen = []
    for _ in range(2):
        for ref in ("a", "b"):
            task = worker.take(ref)
            seen.append((task["referenceTaskName"], task["iteration"], task["loopOverTask"]))
            worker.update(task, "COMPLETED", outputData={"n": task["iteration"]})
    assert seen == [("a__1", 1, True), ("b__1", 1, True), ("a__2", 2, True), ("b__2", 2, True)]
    do_while = by_ref(engine, workflow_id)["loop"]
    assert do_while["taskType"] == "DO_WHILE"
    assert do_while["status"] == "COMPLETED"
    assert do_while["iteration"] == 2
    assert do_while["outputData"] == {
        "iteration": 2,
        "1": {"a": {"n": 1}, "b": {"n": 1}},
        "2": {"a": {"n": 2}, "b": {"n": 2}},
    }
    assert statuses(engine, workflow_id)[-1] == ("end", "SCHEDULED")


def test_the_condition_sees_the_latest_outputs_and_the_loop_input(engine, worker):
    """Mirrors DoWhile.evaluateCondition: the condition sees the latest outputs and the loop's
    input."""
    definition = workflow(
        "w",
        loop(
            "$.count.output_left > 0 && $.loop.iteration < $.limit",
            simple("count"),
            inputParameters={"limit": "${workflow.input.limit}"},
        ),
    )
    workflow_id = start(engine, definition, input={"limit": 10})
    for left in (2, 1, 0):
        worker.update(worker.take("count"), "COMPLETED", outputData={"output_left": left})
    assert by_ref(engine, workflow_id)["loop"]["iteration"] == 3
    assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"


def test_expressions_name_loop_tasks_without_the_suffix(engine, worker):
    """Mirrors ParametersUtils inside a DoWhile: expressions name loop tasks without the __N
    suffix."""
    definition = workflow(
        "w",
        loop(TWICE, simple("a"), simple("b", inputParameters={"prev": "${a.output.v}"})),
        simple("after", inputParameters={"last": "${b.output.v}"}),
    )
    workflow_id = start(engine, definition)
    for n in (1, 2):
        worker.update(worker.take("a"), "COMPLETED", outputData={"v": f"a{n}"})
        b = worker.take("b")
        assert b["inputData"] == {"prev": f"a{n}"}
        worker.update(b, "COMPLETED", outputData={"v": f"b{n}"})
    assert worker.take("after")["inputData"] == {"last": "b2"}
    assert workflow_id


def test_a_false_condition_still_runs_the_body_once(engine, worker):
    """Mirrors DoWhile: the body runs once before the condition is first read."""
    workflow_id = start(engine, workflow("w", loop("false", simple("a"))))
    worker.update(worker.take("a"), "COMPLETED")
    assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"
    assert by_ref(engine, workflow_id)["loop"]["iteration"] == 1


def test_an_empty_items_list_loops_zero_times(engine):
    """Mirrors DoWhile with items: an empty list runs the body no time."""
    definition = workflow(
        "w", loop("", simple("a"), items="${workflow.input.items}"), simple("after")
    )
    workflow_id = start(engine, definition, input={"items": []})
    assert statuses(engine, workflow_id) == [("loop", "COMPLETED"), ("after", "SCHEDULED")]
    assert by_ref(engine, workflow_id)["loop"]["outputData"] == {"iteration": 0}


def test_items_run_once_each_with_loop_item_and_index(engine, worker):
    """Mirrors DoWhile with items: one iteration per item, with the item and its index."""
    definition = workflow(
        "w",
        loop(
            "",
            simple("a", inputParameters={"item": "${loop.output.loopItem}"}),
            items="${workflow.input.items}",
        ),
    )
    workflow_id = start(engine, definition, input={"items": ["x", "y", "z"]})
    got = []
    for _ in range(3):
        task = worker.take("a")
        got.append(task["inputData"]["item"])
        worker.update(task, "COMPLETED")
    assert got == ["x", "y", "z"]
    assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"


def test_keep_last_n_drops_older_iterations(engine, worker):
    """Mirrors DoWhile with keepLastN: older iterations' tasks are dropped."""
    definition = workflow(
        "w", loop("$.loop.iteration < 4", simple("a"), inputParameters={"keepLastN": 2})
    )
    workflow_id = start(engine, definition)
    for _ in range(4):
        worker.update(worker.take("a"), "COMPLETED", outputData={"ok": 1})
    refs = [ref for ref, _ in statuses(engine, workflow_id)]
    assert refs == ["loop", "a__3", "a__4"]
    output = by_ref(engine, workflow_id)["loop"]["outputData"]
    assert sorted(output) == ["3", "4", "iteration"]


def test_a_switch_inside_the_loop(engine, worker):
    """Mirrors DoWhile with SwitchTaskMapper inside its body."""
    switch = system(
        "SWITCH",
        "pick",
        evaluatorType="javascript",
        expression="$.i % 2 == 0 ? 'even' : 'odd'",
        inputParameters={"i": "${loop.output.iteration}"},
        decisionCases={"even": [simple("even")], "odd": [simple("odd")]},
    )
    workflow_id = start(engine, workflow("w", loop("$.loop.iteration < 3", switch, simple("tail"))))
    for expected in ("odd", "even", "odd"):
        worker.update(worker.take(expected), "COMPLETED")
        worker.update(worker.take("tail"), "COMPLETED")
    assert [ref for ref, _ in statuses(engine, workflow_id)] == [
        "loop",
        "pick__1",
        "odd__1",
        "tail__1",
        "pick__2",
        "even__2",
        "tail__2",
        "pick__3",
        "odd__3",
        "tail__3",
    ]
    assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"


def test_a_failure_in_the_loop_is_retried_in_its_iteration(engine, worker):
    """Mirrors DeciderService.retry inside a DoWhile: the retry keeps its iteration's name."""
    engine.register_task_defs([{"name": "a", "retryCount": 1, "retryDelaySeconds": 0}])
    workflow_id = start(engine, workflow("w", loop("$.loop.iteration < 2", simple("a"))))
    worker.update(worker.take("a"), "FAILED")
    retry = worker.take("a")
    assert (retry["referenceTaskName"], retry["iteration"], retry["retryCount"]) == ("a__1", 1, 1)
    worker.update(retry, "COMPLETED")
    worker.update(worker.take("a"), "COMPLETED")
    assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"


def test_a_failure_in_the_loop_without_retries_fails_the_workflow(engine, worker):
    """Mirrors DoWhile: a task of the body that fails for good fails the loop and the workflow."""
    engine.register_task_defs([{"name": "a", "retryCount": 0}])
    workflow_id = start(engine, workflow("w", loop("true", simple("a"))))
    worker.update(worker.take("a"), "FAILED", reasonForIncompletion="bad")
    assert engine.get_workflow(workflow_id)["status"] == "FAILED"
    assert by_ref(engine, workflow_id)["loop"]["status"] == "CANCELED"


def test_a_condition_that_throws_fails_the_loop_for_good(engine, worker):
    """Mirrors DoWhile.evaluateCondition: a condition that throws fails the loop for good."""
    workflow_id = start(engine, workflow("w", loop("$.nothing.here", simple("a"))))
    worker.update(worker.take("a"), "COMPLETED")
    do_while = by_ref(engine, workflow_id)["loop"]
    assert do_while["status"] == "FAILED_WITH_TERMINAL_ERROR"
    assert do_while["reasonForIncompletion"].startswith("Unable to evaluate condition")
    assert engine.get_workflow(workflow_id)["status"] == "FAILED"


def test_a_loop_of_system_tasks_only_runs_to_its_end(engine):
    """Mirrors DoWhile: a body of system tasks only runs through every iteration."""
    inline = system(
        "INLINE",
        "step",
        inputParameters={"evaluatorType": "javascript", "expression": "1"},
    )
    workflow_id = start(engine, workflow("w", loop("$.loop.iteration < 50", inline)))
    assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"
    assert by_ref(engine, workflow_id)["loop"]["iteration"] == 50


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"loopOver": [simple("a")]}, "loopCondition field is required"),
        ({"loopCondition": "true"}, "loopOver field is required"),
    ],
)
def test_do_while_registration_says_what_is_missing(engine, fields, words):
    """Mirrors WorkflowTaskTypeConstraint for DO_WHILE."""
    with pytest.raises(BadRequestError, match=words):
        engine.register_workflow_def(workflow("w", system("DO_WHILE", "loop", **fields)))


def test_a_fork_inside_the_loop_joins_each_iteration(engine, worker):
    """Mirrors DoWhile with ForkJoinTaskMapper and Join inside its body."""
    body = [
        system("FORK_JOIN", "fork", forkTasks=[[simple("left")], [simple("right")]]),
        system("JOIN", "join", joinOn=["left", "right"]),
    ]
    workflow_id = start(engine, workflow("w", loop("$.loop.iteration < 2", *body)))
    for n in (1, 2):
        worker.update(worker.take("left"), "COMPLETED", outputData={"l": n})
        worker.update(worker.take("right"), "COMPLETED", outputData={"r": n})
        join = by_ref(engine, workflow_id)[f"join__{n}"]
        assert join["status"] == "COMPLETED"
        assert join["outputData"] == {f"left__{n}": {"l": n}, f"right__{n}": {"r": n}}
    assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"
    assert by_ref(engine, workflow_id)["loop"]["outputData"]["2"]["join"] == {
        "left__2": {"l": 2},
        "right__2": {"r": 2},
    }


def test_a_sub_workflow_inside_the_loop_runs_once_per_iteration(engine, worker):
    """Mirrors DoWhile with SubWorkflow inside its body."""
    engine.upsert_workflow_defs([workflow("child", simple("step"))])
    sub = system("SUB_WORKFLOW", "sub", subWorkflowParam={"name": "child"})
    workflow_id = start(engine, workflow("w", loop("$.loop.iteration < 3", sub)))
    for _ in range(3):
        worker.update(worker.take("step"), "COMPLETED")
    done = engine.get_workflow(workflow_id)
    assert done["status"] == "COMPLETED"
    children = {t["subWorkflowId"] for t in done["tasks"] if t["taskType"] == "SUB_WORKFLOW"}
    assert len(children) == 3
