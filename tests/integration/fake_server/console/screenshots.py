"""Screenshots of every console page for the docs, from a server with real runs on it.

    .venv/bin/python tests/integration/fake_server/console/screenshots.py docs/console

Starts a fake server, runs the demo's order workflows with its workers, a workflow with a fork
and a sub-workflow, and one that is stuck (its worker polls a misspelt name), injects a fault,
then saves one PNG per page in headless Chromium.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from conductor.client.automator.task_handler import TaskHandler
from conductor.client.configuration.configuration import Configuration
from conductor.client.worker.exception import NonRetryableException
from conductor.client.worker.worker import Worker
from harness.demo import workers as demo_workers
from harness.demo.definitions import TASK_DEFS, TASK_TO_DOMAIN, WORKFLOW_DEF, WORKFLOW_NAME
from harness.server import ServerHandle
from harness.waiting import wait_until

FULFILMENT: dict[str, Any] = {
    "name": "fulfil_order",
    "version": 1,
    "description": "pick and pack in parallel, then ship in a sub-workflow",
    "inputParameters": ["orderId"],
    "tasks": [
        {
            "name": "fork",
            "taskReferenceName": "prepare",
            "type": "FORK_JOIN",
            "forkTasks": [
                [{"name": "pick_items", "taskReferenceName": "pick"}],
                [
                    {"name": "pack_box", "taskReferenceName": "pack"},
                    {"name": "print_label", "taskReferenceName": "label"},
                ],
            ],
        },
        {
            "name": "join",
            "taskReferenceName": "prepared",
            "type": "JOIN",
            "joinOn": ["pick", "label"],
        },
        {
            "name": "shipping",
            "taskReferenceName": "ship",
            "type": "SUB_WORKFLOW",
            "subWorkflowParam": {"name": "ship_parcel", "version": 1},
        },
    ],
}
SHIPPING = {
    "name": "ship_parcel",
    "version": 1,
    "tasks": [
        {"name": "book_courier", "taskReferenceName": "book"},
        {"name": "hand_over", "taskReferenceName": "hand_over"},
    ],
}
TRACKING: dict[str, Any] = {
    "name": "track_parcel",
    "version": 1,
    "description": "route by speed, poll the carrier twice, then tell the customer",
    "inputParameters": ["speed"],
    "tasks": [
        {
            "name": "route",
            "taskReferenceName": "route",
            "type": "SWITCH",
            "evaluatorType": "value-param",
            "expression": "speed",
            "inputParameters": {"speed": "${workflow.input.speed}"},
            "decisionCases": {
                "express": [{"name": "courier_pickup", "taskReferenceName": "pickup"}]
            },
            "defaultCase": [{"name": "post_office", "taskReferenceName": "post"}],
        },
        {
            "name": "track",
            "taskReferenceName": "track",
            "type": "DO_WHILE",
            "loopCondition": "$.track['iteration'] < 2",
            "loopOver": [{"name": "ping_carrier", "taskReferenceName": "ping"}],
        },
        {"name": "notify_customer", "taskReferenceName": "notify"},
    ],
}
PAGES = {
    "overview": "/",
    "workflows": "/workflows",
    "workflow": "/workflows/{fulfilment}",
    "workflow-demo": "/workflows/{order}",
    "workflow-failed": "/workflows/{failed}",
    "queues": "/queues",
    "workers": "/workers",
    "task-definitions": "/definitions/tasks",
    "workflow-definitions": "/definitions/workflows",
    "workflow-definition": "/definitions/workflows/fulfil_order/1",
    "start": "/start?name=fulfil_order",
    "diagnosis": "/diagnosis",
    "faults": "/faults",
}


def done(task_input: dict) -> dict:
    return {"done": True}


def bounce(task_input: dict) -> dict:
    raise NonRetryableException("customer e-mail bounced: no such mailbox")


def prepare_server(server: ServerHandle) -> dict[str, str]:
    """Runs workflows on ``server``; returns the ids the pages show."""
    admin = server.admin
    admin.register_task_defs(TASK_DEFS)
    admin.register_workflow(WORKFLOW_DEF)
    admin.register_workflow(SHIPPING)
    admin.register_workflow(FULFILMENT)
    admin.register_workflow(TRACKING)
    workers = [
        *demo_workers.demo_workers(),
        *(Worker(name, done, worker_id="warehouse") for name in ("pick_items", "pack_box")),
        Worker("print_label", done, worker_id="warehouse"),
        Worker("book_courier", done, worker_id="courier-desk"),
        Worker("hand_ovre", done, worker_id="courier-desk"),  # misspelt: the run gets stuck
        *(Worker(name, done, worker_id="carrier") for name in ("courier_pickup", "ping_carrier")),
        Worker("notify_customer", bounce, worker_id="mailer"),  # fails: the run fails
    ]
    handler = TaskHandler(
        workers, Configuration(server_api_url=server.url), import_modules=[demo_workers.__name__]
    )
    with handler:
        handler.start_processes()
        orders = [
            admin.start_workflow(
                WORKFLOW_NAME,
                {"orderId": f"order-{n:03d}", "items": ["book", "mug"]},
                task_to_domain=TASK_TO_DOMAIN,
                correlation_id=f"order-{n:03d}",
            )
            for n in range(1, 7)
        ]
        fulfilment = admin.start_workflow(FULFILMENT["name"], {"orderId": "order-042"})
        failed = admin.start_workflow(TRACKING["name"], {"speed": "express"})
        admin.wait_for_workflow(failed, "FAILED", timeout=60)
        for workflow_id in orders:
            admin.wait_for_workflow(workflow_id, timeout=60)
        wait_until(
            lambda: "hand_over" in str(admin.diagnose()),
            timeout=60,
            message="the fulfilment to reach its misspelt task",
        )
        handler.stop_processes()
    server.faults.error("update", status=503, probability=0.1)
    server.faults.latency("batch_poll", ms=200, times=5)
    return {"order": orders[0], "fulfilment": fulfilment, "failed": failed}


def take(out: Path) -> list[Path]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    out.mkdir(parents=True, exist_ok=True)
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if binary is None or driver_path is None:
        raise SystemExit(
            "needs chromium and chromedriver: apt-get install chromium chromium-driver"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--hide-scrollbars",
        f"--user-data-dir={tempfile.mkdtemp(prefix='console-shots-')}",
    ):  # fmt: skip
        options.add_argument(flag)
    saved = []
    with ServerHandle() as server:
        ids = prepare_server(server)
        driver = webdriver.Chrome(options=options, service=Service(driver_path))
        try:
            for name, path in PAGES.items():
                driver.set_window_size(1360, 900)
                driver.get(server.root_url + path.format(**ids))
                height = driver.execute_script("return document.documentElement.scrollHeight")
                driver.set_window_size(1360, min(max(height, 600), 2000))
                target = out / f"console-{name}.png"
                driver.save_screenshot(str(target))
                saved.append(target)
        finally:
            driver.quit()
    return saved


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="screenshots.py",
        description="Runs workflows on a fake server and saves a PNG of every console page "
        "(needs chromium and chromedriver).",
    )
    parser.add_argument(
        "folder", nargs="?", default="docs/console", help="where to save (default: %(default)s)"
    )
    for path in take(Path(parser.parse_args(argv).folder)):
        print(path)


if __name__ == "__main__":
    main(sys.argv[1:])
