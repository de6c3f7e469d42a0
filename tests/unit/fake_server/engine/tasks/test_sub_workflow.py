"""SUB_WORKFLOW and START_WORKFLOW (Conductor's SubWorkflow, SubWorkflowTaskMapper,
StartWorkflow; the test harness's SubWorkflowSpec)."""

import pytest

from fake_server.engine.errors import ConductorError, MalformedRequestError
from tests.unit.fake_server.helpers import start, statuses
from tests.unit.fake_server.system_task_helpers import by_ref, simple, system, workflow

CHILD = workflow(
    "payment",
    simple("charge", inputParameters={"amount": "${workflow.input.amount}"}),
    outputParameters={"receipt": "${charge.output.receipt}"},
)


def parent(**param):
    return workflow(
        "order",
        system(
            "SUB_WORKFLOW",
            "pay",
            subWorkflowParam={"name": "payment", **param},
            inputParameters={"amount": "${workflow.input.amount}"},
        ),
        simple("ship", inputParameters={"receipt": "${pay.output.receipt}"}),
    )


def test_sub_workflow_runs_and_its_output_becomes_the_task_output(engine, worker):
    """Mirrors SubWorkflow: the child's output becomes the task's output."""
    engine.upsert_workflow_defs([CHILD])
    parent_id = start(engine, parent(), input={"amount": 12}, correlationId="c-1")
    pay = by_ref(engine, parent_id)["pay"]
    assert (pay["taskType"], pay["status"]) == ("SUB_WORKFLOW", "IN_PROGRESS")
    child_id = pay["subWorkflowId"]
    assert pay["outputData"] == {"subWorkflowId": child_id}
    assert pay["inputData"]["subWorkflowName"] == "payment"
    assert pay["inputData"]["subWorkflowVersion"] == 1
    child = engine.get_workflow(child_id)
    assert child["parentWorkflowId"] == parent_id
    assert child["parentWorkflowTaskId"] == pay["taskId"]
    assert child["correlationId"] == "c-1"
    assert child["input"] == {"amount": 12}
    charge = worker.take("charge")
    assert charge["inputData"] == {"amount": 12}
    worker.update(charge, "COMPLETED", outputData={"receipt": "r-9"})
    pay = by_ref(engine, parent_id)["pay"]
    assert pay["status"] == "COMPLETED"
    assert pay["outputData"] == {"subWorkflowId": child_id, "receipt": "r-9"}
    assert worker.take("ship")["inputData"] == {"receipt": "r-9"}


def test_version_left_out_is_the_latest(engine):
    """Mirrors SubWorkflowTaskMapper: without a version, the latest."""
    engine.upsert_workflow_defs([CHILD, {**CHILD, "version": 2}])
    parent_id = start(engine, parent())
    assert by_ref(engine, parent_id)["pay"]["inputData"]["subWorkflowVersion"] == 2
    engine.upsert_workflow_defs([parent(version=1)])
    again = engine.start_workflow({"name": "order"})
    assert by_ref(engine, again)["pay"]["inputData"]["subWorkflowVersion"] == 1


def test_an_unknown_sub_workflow_fails_the_start(engine):
    """Mirrors MetadataMapperService.populateVersionForSubWorkflow: a SUB_WORKFLOW without a
    version whose workflow is not registered fails the parent's start (a 500 there, its
    TerminateWorkflowException), wherever it sits in the definition; nothing is started."""
    nested = workflow(
        "order",
        simple("first"),
        system("DO_WHILE", "loop", loopCondition="false", loopOver=[parent()["tasks"][0]]),
    )
    for definition in (parent(), nested):
        with pytest.raises(ConductorError) as caught:
            start(engine, definition)
        assert caught.value.status == 500
        assert caught.value.message == (
            "The Task payment defined as a sub-workflow has no workflow definition available "
        )
    assert engine.list_workflows() == []


def test_a_sub_workflow_name_given_as_an_expression_fails_the_start(engine):
    """Mirrors MetadataMapperService.populateVersionForSubWorkflow: without a version, the
    name is looked up as written when the parent starts, so an expression names nothing."""
    engine.upsert_workflow_defs([CHILD])
    definition = parent()
    definition["tasks"][0]["subWorkflowParam"] = {"name": "${workflow.input.child}"}
    with pytest.raises(ConductorError, match="no workflow definition available"):
        start(engine, definition, input={"child": "payment"})


def test_the_latest_version_is_fixed_when_the_parent_starts(engine, worker):
    """Mirrors MetadataMapperService.populateVersionForSubWorkflow: the version is fixed for
    every SUB_WORKFLOW when the parent starts; a newer child registered mid-run is not used."""
    engine.upsert_workflow_defs([CHILD])
    definition = workflow("order", simple("first"), parent()["tasks"][0])
    parent_id = start(engine, definition, input={"amount": 1})
    engine.upsert_workflow_defs([{**CHILD, "version": 2}])
    worker.update(worker.take("first"), "COMPLETED")
    assert by_ref(engine, parent_id)["pay"]["inputData"]["subWorkflowVersion"] == 1


def test_inline_workflow_definition(engine, worker):
    """Mirrors SubWorkflowTaskMapper with an inline workflowDefinition."""
    definition = workflow(
        "order",
        system(
            "SUB_WORKFLOW",
            "pay",
            subWorkflowParam={"name": "inline_payment", "workflowDefinition": CHILD},
            inputParameters={"amount": 5},
        ),
    )
    parent_id = start(engine, definition)
    child_id = by_ref(engine, parent_id)["pay"]["subWorkflowId"]
    assert engine.get_workflow(child_id)["input"] == {
        "amount": 5,
        "_systemMetadata": {"dynamic": True},
    }
    worker.update(worker.take("charge"), "COMPLETED", outputData={"receipt": "x"})
    assert engine.get_workflow(parent_id)["output"] == {"subWorkflowId": child_id, "receipt": "x"}


def test_a_failed_sub_workflow_fails_its_task_and_the_parent(engine, worker):
    """Mirrors SubWorkflow: a failed child fails its task and the parent."""
    engine.register_task_defs([{"name": "charge", "retryCount": 0}])
    engine.upsert_workflow_defs([CHILD])
    parent_id = start(engine, parent())
    child_id = by_ref(engine, parent_id)["pay"]["subWorkflowId"]
    worker.update(worker.take("charge"), "FAILED", reasonForIncompletion="card declined")
    assert engine.get_workflow(child_id)["status"] == "FAILED"
    pay = by_ref(engine, parent_id)["pay"]
    assert pay["status"] == "FAILED"
    assert pay["reasonForIncompletion"].startswith(f"Sub workflow payment.1/{child_id} failure")
    assert "card declined" in pay["reasonForIncompletion"]
    assert engine.get_workflow(parent_id)["status"] == "FAILED"


def test_an_optional_sub_workflow_that_fails_lets_the_parent_go_on(engine, worker):
    """Mirrors SubWorkflow with an optional task: the parent goes on."""
    engine.register_task_defs([{"name": "charge", "retryCount": 0}])
    engine.upsert_workflow_defs([CHILD])
    definition = parent()
    definition["tasks"][0]["optional"] = True
    parent_id = start(engine, definition)
    worker.update(worker.take("charge"), "FAILED")
    assert statuses(engine, parent_id) == [("pay", "COMPLETED_WITH_ERRORS"), ("ship", "SCHEDULED")]


def test_terminating_the_parent_terminates_the_child(engine):
    """Mirrors SubWorkflow.cancel: terminating the parent terminates the child."""
    engine.upsert_workflow_defs([CHILD])
    parent_id = start(engine, parent())
    child_id = by_ref(engine, parent_id)["pay"]["subWorkflowId"]
    engine.terminate_workflow(parent_id, "customer left")
    child = engine.get_workflow(child_id)
    assert child["status"] == "TERMINATED"
    assert child["reasonForIncompletion"] == (
        "Parent workflow has been terminated with reason: customer left"
    )
    assert by_ref(engine, parent_id)["pay"]["status"] == "CANCELED"
    assert engine.poll("charge") is None


def test_terminating_the_child_cancels_the_task_and_fails_the_parent(engine):
    """Mirrors SubWorkflow: a terminated child cancels its task and fails the parent."""
    engine.upsert_workflow_defs([CHILD])
    parent_id = start(engine, parent())
    child_id = by_ref(engine, parent_id)["pay"]["subWorkflowId"]
    engine.terminate_workflow(child_id, "stop it")
    assert by_ref(engine, parent_id)["pay"]["status"] == "CANCELED"
    assert engine.get_workflow(parent_id)["status"] == "TERMINATED"


def test_task_to_domain_is_inherited(engine, worker):
    """Mirrors SubWorkflow.start: the parent's taskToDomain is inherited."""
    engine.upsert_workflow_defs([CHILD])
    parent_id = start(engine, parent(), taskToDomain={"charge": "eu"})
    child_id = by_ref(engine, parent_id)["pay"]["subWorkflowId"]
    assert engine.get_workflow(child_id)["taskToDomain"] == {"charge": "eu"}
    assert engine.poll("charge") is None
    assert engine.poll("charge", "w", "eu") is not None


def test_sub_workflow_param_task_to_domain_wins(engine):
    """Mirrors SubWorkflowTaskMapper: subWorkflowParam's taskToDomain wins over the parent's."""
    engine.upsert_workflow_defs([CHILD])
    parent_id = start(engine, parent(taskToDomain={"charge": "us"}), taskToDomain={"charge": "eu"})
    child_id = by_ref(engine, parent_id)["pay"]["subWorkflowId"]
    assert engine.get_workflow(child_id)["taskToDomain"] == {"charge": "us"}


def test_a_child_made_of_system_tasks_completes_within_the_parent_start(engine):
    """Mirrors SubWorkflow: a child of system tasks only ends within the parent's start."""
    child = workflow(
        "compute",
        system(
            "INLINE", "calc", inputParameters={"expression": "6 * 7", "evaluatorType": "javascript"}
        ),
    )
    engine.upsert_workflow_defs([child])
    definition = workflow("w", system("SUB_WORKFLOW", "sub", subWorkflowParam={"name": "compute"}))
    done = engine.get_workflow(start(engine, definition))
    assert done["status"] == "COMPLETED"
    assert done["output"]["result"] == 42


def test_terminate_failed_in_a_child_fails_the_parent(engine):
    """Mirrors Terminate with SubWorkflow: a child terminated as FAILED fails the parent."""
    child = workflow(
        "child",
        system(
            "TERMINATE",
            "stop",
            inputParameters={"terminationStatus": "FAILED", "terminationReason": "no stock"},
        ),
    )
    engine.upsert_workflow_defs([child])
    definition = workflow("w", system("SUB_WORKFLOW", "sub", subWorkflowParam={"name": "child"}))
    done = engine.get_workflow(start(engine, definition))
    assert done["status"] == "FAILED"
    assert "no stock" in done["reasonForIncompletion"]


def test_start_workflow_starts_another_and_goes_on(engine, worker):
    """Mirrors StartWorkflow: another workflow starts and the task completes with its
    workflowId."""
    engine.upsert_workflow_defs([CHILD])
    definition = workflow(
        "w",
        system(
            "START_WORKFLOW",
            "kick",
            inputParameters={"startWorkflow": {"name": "payment", "input": {"amount": 3}}},
        ),
        simple("next"),
    )
    workflow_id = start(engine, definition, correlationId="corr")
    kick = by_ref(engine, workflow_id)["kick"]
    assert kick["status"] == "COMPLETED"
    started = engine.get_workflow(kick["outputData"]["workflowId"])
    assert (started["workflowName"], started["correlationId"]) == ("payment", "corr")
    assert "parentWorkflowId" not in started
    assert statuses(engine, workflow_id)[-1] == ("next", "SCHEDULED")


def test_start_workflow_without_a_request_fails(engine):
    """Mirrors StartWorkflow: without a startWorkflow request the task fails."""
    definition = workflow("w", system("START_WORKFLOW", "kick"))
    workflow_id = start(engine, definition)
    kick = by_ref(engine, workflow_id)["kick"]
    assert kick["reasonForIncompletion"] == "Missing 'startWorkflow' in input data."


@pytest.mark.parametrize(
    ("field", "value"),
    [("version", "${workflow.input.v}"), ("taskToDomain", "${workflow.input.domains}")],
)
def test_version_and_task_to_domain_cannot_be_expressions(engine, field, value):
    """Mirrors SubWorkflowParams: version is an Integer and taskToDomain a map of strings, so
    Conductor cannot read either written as ${...} (its JSON reader's 500)."""
    with pytest.raises(MalformedRequestError) as caught:
        engine.register_workflow_def(parent(**{field: value}))
    assert caught.value.status == 500
    assert caught.value.errors[0].path.endswith(f"subWorkflowParam.{field}")
    assert "Conductor reads it as" in caught.value.message


def test_a_version_written_as_a_number_in_a_string_is_read(engine):
    """Mirrors SubWorkflowParams read by Jackson: "2" is coerced to the number 2."""
    engine.upsert_workflow_defs([CHILD, {**CHILD, "version": 2}])
    parent_id = start(engine, parent(version="1"))
    assert by_ref(engine, parent_id)["pay"]["inputData"]["subWorkflowVersion"] == 1
