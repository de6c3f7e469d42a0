"""The models as conductor-python 2.0.0 code uses them; the wire keeps Conductor's JSON."""

import pytest

from conductor.client.http.models import (
    SchemaDef,
    SchemaType,
    Task,
    TaskDef,
    TaskExecLog,
    TaskResult,
    TaskResultStatus,
    WorkflowTask,
)


def test_status_given_as_text_becomes_the_enum_and_bad_ones_are_refused():
    result = TaskResult(status="COMPLETED")
    assert result.status is TaskResultStatus.COMPLETED
    result.status = "FAILED_WITH_TERMINAL_ERROR"
    assert result.status is TaskResultStatus.FAILED_WITH_TERMINAL_ERROR
    assert str(result.status) == "FAILED_WITH_TERMINAL_ERROR"
    with pytest.raises(ValueError, match="status='DONE' is not one of COMPLETED, FAILED"):
        TaskResult(status="DONE")


def test_to_dict_is_snake_case_with_every_field_and_to_json_is_the_wire():
    result = TaskResult("wf-1", "t-1", status="COMPLETED", output_data={"n": 1})
    result.log("line")
    snake = result.to_dict()
    assert snake["workflow_instance_id"] == "wf-1" and snake["task_id"] == "t-1"
    assert snake["reason_for_incompletion"] is None  # None kept, as 2.0.0's to_dict
    assert snake["extend_lease"] is False
    assert snake["logs"][0]["log"] == "line" and snake["logs"][0]["task_id"] == "t-1"
    wire = result.to_json()
    assert set(wire) == {"workflowInstanceId", "taskId", "status", "outputData", "logs"}
    assert wire["status"] == "COMPLETED" and type(wire["status"]) is str


def test_conductor_pythons_result_helpers():
    assert TaskResult.complete().status is TaskResultStatus.COMPLETED
    assert TaskResult.in_progress().status is TaskResultStatus.IN_PROGRESS
    failed = TaskResult.failed("no stock")
    assert (failed.status, failed.reason_for_incompletion) == (TaskResultStatus.FAILED, "no stock")
    assert TaskResult.new_task_result("FAILED").status is TaskResultStatus.FAILED
    chained = TaskResult(task_id="t").add_output_data("a", 1).log("x")
    assert chained.output_data == {"a": 1} and [entry.log for entry in chained.logs] == ["x"]
    assert TaskExecLog("line", "t", 123) == TaskExecLog(log="line", task_id="t", created_time=123)


def test_task_to_task_result():
    task = Task(task_id="t-1", workflow_instance_id="wf-1", worker_id="w-1")
    result = task.to_task_result()
    assert (result.task_id, result.workflow_instance_id, result.worker_id) == ("t-1", "wf-1", "w-1")
    assert result.status is TaskResultStatus.COMPLETED
    assert task.to_task_result("FAILED").status is TaskResultStatus.FAILED


def test_task_fields_are_in_conductor_pythons_order():
    task = Task("SIMPLE", "IN_PROGRESS", {"a": 1}, "ref", 2)
    assert (task.task_type, task.status, task.input_data) == ("SIMPLE", "IN_PROGRESS", {"a": 1})
    assert (task.reference_task_name, task.retry_count) == ("ref", 2)
    assert Task().input_data == {}
    assert Task.from_dict(task.to_dict()) == task  # snake_case keys are read too


def test_task_def_with_schemas_as_the_metadata_api_takes_it():
    schema = SchemaDef(name="s_input", type="JSON", data={"type": "object"})
    assert schema.type is SchemaType.JSON and schema.version == 1
    task_def = TaskDef(name="charge", retry_count=3, retry_logic="FIXED", input_schema=schema)
    assert task_def.to_json() == {
        "name": "charge",
        "retryCount": 3,
        "retryLogic": "FIXED",
        "inputSchema": {
            "name": "s_input",
            "version": 1,
            "type": "JSON",
            "data": {"type": "object"},
        },
        "enforceSchema": False,
    }
    back = TaskDef.from_json({**task_def.to_json(), "ownerApp": "x", "newField": 1})
    assert back.input_schema == schema and back.owner_app == "x"
    assert back.to_json()["newField"] == 1  # what the server sent is sent back
    with pytest.raises(ValueError, match="timeout_policy='SOMETIMES' is not one of"):
        TaskDef(name="x", timeout_policy="SOMETIMES")
    with pytest.raises(ValueError, match="type='XML' is not one of JSON, AVRO, PROTOBUF"):
        SchemaDef(name="x", type="XML")


WIRE_TASK = {
    "taskId": "t-1",
    "taskType": "greet",
    "status": "IN_PROGRESS",
    "inputData": {"name": "Ada"},
    "workflowTask": {
        "name": "greet",
        "taskReferenceName": "greet_ref",
        "type": "SIMPLE",
        "inputParameters": {"name": "${workflow.input.name}"},
        "taskDefinition": {"name": "greet", "retryCount": 2, "retryLogic": "FIXED"},
        "decisionCases": {"a": [{"name": "x", "taskReferenceName": "x_ref", "type": "SIMPLE"}]},
        "loopOver": [{"name": "y", "taskReferenceName": "y_ref"}],
        "asyncComplete": False,
    },
    "taskDefinition": {"name": "greet", "responseTimeoutSeconds": 30, "timeoutPolicy": "RETRY"},
}


def test_a_tasks_workflow_task_and_task_definition_are_models_with_snake_case_attributes():
    # 2.0.0's test_serdeser_task / test_bc_workflow_task: WorkflowTask and TaskDef objects
    task = Task.from_json(WIRE_TASK)
    assert isinstance(task.workflow_task, WorkflowTask)
    assert task.workflow_task.task_reference_name == "greet_ref"
    assert task.workflow_task.input_parameters == {"name": "${workflow.input.name}"}
    assert task.workflow_task.async_complete is False
    assert isinstance(task.workflow_task.task_definition, TaskDef)
    assert task.workflow_task.task_definition.retry_count == 2
    [case] = task.workflow_task.decision_cases["a"]
    assert (type(case), case.task_reference_name) == (WorkflowTask, "x_ref")
    assert task.workflow_task.loop_over[0].name == "y"
    assert isinstance(task.task_definition, TaskDef)
    assert task.task_definition.response_timeout_seconds == 30
    # unread, the JSON goes back as it came; read, TaskDef adds its enforceSchema default
    assert Task.from_json(WIRE_TASK).to_json() == WIRE_TASK
    sent = task.to_json()
    assert sent["taskDefinition"].pop("enforceSchema") is False
    assert sent["workflowTask"]["taskDefinition"].pop("enforceSchema") is False
    assert sent == WIRE_TASK


def test_a_task_built_from_snake_case_keywords_gets_the_models_too():
    task = Task(**Task.from_json(WIRE_TASK).to_dict())
    assert task.workflow_task.task_reference_name == "greet_ref"
    assert task.task_definition.timeout_policy == "RETRY"
    assert task.to_dict()["workflow_task"]["decision_cases"]["a"][0]["name"] == "x"


def test_enum_fields_are_checked_when_assigned():
    task = Task(status="SCHEDULED")
    with pytest.raises(ValueError, match=r"Task: status='DONE' is not one of IN_PROGRESS, "):
        task.status = "DONE"
    assert task.status == "SCHEDULED"
    with pytest.raises(ValueError, match="status='bogus'"):
        Task(status="bogus")
    definition = TaskDef(name="greet")
    with pytest.raises(ValueError, match=r"TaskDef: retry_logic='SOMETIMES' is not one of FIXED"):
        definition.retry_logic = "SOMETIMES"
    with pytest.raises(ValueError, match="timeout_policy='NEVER'"):
        definition.timeout_policy = "NEVER"
    definition.timeout_policy = "TIME_OUT_WF"
    assert definition.to_json()["timeoutPolicy"] == "TIME_OUT_WF"


def test_to_str_prints_the_snake_case_dict():
    text = Task(task_id="t-1", task_type="greet").to_str()
    assert "'task_id': 't-1'" in text and "'task_type': 'greet'" in text
    assert "'retry_logic': None" in TaskDef(name="x").to_str()


def test_task_exec_log_has_no_created_time_unless_given():
    # 2.0.0's test_bc_task_exec_log
    assert TaskExecLog().created_time is None
    assert TaskExecLog("line", "t-1").created_time is None
    assert TaskExecLog("line", "t-1", 1640995200).created_time == 1640995200
    assert TaskExecLog("line").to_json() == {"log": "line"}
