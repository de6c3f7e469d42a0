"""register_task_def: a worker registers its task definition through Conductor's metadata API
when it starts (here against the fake server on a real socket), with JSON schemas inside it
when register_schema is on."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import requests

from conductor.client.automator.task_runner import TaskRunner
from conductor.client.configuration.configuration import Configuration
from conductor.client.http.metadata_client import MetadataClient
from conductor.client.http.models import TaskDef
from conductor.client.worker.worker import Worker


@dataclasses.dataclass
class Order:
    order_id: int
    sku: str
    note: str | None = None


@dataclasses.dataclass
class Receipt:
    order_id: int
    total: float


def charge(order: Order, amount: float, currency: str = "EUR") -> Receipt:
    return Receipt(order.order_id, amount)


def registered(server, name: str) -> Any:
    answer = requests.get(f"{server.url}/metadata/taskdefs/{name}", timeout=10)
    return answer.json() if answer.status_code == 200 else None


def run_once(server, worker: Worker) -> None:
    """Starts the worker (which registers) and lets it drain an empty queue."""
    TaskRunner(worker, Configuration(server_api_url=server.url), long_poll_ms=0).run(burst=True)


def test_the_definition_is_registered_from_the_template_with_its_name(server) -> None:
    template = TaskDef(name="ignored", retry_count=5, timeout_policy="RETRY", owner_email="a@b.c")
    worker = Worker("reg_template", charge, register_task_def=True, task_def_template=template)
    run_once(server, worker)
    definition = registered(server, "reg_template")
    assert definition is not None
    assert (definition["retryCount"], definition["timeoutPolicy"]) == (5, "RETRY")
    assert "inputSchema" not in definition
    assert template.name == "ignored"  # the template itself is left as it was


def test_register_schema_puts_json_schemas_of_input_and_output_inside(server) -> None:
    run_once(server, Worker("reg_schema", charge, register_task_def=True, register_schema=True))
    definition = registered(server, "reg_schema")
    assert definition["inputSchema"]["name"] == "reg_schema_input"
    assert definition["inputSchema"]["type"] == "JSON"
    schema = definition["inputSchema"]["data"]
    assert schema["required"] == ["order", "amount"]
    assert schema["properties"]["amount"] == {"type": "number"}
    assert schema["properties"]["order"]["properties"]["note"] == {
        "anyOf": [{"type": "string"}, {"type": "null"}]
    }
    assert schema["additionalProperties"] is True
    output = definition["outputSchema"]["data"]
    assert output["properties"] == {"order_id": {"type": "integer"}, "total": {"type": "number"}}


def test_strict_schema_refuses_other_keys(server) -> None:
    worker = Worker(
        "reg_strict", charge, register_task_def=True, register_schema=True, strict_schema=True
    )
    run_once(server, worker)
    assert registered(server, "reg_strict")["inputSchema"]["data"]["additionalProperties"] is False


def test_without_overwrite_an_existing_definition_is_kept(server, caplog) -> None:
    with MetadataClient(Configuration(server_api_url=server.url)) as metadata:
        metadata.register_task_def(TaskDef(name="reg_kept", retry_count=1))
        worker = Worker(
            "reg_kept",
            charge,
            register_task_def=True,
            overwrite_task_def=False,
            task_def_template=TaskDef(retry_count=9),
        )
        with caplog.at_level(logging.INFO, logger="conductor.client"):
            run_once(server, worker)
        kept = metadata.get_task_def("reg_kept")
        assert kept is not None and kept.retry_count == 1
        assert "exists already: kept as it is" in caplog.text
        worker.overwrite_task_def = True
        run_once(server, worker)
        overwritten = metadata.get_task_def("reg_kept")
        assert overwritten is not None and overwritten.retry_count == 9
        assert metadata.get_task_def("reg_never_registered") is None


def test_the_environment_can_switch_registration_on(server, monkeypatch) -> None:
    monkeypatch.setenv("conductor.worker.reg_env.register_task_def", "true")
    run_once(server, Worker("reg_env", charge))
    assert registered(server, "reg_env") is not None


def test_a_refused_registration_is_a_warning_and_the_worker_runs(server, caplog) -> None:
    template = TaskDef(response_timeout_seconds=100, timeout_seconds=10)  # refused: 100 > 10
    ids = server.enqueue("reg_refused", input={"order": {"order_id": 1, "sku": "x"}, "amount": 2})
    worker = Worker("reg_refused", charge, register_task_def=True, task_def_template=template)
    with caplog.at_level(logging.WARNING, logger="conductor.client"):
        run_once(server, worker)
    assert "Could not register the task definition of reg_refused" in caplog.text
    assert server.task(ids[0])["status"] == "COMPLETED"
