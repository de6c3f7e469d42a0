"""The first worker's tests: a plain call, then the workflow on a fake Conductor server."""

import json
from pathlib import Path

from greet_worker import greet

WORKFLOW = json.loads((Path(__file__).parent / "hello.json").read_text())


def test_greet_is_a_plain_function():
    assert greet("Ada") == {"greeting": "Hello, Ada!"}


def test_the_workflow_greets_by_name(conductor_server, conductor_workers):
    admin = conductor_server.admin
    admin.register_workflow(WORKFLOW)
    conductor_workers(import_modules=["greet_worker"])

    workflow_id = admin.start_workflow("hello", {"name": "Ada"})

    workflow = admin.wait_for_workflow(workflow_id, "COMPLETED", timeout=20)
    assert workflow["output"] == {"greeting": "Hello, Ada!"}
