"""The wire models' JSON: camelCase keys, plain JSON values, nothing lost on a round trip."""

import json

from conductor.client.http.models.task import Task
from conductor.client.http.models.task_exec_log import TaskExecLog
from conductor.client.http.models.task_result import TaskResult
from conductor.client.http.models.task_result_status import TaskResultStatus


def test_result_json_has_camel_case_keys_plain_values_and_no_empty_fields() -> None:
    result = TaskResult(
        task_id="t-1",
        workflow_instance_id="w-1",
        status=TaskResultStatus.FAILED,
        output_data={"n": 1},
        logs=[TaskExecLog(log="line")],  # no created_time, as in 2.0.0: none is sent
    )
    result.log("stamped")  # the lines the SDK adds carry their time

    body = result.to_json()
    log = body["logs"][0]

    assert isinstance(body["logs"][1].pop("createdTime"), int)
    assert body["logs"].pop() == {"log": "stamped", "taskId": "t-1"}
    assert body == {
        "taskId": "t-1",
        "workflowInstanceId": "w-1",
        "status": "FAILED",
        "outputData": {"n": 1},
        "logs": [{"log": "line", "taskId": "t-1"}],
    }
    # Plain JSON types, not the enum or the log model: what any JSON library can write.
    assert type(body["status"]) is str
    assert type(log) is dict


def test_task_round_trip_keeps_known_and_unknown_fields() -> None:
    wire = {
        "taskId": "t-1",
        "taskType": "greet",
        "inputData": {"name": "Ada"},
        "retryCount": 2,
        "callbackFromWorker": True,
        "aFieldOfTomorrow": 7,  # a field the model does not name
    }

    task = Task.from_json(json.loads(json.dumps(wire)))

    assert (task.task_id, task.input_data, task.retry_count) == ("t-1", {"name": "Ada"}, 2)
    assert task.extra == {"aFieldOfTomorrow": 7}
    assert task.to_json() == wire
