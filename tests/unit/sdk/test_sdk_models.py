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
