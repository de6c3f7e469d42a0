# mypy: ignore-errors
# (mypy reads this project's SDK under the name ``conductor``; this file runs only with
# conductor-python 2.0.0.)
"""What conductor-python 2.0.0's tests/integration/test_comprehensive_e2e.py does against the
server, run by its venv's python against the fake server at ``CONDUCTOR_SERVER_URL``
(test_official_comprehensive.py): five kinds of worker (sync with a task log, async, a
dataclass input with a registered definition and schema, one answering TaskInProgress first,
one raising NonRetryableException) in one workflow. Prints one JSON line.
"""

import asyncio
import json
import time
from dataclasses import dataclass

from conductor.client.automator.task_handler import TaskHandler
from conductor.client.configuration.configuration import Configuration
from conductor.client.context import TaskInProgress, get_task_context
from conductor.client.http.models.start_workflow_request import StartWorkflowRequest
from conductor.client.http.models.task_def import TaskDef
from conductor.client.http.models.workflow_def import WorkflowDef
from conductor.client.http.models.workflow_task import WorkflowTask
from conductor.client.orkes.orkes_metadata_client import OrkesMetadataClient
from conductor.client.orkes.orkes_workflow_client import OrkesWorkflowClient
from conductor.client.worker.exception import NonRetryableException
from conductor.client.worker.worker_task import worker_task


@worker_task(task_definition_name="oc_sync_basic", thread_count=5, register_task_def=True)
def sync_basic(value: str, count: int) -> dict:
    get_task_context().add_log(f"Processing {value}")
    return {"value": value, "count": count, "worker": "sync"}


@worker_task(task_definition_name="oc_async_basic", thread_count=10, register_task_def=True)
async def async_basic(message: str) -> dict:
    await asyncio.sleep(0.1)
    return {"message": message, "worker": "async"}


@dataclass
class OrderData:
    id: str
    amount: float
    tags: list[str]


@worker_task(
    task_definition_name="oc_complex_schema",
    register_task_def=True,
    strict_schema=True,
    task_def=TaskDef(name="oc_complex_schema", retry_count=2, timeout_policy="RETRY"),
)
def complex_schema(data: OrderData, optional: str | None) -> dict:
    return {"id": data.id, "amount": data.amount, "tag_count": len(data.tags)}


@worker_task(task_definition_name="oc_in_progress")
def in_progress(job_id: str) -> dict | TaskInProgress:
    polls = get_task_context().get_poll_count()
    if polls < 1:
        return TaskInProgress(callback_after_seconds=1, output={"poll": polls})
    return {"job_id": job_id, "polls": polls}


@worker_task(task_definition_name="oc_failing")
def failing(should_fail: bool) -> dict:
    if should_fail:
        raise NonRetryableException("Test failure")
    return {"success": True}


WORKERS = ("oc_sync_basic", "oc_async_basic", "oc_complex_schema", "oc_in_progress", "oc_failing")


def wait_until_registered(metadata: OrkesMetadataClient, deadline_s: float = 60) -> None:
    """Not in 2.0.0's test (it sleeps 5 s): start the workflow once the workers that register
    their definitions have done so, on however loaded a machine."""
    give_up = time.monotonic() + deadline_s
    while time.monotonic() < give_up:
        try:
            for name in WORKERS[:3]:
                metadata.get_task_def(name)
            return
        except Exception:  # noqa: BLE001 (404 until registered)
            time.sleep(0.1)
    raise SystemExit("the workers never registered their task definitions")


def main() -> None:
    configuration = Configuration()
    metadata = OrkesMetadataClient(configuration)
    workflows = OrkesWorkflowClient(configuration)
    tasks = [
        WorkflowTask(
            name="oc_sync_basic",
            task_reference_name="sync_1",
            input_parameters={"value": "test", "count": 1},
        ),
        WorkflowTask(
            name="oc_async_basic",
            task_reference_name="async_1",
            input_parameters={"message": "hello"},
        ),
        WorkflowTask(
            name="oc_complex_schema",
            task_reference_name="complex_1",
            input_parameters={
                "data": {"id": "123", "amount": 99.99, "tags": ["a", "b"]},
                "optional": None,
            },
        ),
        WorkflowTask(
            name="oc_in_progress", task_reference_name="tip_1", input_parameters={"job_id": "JOB1"}
        ),
        WorkflowTask(
            name="oc_failing", task_reference_name="fail_1", input_parameters={"should_fail": True}
        ),
    ]
    workflow = WorkflowDef(name="oc_comprehensive", version=1)
    workflow._tasks = tasks
    metadata.register_workflow_def(workflow, overwrite=True)
    handler = TaskHandler(configuration=configuration, scan_for_annotated_workers=True)
    handler.start_processes()
    try:
        wait_until_registered(metadata)
        workflow_id = workflows.start_workflow(
            start_workflow_request=StartWorkflowRequest(
                name="oc_comprehensive", version=1, input={}
            )
        )
        give_up = time.monotonic() + 90
        while True:
            run = workflows.get_workflow(workflow_id, include_tasks=True)
            if run.status in ("COMPLETED", "FAILED") or time.monotonic() > give_up:
                break
            time.sleep(0.2)
        complex_def = metadata.get_task_def("oc_complex_schema")
        print(
            json.dumps(
                {
                    "status": run.status,
                    "tasks": {
                        t.reference_task_name: {
                            "status": t.status,
                            "output": t.output_data,
                            "reason": t.reason_for_incompletion,
                        }
                        for t in run.tasks
                    },
                    "complex_def": {
                        "retry_count": complex_def.retry_count,
                        "timeout_policy": complex_def.timeout_policy,
                        "input_schema": bool(complex_def.input_schema),
                    },
                },
                default=str,
            ),
            flush=True,
        )
    finally:
        handler.stop_processes()


if __name__ == "__main__":
    main()
