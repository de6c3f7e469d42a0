"""What a workflow author does with conductor-python's metadata and workflow clients, run by the
official package in its own venv (test_official_clients.py) against the server at argv[1].

Each step's outcome is written to stdout as one JSON object ``{"step": ..., ...}``, which the
test asserts; a step the server refuses records the client's error (status and body) instead of
stopping the run. Nothing here asserts: the test does.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from conductor.client.configuration.configuration import Configuration
from conductor.client.http.models.start_workflow_request import StartWorkflowRequest
from conductor.client.http.models.task_def import TaskDef
from conductor.client.http.models.workflow_test_request import WorkflowTestRequest
from conductor.client.http.rest import ApiException
from conductor.client.orkes.orkes_metadata_client import OrkesMetadataClient
from conductor.client.orkes.orkes_workflow_client import OrkesWorkflowClient
from conductor.client.workflow.conductor_workflow import ConductorWorkflow
from conductor.client.workflow.executor.workflow_executor import WorkflowExecutor
from conductor.client.workflow.task.http_task import HttpTask
from conductor.client.workflow.task.simple_task import SimpleTask
from conductor.client.workflow.task.sub_workflow_task import SubWorkflowTask
from conductor.client.workflow.task.switch_task import SwitchTask

configuration = Configuration(server_api_url=sys.argv[1])
metadata = OrkesMetadataClient(configuration)
workflows = OrkesWorkflowClient(configuration)
executor = WorkflowExecutor(configuration)


def report(step: str, **facts: Any) -> None:
    print(json.dumps({"step": step, **facts}, default=str), flush=True)


def attempt(step: str, call: Callable[[], Any], describe: Callable[[Any], dict[str, Any]]) -> Any:
    """Run one client call; report what it returned (``describe``) or how the server refused."""
    try:
        answer = call()
    except ApiException as error:
        report(step, error={"status": error.status, "body": str(error.body)[:500]})
        return None
    report(step, **describe(answer))
    return answer


def summary(workflow: Any) -> dict[str, Any]:
    """What an author reads of a Workflow model."""
    return {
        "workflow_id": workflow.workflow_id,
        "status": workflow.status,
        "version": workflow.workflow_version,
        "reason": workflow.reason_for_incompletion,
        "correlation_id": workflow.correlation_id,
        "output": workflow.output,
        "tasks": [
            {
                "ref": task.reference_task_name,
                "type": task.task_type,
                "status": task.status,
                "retry_count": task.retry_count,
                "output": task.output_data,
                "sub_workflow_id": task.sub_workflow_id,
            }
            for task in workflow.tasks or []
        ],
    }


def status_of(workflow_id: str) -> dict[str, Any]:
    return summary(workflows.get_workflow(workflow_id, include_tasks=True))


# -- task definitions: register, update, read back ---------------------------------------------
def reserve_def(retry_count: int) -> TaskDef:
    return TaskDef(
        name="oc_reserve",
        retry_count=retry_count,
        retry_logic="FIXED",
        retry_delay_seconds=30,
        timeout_seconds=600,
        response_timeout_seconds=60,
        owner_email="author@example.com",
    )


def task_def_facts(task_def: TaskDef) -> dict[str, Any]:
    return {"name": task_def.name, "retry_count": task_def.retry_count}


attempt("register_task_def", lambda: metadata.register_task_def(reserve_def(1)), lambda _: {})
attempt("update_task_def", lambda: metadata.update_task_def(reserve_def(2)), lambda _: {})
attempt("get_task_def", lambda: metadata.get_task_def("oc_reserve"), task_def_facts)
attempt(
    "get_all_task_defs",
    metadata.get_all_task_defs,
    lambda defs: {"names": sorted(d.name for d in defs)},
)

# -- workflow definitions, built with the SDK's own builder -------------------------------------
payment = ConductorWorkflow(executor=executor, name="oc_payment", version=1)
payment >> SimpleTask("oc_charge", "charge")
payment.output_parameters({"receipt": "${charge.output.receipt}"})

route = SwitchTask("route", "${workflow.input.speed}")
route.switch_case("express", [SimpleTask("oc_courier", "courier")])
route.default_case([SimpleTask("oc_post", "post")])
order = ConductorWorkflow(executor=executor, name="oc_order", version=1)
order >> SimpleTask("oc_reserve", "reserve") >> SubWorkflowTask("pay", "oc_payment", 1) >> route
order.output_parameters({"receipt": "${pay.output.receipt}", "eta": "${courier.output.eta}"})

attempt("register_payment", lambda: payment.register(overwrite=True), lambda _: {})
attempt("register_order", lambda: order.register(overwrite=True), lambda _: {})
attempt(
    "register_order_again_without_overwrite",
    lambda: metadata.register_workflow_def(order.to_workflow_def(), overwrite=False),
    lambda _: {},
)
attempt(
    "register_order_again_with_overwrite",
    lambda: metadata.register_workflow_def(order.to_workflow_def(), overwrite=True),
    lambda _: {},
)
second = order.to_workflow_def()
second.version = 2
second.description = "the order, second version"
attempt("update_workflow_def", lambda: metadata.update_workflow_def(second), lambda _: {})


def workflow_def_facts(definition: Any) -> dict[str, Any]:
    return {
        "name": definition.name,
        "version": definition.version,
        "description": definition.description,
        "task_refs": [task.task_reference_name for task in definition.tasks],
    }


attempt(
    "get_latest_workflow_def", lambda: metadata.get_workflow_def("oc_order"), workflow_def_facts
)
attempt(
    "get_workflow_def_version_1",
    lambda: metadata.get_workflow_def("oc_order", version=1),
    workflow_def_facts,
)
attempt(
    "get_all_workflow_defs",
    metadata.get_all_workflow_defs,
    lambda defs: {"names": sorted({d.name for d in defs})},
)

# -- running workflows: start, read, pause, resume, terminate, retry, restart, search ----------
request = StartWorkflowRequest(
    name="oc_order", version=1, input={"speed": "express"}, correlation_id="oc-1"
)
started = attempt("start_workflow", lambda: workflows.start_workflow(request), lambda i: {"id": i})
by_name = attempt(
    "start_workflow_by_name",
    lambda: workflows.start_workflow_by_name("oc_order", {"speed": "standard"}, version=2),
    lambda i: {"id": i},
)
if started and by_name:
    attempt("get_workflow", lambda: started, lambda _: status_of(started))
    attempt("get_workflow_by_name", lambda: by_name, lambda _: status_of(by_name))
    attempt("pause", lambda: workflows.pause_workflow(started), lambda _: status_of(started))
    attempt("resume", lambda: workflows.resume_workflow(started), lambda _: status_of(started))
    attempt(
        "terminate",
        lambda: workflows.terminate_workflow(started, reason="cancelled by the customer"),
        lambda _: status_of(started),
    )
    attempt("retry", lambda: workflows.retry_workflow(started), lambda _: status_of(started))
    attempt(
        "terminate_again",
        lambda: workflows.terminate_workflow(started, reason="once more"),
        lambda _: status_of(started),
    )
    attempt("restart", lambda: workflows.restart_workflow(started), lambda _: status_of(started))
    attempt(
        "search",
        lambda: workflows.search(query="workflowType IN (oc_order) AND status IN (RUNNING)"),
        lambda result: {"ids": sorted(found.workflow_id for found in result.results)},
    )

# -- the test API: a registered workflow on mocks, and an inline definition --------------------
order_test = WorkflowTestRequest(
    name="oc_order",
    version=1,
    input={"speed": "express"},
    task_ref_to_mock_output={
        "reserve": [
            {"status": "FAILED", "output": {"error": "stock service timed out"}},
            {"status": "COMPLETED", "output": {"reservation": "R-1"}},
        ],
        "courier": [{"status": "COMPLETED", "output": {"eta": "2h"}}],
    },
    sub_workflow_test_request={
        "pay": WorkflowTestRequest(
            name="oc_payment",
            task_ref_to_mock_output={"charge": [{"output": {"receipt": "P-9"}}]},
        )
    },
)
attempt("test_workflow", lambda: workflows.test_workflow(order_test), summary)

draft = ConductorWorkflow(executor=executor, name="oc_draft", version=1)
draft >> HttpTask("lookup", {"uri": "http://127.0.0.1:9/unreachable", "method": "GET"})
draft >> SimpleTask("oc_notify", "notify")
draft_test = WorkflowTestRequest(
    name="oc_draft",
    version=1,
    workflow_def=draft.to_workflow_def(),
    task_ref_to_mock_output={
        "lookup": [{"status": "COMPLETED", "output": {"response": {"statusCode": 200}}}],
    },
)
attempt("test_workflow_stops_without_a_mock", lambda: workflows.test_workflow(draft_test), summary)
