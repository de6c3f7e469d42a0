# mypy: ignore-errors
# (mypy reads this project's SDK under the name ``conductor``; this file runs only with
# conductor-python 2.0.0, whose @worker_task functions build workflow tasks when called with
# ``task_ref_name``.)
"""What conductor-python 2.0.0's quick-start and examples do, written here against its public
API and run by its own venv's python (test_official_quickstart.py) against the fake server.

Usage: python official_sdk_quickstart.py hello|dynamic|kitchensink|async_workers

As the examples do, the configuration comes from the environment (``CONDUCTOR_SERVER_URL``),
workers are ``@worker_task`` functions found by the TaskHandler's scan, and the workflow runs
through the synchronous execute endpoint (``WorkflowExecutor.execute`` and
``ConductorWorkflow.execute``). The run's outcome is printed as one JSON line; nothing here
asserts: the test does. ``FS_REMOTE_URL`` stands in for the public test API that the kitchen
sink's HTTP tasks call (the tests have no internet).
"""

# No ``from __future__ import annotations``: 2.0.0 converts a worker's inputs by its
# annotations, which must be types, as in its examples.
import json
import os
import sys
import time
from typing import Any

import requests

from conductor.client.automator.task_handler import TaskHandler
from conductor.client.configuration.configuration import Configuration
from conductor.client.http.models.start_workflow_request import StartWorkflowRequest
from conductor.client.http.models.workflow_def import WorkflowDef
from conductor.client.http.models.workflow_task import WorkflowTask
from conductor.client.orkes_clients import OrkesClients
from conductor.client.worker.worker_task import worker_task
from conductor.client.workflow.conductor_workflow import ConductorWorkflow
from conductor.client.workflow.executor.workflow_executor import WorkflowExecutor
from conductor.client.workflow.task.http_task import HttpTask
from conductor.client.workflow.task.javascript_task import JavascriptTask
from conductor.client.workflow.task.json_jq_task import JsonJQTask
from conductor.client.workflow.task.set_variable_task import SetVariableTask
from conductor.client.workflow.task.switch_task import SwitchTask
from conductor.client.workflow.task.terminate_task import TerminateTask, WorkflowStatus
from conductor.client.workflow.task.wait_task import WaitTask


@worker_task(task_definition_name="qs_greet")
def greet(name: str) -> str:
    return f"Hello, --> {name}"


@worker_task(task_definition_name="qs_user_email")
def user_email(userid: str) -> str:
    return f"{userid}@example.com"


@worker_task(task_definition_name="qs_send_email")
def send_email(email: str, subject: str, body: str) -> None:
    print(f"sending to {email}: {subject} / {body}", file=sys.stderr)


@worker_task(task_definition_name="qs_route")
def route(country: str) -> str:
    return f"routing the packages to {country}"


@worker_task(task_definition_name="qs_async_a", thread_count=3, register_task_def=True)
async def async_a(task_index: int = 0) -> dict:
    return {"worker": "qs_async_a", "task_index": task_index}


@worker_task(task_definition_name="qs_async_b", thread_count=3, register_task_def=True)
async def async_b(task_index: int = 0) -> dict:
    return {"worker": "qs_async_b", "task_index": task_index}


def hello(config: Configuration) -> Any:
    """The README's hello world: register a workflow, start the workers, execute it by name."""
    executor = WorkflowExecutor(configuration=config)
    workflow = ConductorWorkflow(name="qs_greetings", executor=executor)
    workflow.version = 1
    # No outputParameters: the output is the last task's (the README prints output["result"]).
    workflow >> greet(task_ref_name="greet_ref", name=workflow.input("name"))
    workflow.register(True)
    return executor.execute(
        name=workflow.name, version=workflow.version, workflow_input={"name": "World"}
    )


def dynamic(config: Configuration) -> Any:
    """dynamic_workflow.py: a workflow built in code and executed without registering it."""
    executor = OrkesClients(configuration=config).get_workflow_executor()
    workflow = ConductorWorkflow(name="qs_dynamic", version=1, executor=executor)
    get_email = user_email(task_ref_name="get_email_ref", userid=workflow.input("userid"))
    send = send_email(
        task_ref_name="send_email_ref",
        email=get_email.output("result"),
        subject="Hello",
        body="Test Email",
    )
    workflow >> get_email >> send
    workflow.output_parameters(output_parameters={"email": get_email.output("result")})
    return workflow.execute(workflow_input={"userid": "user_a"})


def kitchensink(config: Configuration) -> Any:
    """kitchensink.py: a script, a fork of an inline sub-workflow (HTTP, WAIT) and of HTTP and
    WAIT, JQ, a variable, and a switch on the country to a worker or a TERMINATE."""
    remote = os.environ["FS_REMOTE_URL"]
    executor = OrkesClients(configuration=config).get_workflow_executor()
    wf = ConductorWorkflow(name="qs_kitchensink", version=1, executor=executor)
    script = """
    function greetings() {
        return {"text": "hello " + $.name, "url": $.remote}
    }
    greetings();
    """
    js = JavascriptTask(
        task_ref_name="hello_script",
        script=script,
        bindings={"name": "${workflow.input.name}", "remote": remote},
    )
    js.input_parameter("evaluatorType", "javascript")
    http_call = HttpTask(task_ref_name="call_remote_api", http_input={"uri": remote})
    sub_workflow = ConductorWorkflow(name="qs_sub0", executor=executor)
    (
        sub_workflow
        >> HttpTask(task_ref_name="sub_call", http_input={"uri": sub_workflow.input("uri")})
        >> WaitTask(task_ref_name="sub_wait", wait_for_seconds=1)
    )
    sub_workflow.input_parameters({"uri": js.output("url")})
    wait = WaitTask(task_ref_name="wait_a_second", wait_for_seconds=1)
    jq = JsonJQTask(task_ref_name="jq_process", script="{ key3: (.key1.value1 + .key2.value2) }")
    jq.input_parameters.update({"key1": {"value1": ["a", "b"]}, "key2": {"value2": ["d", "e"]}})
    set_var = SetVariableTask(task_ref_name="set_wf_var_ref")
    set_var.input_parameters.update({"var1": "value1", "var2": 42, "var3": ["a", "b", "c"]})
    switch = SwitchTask(task_ref_name="decide", case_expression=wf.input("country"))
    switch.switch_case("US", route(task_ref_name="us_routing", country=wf.input("country")))
    switch.switch_case("CA", route(task_ref_name="ca_routing", country=wf.input("country")))
    switch.default_case(
        TerminateTask(
            task_ref_name="bad_country_ref",
            termination_reason="unsupported country",
            status=WorkflowStatus.TERMINATED,
        )
    )
    wf >> js >> [sub_workflow, [http_call, wait]] >> jq >> set_var >> switch
    wf.output_parameters({"greetings": js.output(), "jq": jq.output("result")})
    country = os.environ.get("FS_COUNTRY", "US")
    return wf.execute(workflow_input={"name": "Orkes", "country": country})


def async_workers(config: Configuration) -> Any:
    """2.0.0's tests/integration/test_v2_fallback_intg.py: async workers (three threads each)
    run five workflows of six tasks, updating through update-v2 (or the fallback)."""
    clients = OrkesClients(configuration=config)
    metadata, workflows = clients.get_metadata_client(), clients.get_workflow_client()
    tasks = [
        WorkflowTask(
            name=name, task_reference_name=f"{name}_{i}", input_parameters={"task_index": i}
        )
        for name in ("qs_async_a", "qs_async_b")
        for i in range(1, 4)
    ]
    definition = WorkflowDef(name="qs_async", version=1, tasks=tasks)
    metadata.update_workflow_def(definition, overwrite=True)
    ids = [
        workflows.start_workflow(StartWorkflowRequest(name="qs_async", version=1, input={"run": i}))
        for i in range(5)
    ]
    give_up = time.monotonic() + 60
    while True:
        runs = [workflows.get_workflow(workflow_id, include_tasks=True) for workflow_id in ids]
        if all(run.status != "RUNNING" for run in runs) or time.monotonic() > give_up:
            break
        time.sleep(0.1)
    return {"statuses": [run.status for run in runs]}


def describe(run: Any) -> dict[str, Any]:
    return {
        "workflow_id": run.workflow_id,
        "status": run.status,
        "output": run.output,
        "variables": run.variables,
        "tasks": [
            {"ref": task.reference_task_name, "type": task.task_type, "status": task.status}
            for task in run.tasks or []
        ],
    }


WORKER_TASKS = (
    "qs_greet",
    "qs_user_email",
    "qs_send_email",
    "qs_route",
    "qs_async_a",
    "qs_async_b",
)


def wait_for_workers(config: Configuration, deadline_s: float = 60) -> None:
    """Not in the examples: wait until every worker has polled (Conductor's poll data), so that
    a slow start of the worker processes on a loaded machine does not use up execute's wait."""
    give_up = time.monotonic() + deadline_s
    while True:
        polled = requests.get(f"{config.host}/tasks/queue/polldata/all", timeout=5).json()
        if set(WORKER_TASKS) <= {entry["queueName"] for entry in polled}:
            return
        if time.monotonic() > give_up:
            raise SystemExit(f"workers never polled: only {polled}")
        time.sleep(0.1)


def main(example: str) -> None:
    config = Configuration()  # CONDUCTOR_SERVER_URL, as the examples read it
    handler = TaskHandler(workers=[], configuration=config, scan_for_annotated_workers=True)
    handler.start_processes()
    try:
        wait_for_workers(config)
        examples = {
            "hello": hello,
            "dynamic": dynamic,
            "kitchensink": kitchensink,
            "async_workers": async_workers,
        }
        run = examples[example](config)
        outcome = run if isinstance(run, dict) else describe(run)
        print(json.dumps(outcome, default=str), flush=True)
    finally:
        handler.stop_processes()


if __name__ == "__main__":
    main(sys.argv[1])
