# mypy: ignore-errors
# (mypy reads this project's SDK under the name ``conductor``; this file runs only with
# conductor-python 2.0.0.)
"""What conductor-python 2.0.0's tests/integration/test_lease_extension.py does, at a smaller
time scale, run by its venv's python against the fake server at ``CONDUCTOR_SERVER_URL``
(test_official_leases.py): a task that runs past its responseTimeoutSeconds completes when
its worker extends the lease, and times out when it does not. Prints one JSON line.
"""

import json
import time

from conductor.client.automator.task_handler import TaskHandler
from conductor.client.configuration.configuration import Configuration
from conductor.client.http.models.start_workflow_request import StartWorkflowRequest
from conductor.client.http.models.task_def import TaskDef
from conductor.client.http.models.workflow_def import WorkflowDef
from conductor.client.http.models.workflow_task import WorkflowTask
from conductor.client.orkes.orkes_metadata_client import OrkesMetadataClient
from conductor.client.orkes.orkes_workflow_client import OrkesWorkflowClient
from conductor.client.worker.worker_task import worker_task

RESPONSE_TIMEOUT_SECONDS = 6  # heartbeats every 4.8 s, checked each second
TASK_SLEEP_SECONDS = 14  # past the response timeout: only heartbeats keep the lease
HOLD_SECONDS = 60  # far past every timeout: the server times it out first


def task_def(name: str) -> TaskDef:
    return TaskDef(
        name=name,
        response_timeout_seconds=RESPONSE_TIMEOUT_SECONDS,
        timeout_seconds=120,
        retry_count=0,
    )


@worker_task(
    task_definition_name="ol_heartbeat",
    lease_extend_enabled=True,
    register_task_def=True,
    task_def=task_def("ol_heartbeat"),
    overwrite_task_def=True,
)
def heartbeat_task(job_id: str) -> dict:
    time.sleep(TASK_SLEEP_SECONDS)
    return {"job_id": job_id, "slept": TASK_SLEEP_SECONDS}


@worker_task(
    task_definition_name="ol_silent",
    lease_extend_enabled=False,
    register_task_def=True,
    task_def=task_def("ol_silent"),
    overwrite_task_def=True,
)
def silent_task(job_id: str) -> dict:
    time.sleep(HOLD_SECONDS)
    return {"job_id": job_id}


def wait_until_registered(
    metadata: OrkesMetadataClient, names: tuple, deadline_s: float = 60
) -> None:
    """Not in 2.0.0's test (its server outlives a run): the workers register their task
    definitions as they start, and a task takes its definition when it is scheduled, so start
    the workflows once both are registered."""
    give_up = time.monotonic() + deadline_s
    while time.monotonic() < give_up:
        try:
            for name in names:
                metadata.get_task_def(name)
            return
        except Exception:  # noqa: BLE001 (404 until the worker has registered it)
            time.sleep(0.1)
    raise SystemExit(f"the workers never registered {names}")


def main() -> None:
    configuration = Configuration()
    metadata = OrkesMetadataClient(configuration)
    workflows = OrkesWorkflowClient(configuration)
    handler = TaskHandler(workers=[], configuration=configuration, scan_for_annotated_workers=True)
    handler.start_processes()
    try:
        wait_until_registered(metadata, ("ol_heartbeat", "ol_silent"))
        ids = {}
        for name in ("ol_heartbeat", "ol_silent"):
            task = WorkflowTask(
                name=name,
                task_reference_name=name,
                type="SIMPLE",
                input_parameters={"job_id": "${workflow.input.job_id}"},
            )
            metadata.register_workflow_def(
                WorkflowDef(name=f"{name}_wf", version=1, tasks=[task], timeout_seconds=0),
                overwrite=True,
            )
            ids[name] = workflows.start_workflow(
                StartWorkflowRequest(name=f"{name}_wf", version=1, input={"job_id": name})
            )
        outcome = {}
        give_up = time.monotonic() + 90
        while len(outcome) < len(ids) and time.monotonic() < give_up:
            for name, workflow_id in ids.items():
                workflow = workflows.get_workflow(workflow_id, include_tasks=True)
                if workflow.status not in ("RUNNING", "PAUSED") and name not in outcome:
                    outcome[name] = {
                        "status": workflow.status,
                        "tasks": [t.status for t in workflow.tasks],
                        "output": workflow.output,
                        "response_timeout": metadata.get_task_def(name).response_timeout_seconds,
                    }
            time.sleep(0.2)
        print(json.dumps(outcome), flush=True)
    finally:
        handler.stop_processes()


if __name__ == "__main__":
    main()
