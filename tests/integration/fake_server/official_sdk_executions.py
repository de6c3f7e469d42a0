# mypy: ignore-errors
# (mypy reads this project's SDK under the name ``conductor``; this file runs only with
# conductor-python 2.0.0, whose workflow DSL and executor this project's SDK does not have.)
"""What conductor-python 2.0.0's own integration test of workflow execution
(tests/integration/workflow/test_workflow_execution.py at v2.0.0) does against Conductor OSS,
written here against its public API and run by its venv's python against the fake server at
``CONDUCTOR_SERVER_URL`` (test_official_executions.py).

Each step's outcome is printed as one JSON line ``{"step": ...}``; nothing here asserts. Its
signal scenarios run on WAIT tasks nested in sub-workflows: 2.0.0's test data blocks on YIELD,
an Orkes task type that Conductor OSS does not have (OSS signals its WAIT tasks).
"""

import json
import os
import sys
import time
from typing import Any

from conductor.client.automator.task_handler import TaskHandler
from conductor.client.configuration.configuration import Configuration
from conductor.client.http.api.metadata_resource_api import MetadataResourceApi
from conductor.client.http.api_client import ApiClient
from conductor.client.http.models.start_workflow_request import StartWorkflowRequest
from conductor.client.http.models.task_def import TaskDef
from conductor.client.http.models.task_result import TaskResult
from conductor.client.http.models.task_result_status import TaskResultStatus
from conductor.client.http.models.workflow_def import WorkflowDef
from conductor.client.http.models.workflow_task import WorkflowTask
from conductor.client.orkes.orkes_metadata_client import OrkesMetadataClient
from conductor.client.worker.worker import Worker
from conductor.client.workflow.conductor_workflow import ConductorWorkflow
from conductor.client.workflow.executor.workflow_executor import WorkflowExecutor
from conductor.client.workflow.task.do_while_task import LoopTask
from conductor.client.workflow.task.fork_task import ForkTask
from conductor.client.workflow.task.http_task import HttpInput, HttpTask
from conductor.client.workflow.task.join_task import JoinTask
from conductor.client.workflow.task.json_jq_task import JsonJQTask
from conductor.client.workflow.task.set_variable_task import SetVariableTask
from conductor.client.workflow.task.simple_task import SimpleTask
from conductor.client.workflow.task.sub_workflow_task import InlineSubWorkflowTask, SubWorkflowTask
from conductor.client.workflow.task.switch_task import SwitchTask
from conductor.client.workflow.task.terminate_task import TerminateTask, WorkflowStatus

TASK = "oe_task"
WORKFLOW = "oe_workflow"
STRATEGIES = ("TARGET_WORKFLOW", "BLOCKING_WORKFLOW", "BLOCKING_TASK", "BLOCKING_TASK_INPUT")


def report(step: str, **facts: Any) -> None:
    print(json.dumps({"step": step, **facts}, default=str), flush=True)


def work(task) -> TaskResult:
    result = TaskResult(task_id=task.task_id, workflow_instance_id=task.workflow_instance_id)
    result.status = TaskResultStatus.COMPLETED
    result.output_data = {"echo": task.input_data.get("x")}
    return result


def wait_terminal(executor: WorkflowExecutor, workflow_id: str, deadline_s: float = 60) -> Any:
    give_up = time.monotonic() + deadline_s
    while True:
        workflow = executor.get_workflow(workflow_id, include_tasks=True)
        if workflow.status not in ("RUNNING", "PAUSED") or time.monotonic() > give_up:
            return workflow
        time.sleep(0.05)


def simple_workflow(executor: WorkflowExecutor) -> ConductorWorkflow:
    workflow = ConductorWorkflow(executor=executor, name=WORKFLOW, version=1)
    workflow.owner_email("test@example.com")
    task = SimpleTask(task_def_name=TASK, task_reference_name=TASK)
    task.input_parameters.update({"x": "${workflow.input.x}"})
    workflow.add(task)
    return workflow


def async_request(configuration: Configuration) -> None:
    """client/test_async.py: a generated API call made with ``async_req=True``."""
    metadata = MetadataResourceApi(ApiClient(configuration))
    metadata.register_task_def(body=[TaskDef(name="oe_async_task")])
    thread = metadata.get_task_def(async_req=True, tasktype="oe_async_task")
    thread.wait()
    report("async_req", name=thread.get().name)


def definition_registration(executor: WorkflowExecutor) -> None:
    """metadata/test_workflow_definition.py: a definition using most task types (a fork of
    loops around a javascript switch, an inline sub-workflow, HTTP, JQ, a registered
    sub-workflow) is registered, started with a correlation id, and terminated."""
    remote = os.environ["FS_REMOTE_URL"]

    def simple(i: int) -> SimpleTask:
        return SimpleTask(task_def_name=TASK, task_reference_name=f"{TASK}_{i}")

    def http(ref: str) -> HttpTask:
        return HttpTask(ref, HttpInput(uri=remote))

    switch = (
        SwitchTask(
            task_ref_name="fact_length",
            case_expression="$.number < 15 ? 'LONG':'LONG'",
            use_javascript=True,
        )
        .input(key="number", value="${workflow.input.number}")
        .switch_case(case_name="LONG", tasks=[simple(1), simple(2)])
        .default_case(
            tasks=[
                TerminateTask(
                    task_ref_name="too_short",
                    status=WorkflowStatus.FAILED,
                    termination_reason="value too short",
                )
            ]
        )
    )
    inline = InlineSubWorkflowTask(
        task_ref_name="sub_flow_inline",
        workflow=ConductorWorkflow(executor=executor, name="oe_inline_child").add(task=simple(0)),
    )
    fork = ForkTask(
        task_ref_name="forked",
        forked_tasks=[
            [
                LoopTask(task_ref_name="loop", iterations=2, tasks=switch),
                LoopTask(task_ref_name="loop_multiple", iterations=1, tasks=[simple(13)]),
                inline,
            ],
            [simple(3), simple(4)],
        ],
    )
    child = ConductorWorkflow(executor=executor, name="oe_population", version=1234)
    child.add(SetVariableTask(task_ref_name="set_state").input(key="call_made", value=True))
    child.register(True)
    workflow = (
        ConductorWorkflow(executor=executor, name="oe_workflow_as_code", version=1234)
        .add(http("http_task_0"))
        .add(simple(12))
        .add(SetVariableTask(task_ref_name="set_state").input(key="call_made", value=True))
        .add(fork)
        .add(JoinTask(task_ref_name="join_forked", join_on=fork.to_workflow_task().join_on))
    )
    (
        workflow
        >> SubWorkflowTask(task_ref_name="sub_workflow", workflow_name="oe_population")
        >> (
            JsonJQTask(task_ref_name="jq", script="{ key3: (.key1.value1 + .key2.value2) }")
            .input(key="value1", value=["a", "b"])
            .input(key="value2", value=["d", "e"])
        )
    )
    workflow >> [http("http_task_1"), http("http_task_2")]
    workflow >> [
        [http("http_task_31"), http("http_task_32")],
        [http("http_task_41"), http("http_task_42")],
    ]
    workflow.register(True)
    workflow_id = executor.start_workflow(
        start_workflow_request=StartWorkflowRequest(
            name="oe_workflow_as_code", correlation_id="kitchensink_test"
        )
    )
    executor.terminate(workflow_id=workflow_id, reason="End test")
    ended = executor.get_workflow(workflow_id, include_tasks=True)
    stored = executor.metadata_client.get("oe_workflow_as_code", version=1234)
    report(
        "definition_registration",
        status=ended.status,
        reason=ended.reason_for_incompletion,
        correlation_id=ended.correlation_id,
        task_types=[t.type for t in stored.tasks],
    )


def schemas_and_partial_inline_definitions(configuration: Configuration) -> None:
    """metadata/test_task_metadata_service.py: definitions with JSON schemas and enforceSchema
    are stored and read back; a workflow task's inline taskDefinition may lack a name."""
    metadata = OrkesMetadataClient(configuration)
    schema = {"name": "oe_schema", "type": "JSON", "data": {"type": "object"}}
    metadata.register_task_def(
        task_def=TaskDef(
            name="oe_schema_task", input_schema=schema, output_schema=schema, enforce_schema=True
        )
    )
    with_schema = metadata.get_task_def(task_type="oe_schema_task")
    metadata.register_task_def(task_def=TaskDef(name="oe_plain_task"))
    plain = metadata.get_task_def(task_type="oe_plain_task")
    inline = WorkflowDef(
        name="oe_no_schema",
        tasks=[
            WorkflowTask(name="test", task_reference_name="test_ref", task_definition=TaskDef())
        ],
    )
    metadata.register_workflow_def(workflow_def=inline)
    with_inline = metadata.get_workflow_def(name="oe_no_schema")
    bare = WorkflowDef(
        name="oe_no_schema", tasks=[WorkflowTask(name="test", task_reference_name="test_ref")]
    )
    metadata.register_workflow_def(workflow_def=bare)
    without_inline = metadata.get_workflow_def(name="oe_no_schema")
    report(
        "schemas",
        schema_name=with_schema.input_schema.name,
        schema_type=with_schema.output_schema.type,
        enforce=with_schema.enforce_schema,
        plain=[plain.input_schema, plain.output_schema, plain.enforce_schema],
        inline_definition=[
            with_inline.tasks[0].task_definition.input_schema,
            with_inline.tasks[0].task_definition.enforce_schema,
        ],
        without_inline=without_inline.tasks[0].task_definition,
    )


def registration(executor: WorkflowExecutor) -> None:
    """scenario_workflow_registration: unregister (a 404 is fine), register twice."""
    workflow = simple_workflow(executor)
    try:
        executor.metadata_client.unregister_workflow_def_with_http_info(WORKFLOW, 1)
        unregistered = "removed"
    except Exception as error:  # noqa: BLE001 (the scenario tolerates a 404 only)
        unregistered = "404" if "404" in str(error) else repr(error)
    workflow.register(overwrite=True)
    executor.register_workflow(workflow.to_workflow_def(), overwrite=True)
    definition = executor.metadata_client.get(WORKFLOW)
    report("registration", unregistered=unregistered, tasks=[t.name for t in definition.tasks])


def batch_execution(executor: WorkflowExecutor) -> None:
    """scenario_workflow_execution: start six, each completes."""
    requests = [StartWorkflowRequest(name=WORKFLOW, input={"x": i}) for i in range(6)]
    ids = executor.start_workflows(*requests)
    statuses = [wait_terminal(executor, workflow_id).status for workflow_id in ids]
    report("start_workflows", statuses=statuses)


def correlation_ids(executor: WorkflowExecutor) -> None:
    """scenario_get_workflow_by_correlation_ids: one lookup for many correlation ids."""
    started = executor.start_workflow(StartWorkflowRequest(name=WORKFLOW, correlation_id="2"))
    wait_terminal(executor, started)
    found = executor.get_by_correlation_ids(
        workflow_name=WORKFLOW, correlation_ids=["2", "5", "33"], include_closed=True
    )
    report(
        "get_by_correlation_ids",
        found={k: [w.workflow_id for w in v] for k, v in found.items()},
        started=started,
    )


def execute_with_return_strategy(executor: WorkflowExecutor) -> None:
    """scenario_execute_workflow_async_features and _error_handling."""
    variants = {
        "default": {},
        "durable_blocking_workflow": {
            "consistency": "DURABLE",
            "return_strategy": "BLOCKING_WORKFLOW",
        },
        "synchronous_blocking_task_input": {
            "consistency": "SYNCHRONOUS",
            "return_strategy": "BLOCKING_TASK_INPUT",
        },
        "none_none": {"consistency": None, "return_strategy": None},
    }
    for name, options in variants.items():
        request = StartWorkflowRequest(name=WORKFLOW, version=1, input={"x": name})
        run = executor.execute_workflow_with_return_strategy(
            request=request, wait_until_task_ref=TASK, wait_for_seconds=30, **options
        )
        final = wait_terminal(executor, run.workflow_id)
        report(
            f"execute_{name}",
            response_type=run.response_type,
            task_type=run.task_type,
            input=run.input,
            final_status=final.status,
        )
    run = executor.execute(
        name=WORKFLOW,
        version=1,
        workflow_input={"x": "execute"},
        wait_until_task_ref=TASK,
        wait_for_seconds=30,
    )
    report("execute", status=run.status, output=run.output)


def register_nested_waits(executor: WorkflowExecutor) -> None:
    """The signal scenarios' workflows: a parent whose sub-workflow waits, then has a
    sub-workflow that waits (WAIT: the task Conductor OSS signals)."""

    def definition(name: str, tasks: list) -> WorkflowDef:
        return WorkflowDef(name=name, version=1, tasks=tasks, timeout_seconds=0, schema_version=2)

    def wait(ref: str) -> dict:
        return {"name": "wait", "taskReferenceName": ref, "type": "WAIT"}

    def sub(ref: str, child: str) -> dict:
        return {
            "name": "sub",
            "taskReferenceName": ref,
            "type": "SUB_WORKFLOW",
            "subWorkflowParam": {"name": child, "version": 1},
        }

    executor.register_workflow(definition("oe_signal_grandchild", [wait("inner_wait")]), True)
    executor.register_workflow(
        definition(
            "oe_signal_child", [wait("child_wait"), sub("grandchild", "oe_signal_grandchild")]
        ),
        True,
    )
    executor.register_workflow(
        definition("oe_signal_parent", [sub("child", "oe_signal_child")]), True
    )


def start_nested(executor: WorkflowExecutor) -> str:
    workflow_id = executor.start_workflow(StartWorkflowRequest(name="oe_signal_parent", version=1))
    # wait until the child's WAIT is open (the sub-workflow starts with the parent here)
    give_up = time.monotonic() + 10
    while time.monotonic() < give_up:
        tasks = executor.get_workflow(workflow_id, include_tasks=True).tasks or []
        if tasks and tasks[0].sub_workflow_id:
            break
        time.sleep(0.05)
    return workflow_id


def complete_nested(executor: WorkflowExecutor, workflow_id: str) -> str:
    """_complete_workflow: two async signals end the two remaining waits."""
    executor.signal_async(workflow_id=workflow_id, status="COMPLETED", body={"result": "signal1"})
    executor.signal_async(workflow_id=workflow_id, status="COMPLETED", body={"result": "signal2"})
    return wait_terminal(executor, workflow_id).status


def signals(executor: WorkflowExecutor) -> None:
    """run_signal_tests: a sync signal per return strategy (and the default), async signals."""
    register_nested_waits(executor)
    for strategy in (*STRATEGIES, None):
        workflow_id = start_nested(executor)
        options = {"return_strategy": strategy} if strategy else {}
        response = executor.signal(
            workflow_id=workflow_id, status="COMPLETED", body={"result": strategy}, **options
        )
        as_dict = response.to_dict()
        workflow = (
            response.get_workflow()
            if response.is_target_workflow() or response.is_blocking_workflow()
            else None
        )
        task = (
            response.get_blocking_task()
            if response.is_blocking_task() or response.is_blocking_task_input()
            else None
        )
        report(
            f"signal_{strategy or 'default'}",
            workflow_id=workflow_id,
            response_type=response.response_type,
            target_workflow_id=response.target_workflow_id,
            workflow_id_in_response=(workflow or {}).get("workflowId"),
            task_ref=(task or {}).get("referenceTaskName"),
            task_input=response.get_task_input() if response.is_blocking_task_input() else None,
            dict_types={
                key: type(as_dict.get(key)).__name__
                for key in ("responseType", "taskId", "targetWorkflowId")
            },
            final_status=complete_nested(executor, workflow_id),
        )
    workflow_id = start_nested(executor)
    result = executor.signal_async(
        workflow_id=workflow_id, status="COMPLETED", body={"result": "async"}
    )
    report("signal_async", result=result, final_status=complete_nested(executor, workflow_id))


def main() -> None:
    configuration = Configuration()
    executor = WorkflowExecutor(configuration=configuration)
    handler = TaskHandler(
        workers=[Worker(task_definition_name=TASK, execute_function=work, poll_interval=20)],
        configuration=configuration,
        scan_for_annotated_workers=False,
    )
    handler.start_processes()
    try:
        async_request(configuration)
        schemas_and_partial_inline_definitions(configuration)
        definition_registration(executor)
        registration(executor)
        batch_execution(executor)
        correlation_ids(executor)
        execute_with_return_strategy(executor)
        signals(executor)
    finally:
        handler.stop_processes()


if __name__ == "__main__":
    main()
    sys.exit(0)
