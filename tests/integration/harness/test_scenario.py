"""Scenario facts observed on the server: the domain and polling interval each worker really
used (configuration precedence seen from outside), and who executed what."""

from __future__ import annotations

import pytest

from conductor.client.worker.worker import Worker
from harness.scenario import observe_polling, task_facts, workflow_facts
from harness.workers import run_workers


def echo(task_input: dict) -> dict:
    return dict(task_input)


WORKER_INI = """\
[prec_ini]
domain = from_ini
polling_interval = 40

[prec_env]
domain = from_ini
polling_interval = 600
"""


@pytest.mark.conductor_server(long_poll=False)
def test_precedence_is_seen_in_how_each_worker_polls(conductor_server, tmp_path, monkeypatch):
    (tmp_path / "worker.ini").write_text(WORKER_INI)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("conductor_worker_prec_env_domain", "from_env")
    monkeypatch.setenv("CONDUCTOR_WORKER_PREC_ENV_POLLING_INTERVAL", "40")
    workers = [
        Worker("prec_arg", echo, poll_interval=600, domain="from_arg", worker_id="arg"),
        Worker("prec_ini", echo, poll_interval=600, domain="from_arg", worker_id="ini"),
        Worker("prec_env", echo, poll_interval=600, domain="from_arg", worker_id="env"),
    ]

    with run_workers(workers, conductor_server.url):
        seen = observe_polling(conductor_server.admin, ["arg", "ini", "env"], min_polls=3)

    assert seen["arg"].queues == ("from_arg:prec_arg",)
    assert seen["ini"].queues == ("from_ini:prec_ini",)
    assert seen["env"].queues == ("from_env:prec_env",)
    assert seen["arg"].domains == {"from_arg"}
    # 600 ms from the argument; 40 ms from worker.ini and from the environment
    assert seen["arg"].interval_ms >= 550
    assert seen["ini"].interval_ms < seen["arg"].interval_ms / 2
    assert seen["env"].interval_ms < seen["arg"].interval_ms / 2


def test_facts_count_tasks_per_worker_and_domain(conductor_server):
    admin = conductor_server.admin
    admin.register_workflow(
        {
            "name": "facts_flow",
            "tasks": [
                {"name": "facts_a", "taskReferenceName": "a"},
                {"name": "facts_b", "taskReferenceName": "b", "inputParameters": {"x": 1}},
            ],
        }
    )
    workers = [
        Worker("facts_a", echo, worker_id="alpha"),
        Worker("facts_b", echo, worker_id="beta", domain="blue"),
    ]
    with run_workers(workers, conductor_server.url):
        ids = [
            admin.start_workflow("facts_flow", {"n": n}, task_to_domain={"facts_b": "blue"})
            for n in range(4)
        ]
        for workflow_id in ids:
            admin.wait_for_workflow(workflow_id, timeout=30)

    facts = workflow_facts(admin, ids)

    assert facts.statuses() == {"COMPLETED": 4}
    assert {outcome.output.get("x") for outcome in facts.workflows.values()} == {1}
    assert facts.tasks_per_worker == {"alpha": 4, "beta": 4}
    assert facts.tasks_per_domain == {None: 4, "blue": 4}
    assert facts.tasks_executed == 8 and facts.throughput > 0
    assert task_facts(admin).tasks_per_worker == facts.tasks_per_worker
