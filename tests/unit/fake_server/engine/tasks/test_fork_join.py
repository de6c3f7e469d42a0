"""FORK_JOIN, JOIN, FORK_JOIN_DYNAMIC, EXCLUSIVE_JOIN (Conductor's ForkJoinTaskMapper, Join,
ForkJoinDynamicTaskMapper, ExclusiveJoin; the test harness's ForkJoinSpec and
DynamicForkJoinSpec)."""

import pytest

from fake_server.engine.errors import BadRequestError
from tests.unit.fake_server.helpers import start, statuses
from tests.unit.fake_server.system_task_helpers import (
    by_ref,
    simple,
    system,
    types_and_statuses,
    workflow,
)


def fan_out(*branches, join_on=None, **join_fields):
    join_on = (
        join_on if join_on is not None else [branch[-1]["taskReferenceName"] for branch in branches]
    )
    return [
        system("FORK_JOIN", "fork", forkTasks=[list(b) for b in branches]),
        system("JOIN", "join", joinOn=join_on, **join_fields),
    ]


def test_fork_schedules_every_branch_and_its_join(engine):
    """ForkJoinSpec: FORK COMPLETED, the first task of each branch SCHEDULED, JOIN IN_PROGRESS."""
    definition = workflow(
        "fan", *fan_out([simple("t1"), simple("t3")], [simple("t2")]), simple("t4")
    )
    workflow_id = start(engine, definition)
    assert types_and_statuses(engine, workflow_id) == [
        ("fork", "FORK", "COMPLETED"),
        ("t1", "t1", "SCHEDULED"),
        ("t2", "t2", "SCHEDULED"),
        ("join", "JOIN", "IN_PROGRESS"),
    ]
    seqs = [t["seq"] for t in engine.get_workflow(workflow_id)["tasks"]]
    assert seqs == [1, 2, 3, 4]


def test_join_waits_for_every_branch_and_keys_outputs_by_reference_name(engine, worker):
    """Mirrors ForkJoinTaskMapper and Join: the join waits for every branch and keys the outputs
    by reference name."""
    definition = workflow(
        "fan", *fan_out([simple("t1"), simple("t3")], [simple("t2")]), simple("t4")
    )
    workflow_id = start(engine, definition)
    worker.update(worker.take("t1"), "COMPLETED", outputData={"one": 1})
    assert statuses(engine, workflow_id)[-1] == ("t3", "SCHEDULED")
    worker.update(worker.take("t3"), "COMPLETED", outputData={"three": 3})
    assert by_ref(engine, workflow_id)["join"]["status"] == "IN_PROGRESS"
    worker.update(worker.take("t2"), "COMPLETED")  # empty output: left out of the JOIN's
    join = by_ref(engine, workflow_id)["join"]
    assert join["status"] == "COMPLETED"
    assert join["outputData"] == {"t3": {"three": 3}}
    assert join["inputData"] == {"joinOn": ["t3", "t2"]}
    worker.update(worker.take("t4"), "COMPLETED")
    assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"


def test_a_failed_branch_fails_the_workflow_and_cancels_the_join(engine, worker):
    """ForkJoinSpec failure flow: no retries left -> workflow FAILED, JOIN and the rest
    CANCELED."""
    engine.register_task_defs([{"name": "t2", "retryCount": 0}])
    definition = workflow("fan", *fan_out([simple("t1"), simple("t3")], [simple("t2")]))
    workflow_id = start(engine, definition)
    worker.update(worker.take("t1"), "COMPLETED")
    worker.update(worker.take("t2"), "FAILED", reasonForIncompletion="boom")
    assert statuses(engine, workflow_id) == [
        ("fork", "COMPLETED"),
        ("t1", "COMPLETED"),
        ("t2", "FAILED"),
        ("join", "CANCELED"),
        ("t3", "CANCELED"),
    ]
    done = engine.get_workflow(workflow_id)
    assert done["status"] == "FAILED"
    assert "'boom'" in done["reasonForIncompletion"]


def test_an_optional_branch_that_fails_lets_the_join_complete_with_errors(engine, worker):
    """Mirrors Join: an optional branch that failed lets it end COMPLETED_WITH_ERRORS."""
    engine.register_task_defs([{"name": "t2", "retryCount": 0}])
    definition = workflow("fan", *fan_out([simple("t1")], [simple("t2", optional=True)]))
    workflow_id = start(engine, definition)
    worker.update(worker.take("t2"), "FAILED", reasonForIncompletion="no sms today")
    worker.update(worker.take("t1"), "COMPLETED", outputData={"ok": True})
    join = by_ref(engine, workflow_id)["join"]
    assert join["status"] == "COMPLETED_WITH_ERRORS"
    assert by_ref(engine, workflow_id)["t2"]["status"] == "COMPLETED_WITH_ERRORS"
    assert join["reasonForIncompletion"].endswith("completed with errors")
    assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"


def test_a_retried_branch_task_is_what_the_join_waits_for(engine, worker, clock):
    """Mirrors Join with DeciderService.retry: the join waits for the retry."""
    engine.register_task_defs([{"name": "t1", "retryCount": 1, "retryDelaySeconds": 0}])
    workflow_id = start(engine, workflow("fan", *fan_out([simple("t1")], [simple("t2")])))
    worker.update(worker.take("t2"), "COMPLETED")
    worker.update(worker.take("t1"), "FAILED")
    assert by_ref(engine, workflow_id)["join"]["status"] == "IN_PROGRESS"
    worker.update(worker.take("t1"), "COMPLETED", outputData={"second": "try"})
    assert by_ref(engine, workflow_id)["join"]["outputData"] == {"t1": {"second": "try"}}
    assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"


def test_nested_forks(engine, worker):
    """Mirrors ForkJoinTaskMapper and Join, nested."""
    inner = [
        system("FORK_JOIN", "inner_fork", forkTasks=[[simple("a")], [simple("b")]]),
        system("JOIN", "inner_join", joinOn=["a", "b"]),
    ]
    definition = workflow("nested", *fan_out([*inner, simple("c")], [simple("d")]))
    workflow_id = start(engine, definition)
    for ref in ("a", "b", "c", "d"):
        worker.update(worker.take(ref), "COMPLETED", outputData={ref: True})
    done = engine.get_workflow(workflow_id)
    assert done["status"] == "COMPLETED"
    assert by_ref(engine, workflow_id)["join"]["outputData"] == {"c": {"c": True}, "d": {"d": True}}


def test_terminate_inside_a_fork_cancels_the_other_branch(engine, worker):
    """Mirrors Terminate inside a fork: the other branches are canceled."""
    terminate = system(
        "TERMINATE",
        "stop",
        inputParameters={"terminationStatus": "COMPLETED", "workflowOutput": {"why": "done"}},
    )
    definition = workflow("fan", *fan_out([simple("t1"), terminate], [simple("t2")]))
    workflow_id = start(engine, definition)
    worker.update(worker.take("t1"), "COMPLETED")
    done = engine.get_workflow(workflow_id)
    assert done["status"] == "COMPLETED"
    assert done["output"] == {"why": "done"}
    refs = by_ref(engine, workflow_id)
    assert refs["t2"]["status"] == "CANCELED"
    assert refs["join"]["status"] == "CANCELED"
    assert engine.poll("t2") is None


def test_a_fork_must_be_followed_by_a_join(engine):
    """Mirrors WorkflowTaskTypeConstraint for FORK_JOIN: a JOIN must follow it."""
    definition = workflow(
        "w", system("FORK_JOIN", "fork", forkTasks=[[simple("a")]]), simple("not_a_join")
    )
    workflow_id = start(engine, definition)
    done = engine.get_workflow(workflow_id)
    assert done["status"] == "FAILED"
    assert "not followed by a join task" in done["reasonForIncompletion"]


@pytest.mark.parametrize(
    ("fork_tasks", "words"),
    [([], "forkTasks should have atleast one task"), ([[]], "every branch of forkTasks")],
)
def test_an_empty_fork_is_refused_at_registration(engine, fork_tasks, words):
    """Mirrors WorkflowTaskTypeConstraint for FORK_JOIN: forkTasks cannot be empty."""
    definition = workflow(
        "w", system("FORK_JOIN", "fork", forkTasks=fork_tasks), system("JOIN", "join")
    )
    with pytest.raises(BadRequestError, match=words):
        engine.register_workflow_def(definition)


def dynamic_fork(**fields):
    return [
        system("FORK_JOIN_DYNAMIC", "dyn", **fields),
        system("JOIN", "dyn_join"),
    ]


def test_dynamic_fork_from_a_list_of_workflow_tasks(engine, worker):
    """Mirrors ForkJoinDynamicTaskMapper with dynamicForkTasksParam and
    dynamicForkTasksInputParamName."""
    definition = workflow(
        "dyn",
        *dynamic_fork(
            dynamicForkTasksParam="tasks",
            dynamicForkTasksInputParamName="inputs",
            inputParameters={
                "tasks": "${workflow.input.tasks}",
                "inputs": "${workflow.input.inputs}",
            },
        ),
    )
    tasks = [simple("mail_a", name="mail"), simple("mail_b", name="mail")]
    inputs = {"mail_a": {"to": "a"}, "mail_b": {"to": "b"}}
    workflow_id = start(engine, definition, input={"tasks": tasks, "inputs": inputs})
    refs = by_ref(engine, workflow_id)
    assert refs["dyn"]["taskType"] == "FORK"
    assert refs["dyn"]["inputData"]["forkedTasks"] == ["mail_a", "mail_b"]
    assert refs["dyn_join"]["inputData"]["joinOn"] == ["mail_a", "mail_b"]
    first, second = worker.take("mail"), worker.take("mail")
    assert {first["inputData"]["to"], second["inputData"]["to"]} == {"a", "b"}
    worker.update(first, "COMPLETED", outputData={"sent": first["inputData"]["to"]})
    worker.update(second, "COMPLETED", outputData={"sent": second["inputData"]["to"]})
    join = by_ref(engine, workflow_id)["dyn_join"]
    assert join["outputData"] == {"mail_a": {"sent": "a"}, "mail_b": {"sent": "b"}}
    assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"


def test_dynamic_fork_from_fork_task_inputs(engine, worker):
    """Mirrors ForkJoinDynamicTaskMapper with forkTaskName and forkTaskInputs."""
    definition = workflow(
        "dyn",
        *dynamic_fork(
            inputParameters={"forkTaskName": "resize", "forkTaskInputs": "${workflow.input.images}"}
        ),
    )
    workflow_id = start(engine, definition, input={"images": [{"url": "x"}, "y"]})
    polled = [worker.take("resize"), worker.take("resize")]
    assert sorted(t["referenceTaskName"] for t in polled) == ["_resize_0", "_resize_1"]
    inputs = {t["referenceTaskName"]: t["inputData"] for t in polled}
    assert inputs["_resize_0"] == {"url": "x", "__index": 0}
    assert inputs["_resize_1"] == {"input": "y", "__index": 1}
    for task in polled:
        worker.update(task, "COMPLETED")
    assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"


def test_an_empty_dynamic_fork_joins_at_once(engine, worker):
    """Mirrors ForkJoinDynamicTaskMapper: no branch, and the join completes at once."""
    definition = workflow(
        "dyn",
        *dynamic_fork(inputParameters={"forkTaskName": "x", "forkTaskInputs": []}),
        simple("after"),
    )
    workflow_id = start(engine, definition)
    assert statuses(engine, workflow_id) == [
        ("dyn", "COMPLETED"),
        ("dyn_join", "COMPLETED"),
        ("after", "SCHEDULED"),
    ]


def test_dynamic_fork_input_that_is_not_a_map_fails_the_workflow(engine):
    """Mirrors ForkJoinDynamicTaskMapper: an input that is not a map fails the workflow."""
    definition = workflow(
        "dyn",
        *dynamic_fork(
            dynamicForkTasksParam="tasks",
            dynamicForkTasksInputParamName="inputs",
            inputParameters={"tasks": [], "inputs": "nope"},
        ),
    )
    done = engine.get_workflow(start(engine, definition))
    assert done["status"] == "FAILED"
    assert "not a map" in done["reasonForIncompletion"]


def test_exclusive_join_takes_the_output_of_the_case_that_ran(engine, worker):
    """Mirrors ExclusiveJoin: the output of whichever joinOn task ran."""
    definition = workflow(
        "ex",
        system(
            "SWITCH",
            "route",
            evaluatorType="value-param",
            expression="k",
            inputParameters={"k": "${workflow.input.k}"},
            decisionCases={"a": [simple("a")], "b": [simple("b")]},
        ),
        system("EXCLUSIVE_JOIN", "ex_join", joinOn=["a", "b"]),
    )
    workflow_id = start(engine, definition, input={"k": "b"})
    worker.update(worker.take("b"), "COMPLETED", outputData={"from": "b"})
    ex_join = by_ref(engine, workflow_id)["ex_join"]
    assert (ex_join["status"], ex_join["outputData"]) == ("COMPLETED", {"from": "b"})
    assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"


def list_fork(**inputs):
    return workflow(
        "dyn",
        *dynamic_fork(
            dynamicForkTasksParam="tasks",
            dynamicForkTasksInputParamName="inputs",
            inputParameters={"tasks": "${workflow.input.tasks}", "inputs": {}, **inputs},
        ),
    )


@pytest.mark.parametrize("how", ["dynamicForkTasksParam", "forkTaskInputs"])
def test_an_unregistered_dynamic_branch_is_not_retried(engine, worker, clock, how):
    """Mirrors ForkJoinDynamicTaskMapper (a branch's definition is metadataDAO.getTaskDef, null
    when unregistered) and DeciderService.retry (no definition, no retry): the first failure
    fails the workflow, where a task of the definition would be retried three times."""
    if how == "forkTaskInputs":
        definition = workflow(
            "dyn", *dynamic_fork(inputParameters={"forkTaskName": "mail", "forkTaskInputs": [1]})
        )
        workflow_id = start(engine, definition)
    else:
        workflow_id = start(engine, list_fork(), input={"tasks": [simple("m", name="mail")]})
    task = worker.take("mail")
    clock.advance_seconds(7200)  # no definition, no response timeout (isResponseTimedOut)
    assert engine.get_task(task["taskId"])["status"] == "IN_PROGRESS"
    worker.update(task, "FAILED")
    assert engine.get_workflow(workflow_id)["status"] == "FAILED"


def test_a_registered_dynamic_branch_is_retried_by_its_definition(engine, worker):
    """Mirrors ForkJoinDynamicTaskMapper: a registered branch type runs on its definition."""
    engine.register_task_defs([{"name": "mail", "retryCount": 1, "retryDelaySeconds": 0}])
    workflow_id = start(engine, list_fork(), input={"tasks": [simple("m", name="mail")]})
    worker.update(worker.take("mail"), "FAILED")
    worker.update(worker.take("mail"), "COMPLETED")
    assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"


def test_a_dynamic_task_list_that_is_null_fails_the_workflow(engine):
    """Mirrors ForkJoinDynamicTaskMapper.getDynamicForkWorkflowTasks: a null list cannot be
    read as workflow tasks, and the workflow fails (an empty list forks nothing)."""
    done = engine.get_workflow(start(engine, list_fork(), input={}))
    assert done["status"] == "FAILED"
    assert done["reasonForIncompletion"] == (
        "Input 'tasks' is invalid. Cannot deserialize a list of Workflow Tasks from 'null'"
    )


def test_a_fork_task_workflow_version_given_as_a_number_is_refused(engine):
    """Mirrors ForkJoinDynamicTaskMapper.getDynamicTasksSimple, which casts
    forkTaskWorkflowVersion to a String and breaks on a number: refused at registration when
    written as one, and failing the workflow when an expression gives one."""
    params = {"forkTaskWorkflow": "child", "forkTaskInputs": [{}]}
    with pytest.raises(BadRequestError, match="forkTaskWorkflowVersion must be a string"):
        engine.register_workflow_def(
            workflow("dyn", *dynamic_fork(inputParameters={**params, "forkTaskWorkflowVersion": 2}))
        )
    definition = workflow(
        "dyn",
        *dynamic_fork(inputParameters={**params, "forkTaskWorkflowVersion": "${workflow.input.v}"}),
    )
    done = engine.get_workflow(start(engine, definition, input={"v": 2}))
    assert done["status"] == "FAILED"
    assert done["reasonForIncompletion"].startswith(
        'forkTaskWorkflowVersion must be a string ("2", not 2)'
    )
