"""Definitions, starting workflows, parameter expressions, outputs, optional tasks, timeouts."""

import pytest

from fake_server.engine.errors import BadRequestError, ConflictError, NotFoundError
from tests.unit.fake_server.helpers import Worker, sequence, start, statuses


def test_task_def_takes_conductor_defaults(engine):
    """Mirrors TaskDef's defaults."""
    engine.register_task_defs([{"name": "a"}])
    task_def = engine.get_task_def("a")
    assert task_def["retryCount"] == 3
    assert task_def["retryLogic"] == "FIXED"
    assert task_def["retryDelaySeconds"] == 60
    assert task_def["responseTimeoutSeconds"] == 3600
    assert task_def["timeoutSeconds"] == 0
    assert task_def["timeoutPolicy"] == "TIME_OUT_WF"
    assert "ownerEmail" not in task_def


def test_task_defs_upsert_and_update(engine):
    """Mirrors MetadataServiceImpl.registerTaskDef and updateTaskDef: registering again replaces
    a definition."""
    engine.register_task_defs([{"name": "a", "retryCount": 1, "description": "first"}])
    engine.register_task_defs([{"name": "a", "retryCount": 2}])
    assert engine.get_task_def("a")["retryCount"] == 2
    engine.update_task_def({"name": "a", "retryCount": 4, "ownerEmail": "me@example.com"})
    assert engine.get_task_def("a")["retryCount"] == 4
    assert engine.get_task_def("a")["ownerEmail"] == "me@example.com"
    assert [d["name"] for d in engine.list_task_defs()] == ["a"]
    with pytest.raises(NotFoundError, match="No such taskType found by name: b"):
        engine.update_task_def({"name": "b"})
    engine.delete_task_def("a")
    with pytest.raises(NotFoundError):
        engine.get_task_def("a")


@pytest.mark.parametrize(
    ("definition", "path", "words"),
    [
        ({}, "taskDefs[0].name", "required"),
        ({"name": ""}, "taskDefs[0].name", "blank"),
        ({"name": 3}, "taskDefs[0].name", "string"),
        (
            {"name": "a", "retryLogic": "RANDOM"},
            "taskDefs[0].retryLogic",
            "FIXED, LINEAR_BACKOFF, EXPONENTIAL_BACKOFF",
        ),
        (
            {"name": "a", "timeoutPolicy": "PANIC"},
            "taskDefs[0].timeoutPolicy",
            "RETRY, TIME_OUT_WF, ALERT_ONLY",
        ),
        ({"name": "a", "retryCount": -1}, "taskDefs[0].retryCount", ">= 0"),
        ({"name": "a", "retryCount": "3"}, "taskDefs[0].retryCount", "integer"),
        ({"name": "a", "retryCount": 1.5}, "taskDefs[0].retryCount", "integer"),
        ({"name": "a", "responseTimeoutSeconds": 0}, "taskDefs[0].responseTimeoutSeconds", ">= 1"),
        (
            {"name": "a", "timeoutSeconds": 10, "responseTimeoutSeconds": 20},
            "taskDefs[0].responseTimeoutSeconds",
            "timeoutSeconds",
        ),
        ("a", "taskDefs[0]", "object"),
    ],
)
def test_bad_task_defs_name_the_field(engine, definition, path, words):
    """Mirrors TaskDef's constraints (@Min, @NotEmpty) and its enums as Jackson reads them."""
    with pytest.raises(BadRequestError) as raised:
        engine.register_task_defs([definition])
    assert raised.value.errors[0].path == path
    assert words in raised.value.message
    assert engine.list_task_defs() == []


def test_task_defs_must_be_a_list(engine):
    """Mirrors MetadataResource.registerTaskDef, which reads a List of TaskDef."""
    with pytest.raises(BadRequestError, match="taskDefs: must be a JSON list"):
        engine.register_task_defs({"name": "a"})


def test_workflow_defs_versions(engine):
    """Mirrors MetadataServiceImpl.registerWorkflowDef (ConflictException for an existing
    version) and getWorkflowDef (the latest by default)."""
    engine.register_workflow_def(sequence("wf", "a"))
    engine.register_workflow_def({**sequence("wf", "b"), "version": 2})
    with pytest.raises(ConflictError, match="wf.2 already exists"):
        engine.register_workflow_def({**sequence("wf", "c"), "version": 2})
    assert engine.get_workflow_def("wf")["version"] == 2  # latest by default
    assert engine.get_workflow_def("wf", 1)["tasks"][0]["name"] == "a"
    engine.upsert_workflow_defs([{**sequence("wf", "c"), "version": 2}])
    assert engine.get_workflow_def("wf", 2)["tasks"][0]["name"] == "c"
    with pytest.raises(NotFoundError, match="No such workflow found by name: wf, version: 3"):
        engine.get_workflow_def("wf", 3)
    assert sorted(d["version"] for d in engine.list_workflow_defs()) == [1, 2]
    engine.delete_workflow_def("wf", 1)
    with pytest.raises(NotFoundError):
        engine.get_workflow_def("wf", 1)


def test_workflow_def_defaults(engine):
    """Mirrors WorkflowDef's and WorkflowTask's defaults."""
    engine.register_workflow_def(sequence("wf", "a"))
    definition = engine.get_workflow_def("wf")
    assert definition["version"] == 1
    assert definition["schemaVersion"] == 2
    assert definition["tasks"][0]["type"] == "SIMPLE"
    assert definition["tasks"][0]["optional"] is False


@pytest.mark.parametrize(
    ("definition", "path"),
    [
        ({"tasks": [{"name": "a", "taskReferenceName": "a"}]}, "workflowDef.name"),
        ({"name": "wf"}, "workflowDef.tasks"),
        ({"name": "wf", "tasks": []}, "workflowDef.tasks"),
        ({"name": "wf", "tasks": [{"taskReferenceName": "a"}]}, "workflowDef.tasks[0].name"),
        ({"name": "wf", "tasks": [{"name": "a"}]}, "workflowDef.tasks[0].taskReferenceName"),
        (
            {"name": "wf", "tasks": [{"name": "a", "taskReferenceName": "a", "type": "HTTP"}]},
            "workflowDef.tasks[0].type",
        ),
        ({**sequence("wf", "a", "a")}, "workflowDef.tasks[1].taskReferenceName"),
        ({**sequence("wf", "a"), "version": "one"}, "workflowDef.version"),
        ({**sequence("wf", "a"), "timeoutPolicy": "RETRY"}, "workflowDef.timeoutPolicy"),
        ({**sequence("wf", "a"), "outputParameters": []}, "workflowDef.outputParameters"),
    ],
)
def test_bad_workflow_defs_name_the_field(engine, definition, path):
    """Mirrors WorkflowDef's constraints (WorkflowTaskTypeConstraint and the others)."""
    with pytest.raises(BadRequestError) as raised:
        engine.register_workflow_def(definition)
    assert raised.value.errors[0].path == path


def test_start_queues_the_first_task_before_returning(engine, clock):
    """Mirrors WorkflowExecutorOps.startWorkflow: the workflow is created and decided before the
    id is answered."""
    workflow_id = start(engine, sequence("wf", "a", "b"), input={"x": 1}, correlationId="c-1")
    workflow = engine.get_workflow(workflow_id)
    assert workflow["status"] == "RUNNING"
    assert workflow["workflowName"] == "wf"
    assert workflow["workflowVersion"] == 1
    assert workflow["input"] == {"x": 1}
    assert workflow["correlationId"] == "c-1"
    assert workflow["createTime"] == workflow["startTime"] == clock.now_ms()
    assert statuses(engine, workflow_id) == [("a", "SCHEDULED")]
    assert engine.queue_sizes(["a"]) == {"a": 1}
    assert "tasks" not in engine.get_workflow(workflow_id, include_tasks=False)


def test_start_picks_the_version(engine, worker):
    """Mirrors MetadataMapperService.lookupForWorkflowDefinition: the version asked for, else
    the latest."""
    engine.register_workflow_def(sequence("wf", "a"))
    engine.register_workflow_def({**sequence("wf", "b"), "version": 2})
    engine.start_workflow({"name": "wf", "version": 1})
    engine.start_workflow_by_name("wf", {"k": "v"})
    assert engine.queue_sizes(["a", "b"]) == {"a": 1, "b": 1}
    assert worker.take("b")["workflowType"] == "wf"


def test_start_with_an_inline_definition(engine, worker):
    """Mirrors StartWorkflowRequest.workflowDef: an inline definition is run as given."""
    workflow_id = engine.start_workflow({"name": "ignored", "workflowDef": sequence("inline", "x")})
    assert engine.get_workflow(workflow_id)["workflowName"] == "inline"
    assert worker.take("x")["workflowInstanceId"] == workflow_id


def test_start_errors(engine):
    """Mirrors StartWorkflowRequest's constraints and WorkflowExecutorOps.startWorkflow's
    NotFoundException."""
    with pytest.raises(NotFoundError, match="No such workflow defined. name=nope"):
        engine.start_workflow({"name": "nope"})
    with pytest.raises(BadRequestError, match="StartWorkflowRequest.name"):
        engine.start_workflow({"input": {}})
    engine.register_workflow_def(sequence("wf", "a"))
    with pytest.raises(BadRequestError, match="StartWorkflowRequest.priority"):
        engine.start_workflow({"name": "wf", "priority": 100})
    with pytest.raises(BadRequestError, match="StartWorkflowRequest.input"):
        engine.start_workflow({"name": "wf", "input": [1]})
    with pytest.raises(BadRequestError, match="taskToDomain.a"):
        engine.start_workflow({"name": "wf", "taskToDomain": {"a": 1}})
    with pytest.raises(NotFoundError, match="No such workflow found by id: zzz"):
        engine.get_workflow("zzz")


def test_inputs_flow_through_expressions(engine, worker):
    """Mirrors ParametersUtils.getTaskInput: ${...} expressions over the workflow and earlier
    tasks."""
    definition = {
        "name": "wf",
        "tasks": [
            {
                "name": "a",
                "taskReferenceName": "first",
                "inputParameters": {
                    "name": "${workflow.input.name}",
                    "id": "${workflow.workflowId}",
                    "greeting": "Hello ${workflow.input.name}",
                    "literal": "$${x}",
                    "item": "${workflow.input.items[1]}",
                },
            },
            {
                "name": "b",
                "taskReferenceName": "second",
                "inputParameters": {
                    "sum": "${first.output.sum}",
                    "seen": "${first.input.name}",
                    "corr": "${workflow.correlationId}",
                    "missing": "${first.output.no}",
                },
            },
        ],
    }
    workflow_id = start(
        engine, definition, input={"name": "Ada", "items": [1, 2]}, correlationId="c"
    )
    first = worker.take("a")
    assert first["inputData"] == {
        "name": "Ada",
        "id": workflow_id,
        "greeting": "Hello Ada",
        "literal": "${x}",
        "item": 2,
    }
    worker.update(first, "COMPLETED", outputData={"sum": 42})
    second = worker.take("b")
    assert second["inputData"] == {"sum": 42, "seen": "Ada", "corr": "c", "missing": None}


def test_paths_over_the_whole_context_see_each_task_once_by_its_latest_attempt(engine, worker):
    """Mirrors ParametersUtils: a path over the whole context sees each task once, by its latest
    attempt. (A definition's own inputParameters may not start a path with ``$``: see
    test_references.py; a task definition's inputTemplate may.)"""
    inputs = {
        "names": "${$.keys()}",
        "statuses": "${$.*.status}",
        "retries": "${$..retryCount}",
        "b": "${b.retryCount}",
    }
    engine.register_task_defs(
        [
            {"name": "b", "retryCount": 1, "retryDelaySeconds": 0},
            {"name": "c", "inputTemplate": inputs},
        ]
    )
    start(engine, sequence("wf", "a", "b", "c"))
    worker.update(worker.take("a"), "COMPLETED")
    worker.update(worker.take("b"), "FAILED")
    worker.update(worker.take("b"), "COMPLETED")
    assert worker.take("c")["inputData"] == {
        "names": ["a", "b", "workflow"],
        "statuses": ["COMPLETED", "COMPLETED", "RUNNING"],
        "retries": [0, 1],
        "b": 1,
    }


def test_input_template_fills_what_is_missing(engine, worker):
    """Mirrors ParametersUtils.getTaskInput: the task definition's inputTemplate fills the keys
    the input lacks."""
    engine.register_task_defs([{"name": "a", "inputTemplate": {"region": "eu", "size": 1}}])
    definition = {
        "name": "wf",
        "tasks": [
            {
                "name": "a",
                "taskReferenceName": "a",
                "inputParameters": {"size": "${workflow.input.size}", "x": 1},
            }
        ],
    }
    start(engine, definition, input={"size": 7})
    assert worker.take("a")["inputData"] == {"size": 7, "x": 1, "region": "eu"}


def test_output_parameters_make_the_workflow_output(engine, worker):
    """Mirrors DeciderService.updateWorkflowOutput: outputParameters evaluated by
    ParametersUtils."""
    definition = {
        **sequence("wf", "a", "b"),
        "outputParameters": {
            "total": "${b.output.total}",
            "from_a": "${a.output.v}",
            "text": "total=${b.output.total}",
        },
    }
    workflow_id = start(engine, definition)
    worker.update(worker.take("a"), "COMPLETED", outputData={"v": "x"})
    worker.update(worker.take("b"), "COMPLETED", outputData={"total": 9})
    workflow = engine.get_workflow(workflow_id)
    assert workflow["status"] == "COMPLETED"
    assert workflow["output"] == {"total": 9, "from_a": "x", "text": "total=9"}
    assert workflow["endTime"] > 0


def test_without_output_parameters_the_output_is_the_last_task_output(engine, worker):
    """Mirrors DeciderService.updateWorkflowOutput: without outputParameters, the last task's
    output."""
    workflow_id = start(engine, sequence("wf", "a", "b"))
    worker.update(worker.take("a"), "COMPLETED", outputData={"v": 1})
    worker.update(worker.take("b"), "COMPLETED", outputData={"w": 2})
    assert engine.get_workflow(workflow_id)["output"] == {"w": 2}


def test_an_optional_task_that_fails_lets_the_workflow_go_on(engine, worker):
    """Mirrors DeciderService: a failed optional task ends COMPLETED_WITH_ERRORS and the
    workflow goes on."""
    engine.register_task_defs([{"name": "a", "retryCount": 0}])
    definition = {
        "name": "wf",
        "tasks": [
            {"name": "a", "taskReferenceName": "a", "optional": True},
            {"name": "b", "taskReferenceName": "b"},
        ],
    }
    workflow_id = start(engine, definition)
    worker.update(worker.take("a"), "FAILED", reasonForIncompletion="meh")
    assert statuses(engine, workflow_id) == [("a", "COMPLETED_WITH_ERRORS"), ("b", "SCHEDULED")]
    worker.update(worker.take("b"), "COMPLETED")
    assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"


def test_an_optional_task_is_still_retried_first(engine, worker):
    """Mirrors DeciderService.retry: an optional task is retried before it is given up on."""
    engine.register_task_defs([{"name": "a", "retryCount": 1, "retryDelaySeconds": 0}])
    definition = {
        "name": "wf",
        "tasks": [{"name": "a", "taskReferenceName": "a", "optional": True}],
    }
    workflow_id = start(engine, definition)
    worker.update(worker.take("a"), "FAILED")
    worker.update(worker.take("a"), "FAILED_WITH_TERMINAL_ERROR")
    assert statuses(engine, workflow_id) == [("a", "FAILED"), ("a", "COMPLETED_WITH_ERRORS")]
    assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"


def test_start_delay_holds_the_task_back(engine, clock, worker):
    """Mirrors SimpleTaskMapper (startDelay) and WorkflowExecutorOps.addTaskToQueue: the task is
    queued with that delay."""
    definition = {"name": "wf", "tasks": [{"name": "a", "taskReferenceName": "a", "startDelay": 5}]}
    start(engine, definition)
    assert worker.poll("a") is None
    clock.advance_seconds(5)
    assert worker.take("a")["startDelayInSeconds"] == 5


def test_workflow_timeout_times_the_workflow_out(engine, clock, worker):
    """Mirrors DeciderService.checkWorkflowTimeout with TIME_OUT_WF."""
    definition = {**sequence("wf", "a", "b"), "timeoutSeconds": 30, "timeoutPolicy": "TIME_OUT_WF"}
    workflow_id = start(engine, definition)
    task = worker.take("a")
    clock.advance_seconds(29)
    assert engine.get_workflow(workflow_id)["status"] == "RUNNING"
    clock.advance_seconds(1)
    workflow = engine.get_workflow(workflow_id)
    assert workflow["status"] == "TIMED_OUT"
    assert workflow["reasonForIncompletion"] == (
        "Workflow timed out after 30 seconds. Timeout configured as 30 seconds. "
        "Timeout policy configured to TIME_OUT_WF"
    )
    assert engine.get_task(task["taskId"])["status"] == "CANCELED"
    worker.update(task, "COMPLETED")  # too late: nothing moves
    assert statuses(engine, workflow_id) == [("a", "CANCELED")]


@pytest.mark.parametrize("policy", ["ALERT_ONLY", None])
def test_workflow_timeout_alert_only_keeps_it_running(engine, clock, worker, caplog, policy):
    """Mirrors DeciderService.checkWorkflowTimeout; WorkflowDef's timeoutPolicy defaults to
    ALERT_ONLY."""
    definition = {**sequence("wf", "a"), "timeoutSeconds": 10}
    if policy:
        definition["timeoutPolicy"] = policy
    workflow_id = start(engine, definition)
    clock.advance_seconds(11)
    assert engine.get_workflow(workflow_id)["status"] == "RUNNING"
    assert "Workflow timed out after 11 seconds" in caplog.text
    worker.update(worker.take("a"), "COMPLETED")
    assert engine.get_workflow(workflow_id)["status"] == "COMPLETED"


def test_terminate(engine, worker):
    """Mirrors WorkflowExecutorOps.terminateWorkflow: open tasks are canceled and leave their
    queues."""
    workflow_id = start(engine, sequence("wf", "a"))
    engine.terminate_workflow(workflow_id)
    assert engine.get_workflow(workflow_id)["status"] == "TERMINATED"
    assert engine.queue_sizes(["a"]) == {"a": 0}
    assert worker.poll("a") is None


def test_priority_and_correlation_reach_the_task(engine):
    """Mirrors TaskMapperContext.createTaskModel: the task carries the workflow's priority and
    correlation id."""
    start(engine, sequence("wf", "a"), priority=7, correlationId="c-9")
    task = Worker(engine).take("a")
    assert (task["workflowPriority"], task["correlationId"]) == (7, "c-9")


def test_workflow_priority_orders_the_queue(engine, worker, clock):
    """Mirrors the database QueueDAOs: among ready tasks, a higher workflow priority goes
    first; a task not yet due waits whatever its priority."""
    low = start(engine, sequence("wf", "a"), priority=1)
    high = start(engine, sequence("wf", "a"), priority=50)
    late = start(
        engine,
        {"name": "delayed", "tasks": [{"name": "a", "taskReferenceName": "a", "startDelay": 5}]},
        priority=99,
    )
    assert [worker.take("a")["workflowInstanceId"] for _ in range(2)] == [high, low]
    assert worker.poll("a") is None
    clock.advance_seconds(5)
    assert worker.take("a")["workflowInstanceId"] == late
