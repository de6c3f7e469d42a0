"""Re-driving and finding workflows through ``AdminClient`` over a real socket: retry, restart,
rerun, pause and resume, skip, terminate with a reason, remove, search. A TaskClient plays the
worker."""

from __future__ import annotations

import pytest

from conductor.client.configuration.configuration import Configuration
from conductor.client.http.models import TaskResult, TaskResultStatus
from conductor.client.http.task_client import TaskClient
from harness.admin import AdminError

ORDER = {
    "name": "order",
    "tasks": [
        {"name": "reserve", "taskReferenceName": "reserve"},
        {"name": "charge", "taskReferenceName": "charge"},
    ],
}


@pytest.fixture
def worker(conductor_server):
    client = TaskClient(Configuration(server_api_url=conductor_server.url))
    yield client
    client.close()


@pytest.fixture
def admin(conductor_server):
    admin = conductor_server.admin
    admin.register_task_defs([{"name": "reserve", "retryCount": 0}, {"name": "charge"}])
    admin.register_workflow(ORDER)
    return admin


def finish(worker: TaskClient, task_type: str, status: str = "COMPLETED", **output) -> str:
    task = worker.poll(task_type, worker_id="w1")
    assert task is not None, f"no {task_type} task to take"
    result = TaskResult(
        task_id=task.task_id,
        workflow_instance_id=task.workflow_instance_id,
        worker_id="w1",
        status=TaskResultStatus(status),
    )
    for key, value in output.items():
        result.add_output_data(key, value)
    worker.update(result)
    return str(task.task_id)


def statuses(admin, workflow_id):
    return [(t["referenceTaskName"], t["status"]) for t in admin.get_workflow(workflow_id)["tasks"]]


def test_retry_restart_and_rerun(admin, worker):
    workflow_id = admin.start_workflow("order", {"item": "book"})
    reserve_id = finish(worker, "reserve", "FAILED")
    assert admin.get_workflow(workflow_id)["status"] == "FAILED"

    admin.retry_workflow(workflow_id)
    assert statuses(admin, workflow_id) == [("reserve", "FAILED"), ("reserve", "SCHEDULED")]
    finish(worker, "reserve")
    admin.terminate_workflow(workflow_id, "changed my mind")
    ended = admin.get_workflow(workflow_id)
    assert (ended["status"], ended["reasonForIncompletion"]) == ("TERMINATED", "changed my mind")

    admin.restart_workflow(workflow_id, use_latest_definitions=True)
    assert statuses(admin, workflow_id) == [("reserve", "SCHEDULED")]
    finish(worker, "reserve")
    finish(worker, "charge")
    assert admin.get_workflow(workflow_id)["status"] == "COMPLETED"

    first_reserve = admin.get_workflow(workflow_id)["tasks"][0]["taskId"]
    assert first_reserve != reserve_id  # the restart began afresh
    rerun = admin.rerun_workflow(
        workflow_id, from_task_id=first_reserve, workflow_input={"item": "pen"}
    )
    assert rerun == workflow_id
    rerun_workflow = admin.get_workflow(workflow_id)
    assert rerun_workflow["input"] == {"item": "pen"}
    assert rerun_workflow["status"] == "RUNNING"


def test_pause_resume_and_skip(admin, worker):
    workflow_id = admin.start_workflow("order")
    admin.pause_workflow(workflow_id)
    assert admin.get_workflow(workflow_id)["status"] == "PAUSED"
    admin.resume_workflow(workflow_id)
    admin.skip_task(workflow_id, "charge", task_output={"skipped": "yes", "n": 1})
    finish(worker, "reserve")
    workflow = admin.get_workflow(workflow_id)
    assert workflow["status"] == "COMPLETED"
    assert workflow["tasks"][1]["status"] == "SKIPPED"
    assert workflow["tasks"][1]["outputData"] == {"skipped": "yes", "n": "1"}  # text, as sent


def test_remove_and_search(admin, worker):
    kept = admin.start_workflow("order", correlation_id="kept")
    gone = admin.start_workflow("order", correlation_id="gone")
    with pytest.raises(AdminError) as refused:
        admin.remove_workflow(gone)  # archived by default: it must have ended
    assert refused.value.status == 400 and "Cannot archive workflow" in refused.value.body
    admin.terminate_workflow(gone)
    admin.remove_workflow(gone, archive=False)
    with pytest.raises(AdminError) as missing:
        admin.get_workflow(gone)
    assert missing.value.status == 404

    found = admin.search_workflows("workflowType = order AND status IN (RUNNING, PAUSED)")
    assert [w["workflowId"] for w in found["results"]] == [kept]
    assert admin.search_workflows(free_text="kept")["totalHits"] == 1
    with pytest.raises(AdminError) as refused:
        admin.search_workflows("status = RUNNING OR (priority > 1 AND status = FAILED)")
    assert "not supported by the fake server" in refused.value.body
