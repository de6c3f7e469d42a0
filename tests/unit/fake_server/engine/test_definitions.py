"""Definition fields as Conductor treats them: honoured, refused by its own constraints, or
refused as "not supported by the fake server" rather than accepted and ignored."""

import pytest

from fake_server.engine.errors import BadRequestError
from tests.unit.fake_server.helpers import sequence, start, statuses


def test_total_timeout_ends_retries(engine, worker, clock):
    """Mirrors DeciderService.retry's total-timeout guard: no retry once totalTimeoutSeconds
    have passed since the first attempt was scheduled (ALERT_ONLY keeps the pending check from
    ending it first)."""
    engine.register_task_defs(
        [
            {
                "name": "a",
                "retryCount": 5,
                "retryDelaySeconds": 10,
                "totalTimeoutSeconds": 30,
                "timeoutPolicy": "ALERT_ONLY",
            }
        ]
    )
    workflow_id = start(engine, sequence("wf", "a"))
    task = worker.take("a")
    clock.advance_seconds(15)
    worker.update(task, "FAILED")
    clock.advance_seconds(10)
    task = worker.take("a")
    clock.advance_seconds(5)
    worker.update(task, "FAILED")
    workflow = engine.get_workflow(workflow_id)
    assert workflow["status"] == "FAILED"
    assert workflow["reasonForIncompletion"] == (
        f"Task {task['taskId']}/a exceeded total timeout of 30 seconds (elapsed 30 seconds "
        "across all attempts). No further retries will be attempted."
    )


def test_total_timeout_applies_the_policy_to_a_pending_task(engine, worker, clock):
    """Mirrors DeciderService.checkTotalTimeout: a task still waiting when the total runs out
    is timed out under its timeoutPolicy."""
    engine.register_task_defs([{"name": "a", "totalTimeoutSeconds": 20}])
    workflow_id = start(engine, sequence("wf", "a"))
    clock.advance_seconds(20)
    workflow = engine.get_workflow(workflow_id)
    assert workflow["status"] == "TIMED_OUT"
    assert workflow["reasonForIncompletion"].startswith("Task a/")
    assert "exceeded total timeout of 20 seconds" in workflow["reasonForIncompletion"]


def test_backoff_jitter_adds_at_most_its_milliseconds(engine, worker, clock):
    """Mirrors DeciderService.retry: a random 0..backoffJitterMs on top of the delay."""
    engine.register_task_defs(
        [{"name": "a", "retryCount": 1, "retryDelaySeconds": 1, "backoffJitterMs": 500}]
    )
    start(engine, sequence("wf", "a"))
    worker.update(worker.take("a"), "FAILED")
    clock.advance(999)
    assert worker.poll("a") is None
    clock.advance(501)
    assert worker.take("a")["retryCount"] == 1


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        (
            {
                "name": "a",
                "timeoutSeconds": 60,
                "responseTimeoutSeconds": 10,
                "totalTimeoutSeconds": 30,
            },
            "TaskDef: a timeoutSeconds: 60 must be less than or equal to totalTimeoutSeconds: 30",
        ),
        (
            {"name": "a", "timeoutSeconds": 60, "responseTimeoutSeconds": 120},
            "TaskDef: a responseTimeoutSeconds: 120 must be less than timeoutSeconds: 60",
        ),
        (
            {"name": "a", "isolationGroupId": "g1"},
            "not supported by the fake server: isolationGroupId",
        ),
        (
            {"name": "a", "executionNameSpace": "ns"},
            "not supported by the fake server: executionNameSpace",
        ),
    ],
)
def test_task_definition_refusals(engine, definition, message):
    """Mirrors TaskTimeoutConstraint; the rest is the fake's honest boundary."""
    with pytest.raises(BadRequestError) as raised:
        engine.register_task_defs([definition])
    assert message in str(raised.value.errors[0].message)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"schemaVersion": 1}, "workflowDef schemaVersion: 1 is only supported"),
        (
            {"rateLimitConfig": {"concurrentExecLimit": 1}},
            "not supported by the fake server: rateLimitConfig",
        ),
        ({"outputParameters": {"x": "${a.output.l[?(@ nin [1])]}"}}, "filter operator 'nin'"),
    ],
)
def test_workflow_definition_refusals(engine, fields, message):
    """Mirrors WorkflowDef's @Min/@Max on schemaVersion; the rest is the honest boundary."""
    with pytest.raises(BadRequestError) as raised:
        engine.register_workflow_def({**sequence("wf", "a"), **fields})
    assert message in raised.value.errors[0].message


def test_an_unsupported_expression_in_a_task_input_is_named(engine):
    """The fake's honest boundary for ParametersUtils (Jayway JsonPath): an expression Conductor
    would evaluate and the fake cannot is refused at registration."""
    definition = {
        "name": "wf",
        "tasks": [
            {
                "name": "a",
                "taskReferenceName": "a",
                "inputParameters": {"x": "${workflow.input['p','q']}"},
            }
        ],
    }
    with pytest.raises(BadRequestError) as raised:
        engine.register_workflow_def(definition)
    error = raised.value.errors[0]
    assert error.path == "workflowDef.tasks[0].inputParameters"
    assert error.message == (
        "not supported by the fake server: ${workflow.input['p','q']} uses several names in one []"
    )


def test_what_official_clients_always_send_is_accepted(engine, worker):
    """Mirrors WorkflowDef's and TaskDef's defaults, as MetadataServiceImpl accepts them. The
    defaults the official SDKs send with every definition change nothing."""
    definition = {
        **sequence("wf", "a"),
        "timeoutSeconds": 0,
        "inputTemplate": {},
        "variables": {},
        "workflowStatusListenerEnabled": False,
        "enforceSchema": False,
        "outputParameters": {},
        "schemaVersion": 2,
        "restartable": True,
        "inputParameters": [],
        "failureWorkflow": "",
        "maskedFields": [],
    }
    workflow_id = start(engine, definition)
    worker.update(worker.take("a"), "COMPLETED")
    assert statuses(engine, workflow_id) == [("a", "COMPLETED")]


def test_variables_of_the_definition_start_the_workflow(engine, worker):
    """Mirrors WorkflowExecutorOps.startWorkflow: variables come from the definition."""
    definition = {
        "name": "wf",
        "variables": {"limit": 5},
        "tasks": [
            {
                "name": "a",
                "taskReferenceName": "a",
                "inputParameters": {"l": "${workflow.variables.limit}"},
            }
        ],
    }
    start(engine, definition)
    assert worker.take("a")["inputData"] == {"l": 5}


def test_start_request_fields_that_would_change_behaviour(engine):
    """The fake's honest boundary for StartWorkflowRequest: an idempotencyKey
    (WorkflowExecutorOps.startWorkflowIdempotent) is refused, not ignored."""
    engine.upsert_workflow_defs([sequence("wf", "a")])
    with pytest.raises(BadRequestError, match="not supported by the fake server: idempotencyKey"):
        engine.start_workflow({"name": "wf", "idempotencyKey": "k-1"})
    with pytest.raises(BadRequestError, match="not supported by the fake server: idempotencyKey"):
        engine.start_workflow(
            {"name": "wf", "idempotencyKey": "k-1", "idempotencyStrategy": "RETURN_EXISTING"}
        )


def test_an_idempotency_strategy_without_a_key_is_accepted(engine):
    # conductor-python's StartWorkflowRequest sends idempotencyStrategy FAIL even without a key.
    """Mirrors StartWorkflowRequest: an idempotencyStrategy without an idempotencyKey changes
    nothing."""
    engine.upsert_workflow_defs([sequence("wf", "a")])
    workflow_id = engine.start_workflow({"name": "wf", "idempotencyStrategy": "FAIL"})
    assert engine.get_workflow(workflow_id)["status"] == "RUNNING"


def test_task_definitions_are_fixed_when_the_workflow_starts(engine, worker):
    """Mirrors MetadataMapperService.populateTaskDefinitions: a workflow copies the task
    definitions of its tasks when it starts, so an update mid-run applies only to workflows
    started later, and to a restart with the latest definitions."""
    engine.register_task_defs([{"name": "a", "retryCount": 0}])
    running = start(engine, sequence("wf", "a"))
    engine.update_task_def({"name": "a", "retryCount": 1, "retryDelaySeconds": 0})
    worker.update(worker.take("a"), "FAILED")
    assert engine.get_workflow(running)["status"] == "FAILED"  # no retry: it started with 0
    later = engine.start_workflow({"name": "wf"})
    worker.update(worker.take("a"), "FAILED")
    assert statuses(engine, later) == [("a", "FAILED"), ("a", "SCHEDULED")]
    worker.update(worker.take("a"), "COMPLETED")
    engine.restart_workflow(running)
    worker.update(worker.take("a"), "FAILED")
    assert engine.get_workflow(running)["status"] == "FAILED"  # restarted on its own copy
    engine.restart_workflow(running, use_latest_definitions=True)
    worker.update(worker.take("a"), "FAILED")
    assert statuses(engine, running) == [("a", "FAILED"), ("a", "SCHEDULED")]


def test_the_started_definition_shows_each_task_definition(engine):
    """Mirrors MetadataMapperService.populateTaskDefinitions: the workflow's definition holds
    every task's definition (nested ones too), an ad-hoc one for a name with none registered;
    the registered workflow definition is not changed."""
    engine.register_task_defs([{"name": "a", "retryCount": 7}])
    loop = {
        "name": "loop",
        "taskReferenceName": "loop",
        "type": "DO_WHILE",
        "loopCondition": "false",
        "loopOver": [{"name": "b", "taskReferenceName": "b"}],
    }
    workflow_id = start(
        engine, {"name": "wf", "tasks": [{"name": "a", "taskReferenceName": "a"}, loop]}
    )
    carried = engine.get_workflow(workflow_id)["workflowDefinition"]["tasks"]
    assert carried[0]["taskDefinition"]["retryCount"] == 7
    assert carried[1]["taskDefinition"]["retryCount"] == 0  # DO_WHILE: not SIMPLE
    assert carried[1]["loopOver"][0]["taskDefinition"]["retryCount"] == 3  # Conductor's default
    assert "taskDefinition" not in engine.get_workflow_def("wf")["tasks"][0]
