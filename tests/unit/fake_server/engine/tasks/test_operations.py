"""Workflow operations on workflows with system tasks: retry from a failed task inside a fork,
a loop or a sub-workflow, retrying a sub-workflow itself, pause around a WAIT, restart
(Conductor's WorkflowExecutorOps: retry, updateAndPushParents, pause/resume, restart)."""

from tests.unit.fake_server.helpers import start, statuses
from tests.unit.fake_server.system_task_helpers import by_ref, simple, system, workflow

NO_RETRIES = [
    {"name": "a", "retryCount": 0},
    {"name": "b", "retryCount": 0},
    {"name": "charge", "retryCount": 0},
]


def test_retry_from_a_failed_branch_reopens_the_join(engine, worker):
    """Mirrors WorkflowExecutorOps.retry: a JOIN canceled by the failure is reopened in place."""
    engine.register_task_defs(NO_RETRIES)
    definition = workflow(
        "fan",
        system("FORK_JOIN", "fork", forkTasks=[[simple("a")], [simple("b")]]),
        system("JOIN", "join", joinOn=["a", "b"]),
        simple("after"),
    )
    workflow_id = start(engine, definition)
    worker.update(worker.take("a"), "COMPLETED", outputData={"a": 1})
    worker.update(worker.take("b"), "FAILED", reasonForIncompletion="flaky")
    assert engine.get_workflow(workflow_id)["status"] == "FAILED"

    engine.retry_workflow(workflow_id)

    assert by_ref(engine, workflow_id)["join"]["status"] == "IN_PROGRESS"
    retry = worker.take("b")
    assert retry["retryCount"] == 1
    worker.update(retry, "COMPLETED", outputData={"b": 2})
    assert by_ref(engine, workflow_id)["join"]["outputData"] == {"a": {"a": 1}, "b": {"b": 2}}
    worker.update(worker.take("after"), "COMPLETED")
    assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"


def test_retry_from_a_failed_task_in_a_loop_goes_on_with_the_loop(engine, worker):
    """Mirrors WorkflowExecutorOps.retry: a DO_WHILE is reopened and goes on with its loop."""
    engine.register_task_defs(NO_RETRIES)
    loop = system("DO_WHILE", "loop", loopCondition="$.loop.iteration < 3", loopOver=[simple("a")])
    workflow_id = start(engine, workflow("w", loop))
    worker.update(worker.take("a"), "COMPLETED")
    worker.update(worker.take("a"), "FAILED")
    assert engine.get_workflow(workflow_id)["status"] == "FAILED"
    assert by_ref(engine, workflow_id)["loop"]["status"] == "CANCELED"

    engine.retry_workflow(workflow_id)

    retry = worker.take("a")
    assert (retry["referenceTaskName"], retry["iteration"]) == ("a__2", 2)
    worker.update(retry, "COMPLETED")
    worker.update(worker.take("a"), "COMPLETED")
    done = engine.get_workflow(workflow_id)
    assert done["status"] == "COMPLETED"
    assert by_ref(engine, workflow_id)["loop"]["iteration"] == 3


def test_retry_of_a_failed_sub_workflow_task_starts_a_new_child(engine, worker):
    """Mirrors WorkflowExecutorOps.retry: a failed SUB_WORKFLOW task gets a new attempt, which
    starts a new child."""
    engine.register_task_defs(NO_RETRIES)
    engine.upsert_workflow_defs([workflow("payment", simple("charge"))])
    definition = workflow(
        "order", system("SUB_WORKFLOW", "pay", subWorkflowParam={"name": "payment"})
    )
    workflow_id = start(engine, definition)
    first_child = by_ref(engine, workflow_id)["pay"]["subWorkflowId"]
    worker.update(worker.take("charge"), "FAILED", reasonForIncompletion="declined")
    assert engine.get_workflow(workflow_id)["status"] == "FAILED"

    engine.retry_workflow(workflow_id)

    pay = by_ref(engine, workflow_id)["pay"]
    assert pay["status"] == "IN_PROGRESS"
    assert pay["subWorkflowId"] != first_child
    worker.update(worker.take("charge"), "COMPLETED", outputData={"receipt": "r"})
    assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"


def test_retrying_the_failed_child_takes_its_parent_along(engine, worker):
    """Mirrors WorkflowExecutorOps.retry with updateAndPushParents: the parent's SUB_WORKFLOW
    task goes back IN_PROGRESS and the parent RUNNING; when the child completes, so does the
    parent."""
    engine.register_task_defs(NO_RETRIES)
    engine.upsert_workflow_defs([workflow("payment", simple("charge"))])
    definition = workflow(
        "order",
        system("SUB_WORKFLOW", "pay", subWorkflowParam={"name": "payment"}),
        simple("ship"),
    )
    parent_id = start(engine, definition)
    child_id = by_ref(engine, parent_id)["pay"]["subWorkflowId"]
    worker.update(worker.take("charge"), "FAILED")
    assert engine.get_workflow(parent_id)["status"] == "FAILED"

    engine.retry_workflow(child_id)

    assert engine.get_workflow(parent_id)["status"] == "RUNNING"
    pay = by_ref(engine, parent_id)["pay"]
    assert (pay["status"], pay["subWorkflowId"]) == ("IN_PROGRESS", child_id)
    logs = engine.get_task_logs(pay["taskId"])
    assert logs[-1]["log"] == f"Sub workflow payment.1/{child_id} retried."
    worker.update(worker.take("charge"), "COMPLETED", outputData={"receipt": "r"})
    assert by_ref(engine, parent_id)["pay"]["status"] == "COMPLETED"
    worker.update(worker.take("ship"), "COMPLETED")
    assert engine.get_workflow(parent_id)["status"] == "COMPLETED"


def test_a_wait_that_comes_due_while_paused_completes_and_the_next_task_waits_for_resume(
    engine, clock
):
    """Mirrors AsyncSystemTaskExecutor (it runs a Wait whatever its workflow's status) and
    DeciderService.decide (it does nothing for a PAUSED workflow) around
    WorkflowExecutorOps.pauseWorkflow and resumeWorkflow."""
    definition = workflow(
        "w", system("WAIT", "pause", inputParameters={"duration": "10s"}), simple("after")
    )
    workflow_id = start(engine, definition)
    engine.pause_workflow(workflow_id)
    clock.advance_seconds(20)
    assert statuses(engine, workflow_id) == [("pause", "COMPLETED")]
    assert engine.get_workflow(workflow_id)["status"] == "PAUSED"

    engine.resume_workflow(workflow_id)

    assert statuses(engine, workflow_id) == [("pause", "COMPLETED"), ("after", "SCHEDULED")]


def test_a_sub_workflow_that_ends_while_its_parent_is_paused_moves_it_on_resume(engine, worker):
    """Mirrors WorkflowExecutorOps.resumeWorkflow with SubWorkflow: a child that ended meanwhile
    moves its parent on."""
    engine.upsert_workflow_defs([workflow("payment", simple("charge"))])
    definition = workflow(
        "order",
        system("SUB_WORKFLOW", "pay", subWorkflowParam={"name": "payment"}),
        simple("ship"),
    )
    parent_id = start(engine, definition)
    engine.pause_workflow(parent_id)
    worker.update(worker.take("charge"), "COMPLETED")
    assert statuses(engine, parent_id) == [("pay", "COMPLETED")]

    engine.resume_workflow(parent_id)

    assert statuses(engine, parent_id) == [("pay", "COMPLETED"), ("ship", "SCHEDULED")]


def test_restart_runs_system_tasks_again(engine, worker):
    """Mirrors WorkflowExecutorOps.restart: the system tasks run again."""
    definition = workflow(
        "w",
        system(
            "SWITCH",
            "route",
            evaluatorType="value-param",
            expression="k",
            inputParameters={"k": "${workflow.input.k}"},
            decisionCases={"x": [simple("x")]},
        ),
    )
    workflow_id = start(engine, definition, input={"k": "x"})
    worker.update(worker.take("x"), "COMPLETED")
    assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"

    engine.restart_workflow(workflow_id)

    assert statuses(engine, workflow_id) == [("route", "COMPLETED"), ("x", "SCHEDULED")]


def test_terminate_of_a_paused_parent_terminates_its_child(engine):
    """Mirrors WorkflowExecutorOps.terminateWorkflow with SubWorkflow.cancel: the child is
    terminated too."""
    engine.upsert_workflow_defs([workflow("payment", simple("charge"))])
    definition = workflow(
        "order", system("SUB_WORKFLOW", "pay", subWorkflowParam={"name": "payment"})
    )
    parent_id = start(engine, definition)
    child_id = by_ref(engine, parent_id)["pay"]["subWorkflowId"]
    engine.pause_workflow(parent_id)
    engine.terminate_workflow(parent_id, "enough")
    assert engine.get_workflow(child_id)["status"] == "TERMINATED"


def test_retrying_a_child_in_a_fork_sets_its_canceled_siblings_going_again(engine, worker):
    """Mirrors WorkflowExecutorOps.updateAndPushParents: the parent's canceled tasks go again."""
    engine.register_task_defs(NO_RETRIES)
    engine.upsert_workflow_defs([workflow("payment", simple("charge"))])
    definition = workflow(
        "order",
        system(
            "FORK_JOIN",
            "fork",
            forkTasks=[
                [system("SUB_WORKFLOW", "pay", subWorkflowParam={"name": "payment"})],
                [simple("ship")],
            ],
        ),
        system("JOIN", "join", joinOn=["pay", "ship"]),
    )
    parent_id = start(engine, definition)
    child_id = by_ref(engine, parent_id)["pay"]["subWorkflowId"]
    worker.update(worker.take("charge"), "FAILED")
    refs = by_ref(engine, parent_id)
    assert (refs["ship"]["status"], refs["join"]["status"]) == ("CANCELED", "CANCELED")

    engine.retry_workflow(child_id)

    refs = by_ref(engine, parent_id)
    assert (refs["ship"]["status"], refs["join"]["status"]) == ("SCHEDULED", "IN_PROGRESS")
    assert refs["ship"]["retryCount"] == 1
    worker.update(worker.take("charge"), "COMPLETED", outputData={"receipt": "r"})
    worker.update(worker.take("ship"), "COMPLETED", outputData={"tracking": "t"})
    done = engine.get_workflow(parent_id)
    assert done["status"] == "COMPLETED"
    assert by_ref(engine, parent_id)["join"]["outputData"]["ship"] == {"tracking": "t"}


def test_retrying_a_grandchild_takes_both_ancestors_along(engine, worker):
    """Mirrors WorkflowExecutorOps.updateAndPushParents up two levels."""
    engine.register_task_defs(NO_RETRIES)
    engine.upsert_workflow_defs(
        [
            workflow("leaf", simple("charge")),
            workflow(
                "middle", system("SUB_WORKFLOW", "to_leaf", subWorkflowParam={"name": "leaf"})
            ),
        ]
    )
    top = workflow("top", system("SUB_WORKFLOW", "to_middle", subWorkflowParam={"name": "middle"}))
    top_id = start(engine, top)
    middle_id = by_ref(engine, top_id)["to_middle"]["subWorkflowId"]
    leaf_id = by_ref(engine, middle_id)["to_leaf"]["subWorkflowId"]
    worker.update(worker.take("charge"), "FAILED")
    assert engine.get_workflow(top_id)["status"] == "FAILED"

    engine.retry_workflow(leaf_id)

    assert engine.get_workflow(middle_id)["status"] == "RUNNING"
    assert engine.get_workflow(top_id)["status"] == "RUNNING"
    worker.update(worker.take("charge"), "COMPLETED")
    assert engine.get_workflow(top_id)["status"] == "COMPLETED"
