"""examples/conductor_python/: worker code written as conductor-python 2.0.0's README and
examples write it, run unchanged as real processes against the fake server."""

from __future__ import annotations

import json
import signal

import requests

from tests.integration.sdk.waiting import EXAMPLES, wait_until

FOLDER = EXAMPLES / "conductor_python"


def stop(script) -> None:
    script.process.send_signal(signal.SIGTERM)
    assert script.wait() == 0
    assert "Traceback" not in script.stderr(), script.stderr()[-3000:]


def run_example(run_script, server, name: str):
    return run_script(FOLDER / name / "main.py", env={"CONDUCTOR_SERVER_URL": server.url})


def test_hello_world_greets_by_name_through_a_workflow(server, run_script) -> None:
    definition = json.loads((FOLDER / "hello_world" / "hello_world.json").read_text())
    http = requests.Session()
    http.post(f"{server.url}/metadata/workflow", json=definition).raise_for_status()
    script = run_example(run_script, server, "hello_world")
    answer = http.post(f"{server.url}/workflow/hello_world", json={"name": "Ann"})
    answer.raise_for_status()
    workflow_id = answer.text

    def completed() -> dict | None:
        workflow = http.get(f"{server.url}/workflow/{workflow_id}").json()
        return workflow if workflow["status"] == "COMPLETED" else None

    workflow = wait_until(completed, message="the hello_world workflow to complete")
    assert workflow["output"] == {"result": "Hello Ann"}
    assert 'Worker greet calls greet(name) <- input["name"]' in script.stderr()
    stop(script)


def test_typed_dataclass_async_and_context_workers(server, run_script) -> None:
    script = run_example(run_script, server, "typed_workers")
    order = {"order_id": 7, "sku": "A1", "quantity": 2, "sku_price": 1.5}
    user = {
        "id": 3,
        "name": "Ann",
        "email": "ann@example.com",
        "address": {"street": "1 Road", "city": "Oslo", "zipcode": "0150"},
    }
    ids = {
        "order": server.enqueue("process_order", input={"order_info": order})[0],
        "email": server.enqueue("get_user_email", input={"userid": "ann"})[0],
        "send": server.enqueue("send_email", input={"email": "a@b.c", "subject": "Hi"})[0],
        "fetch": server.enqueue("fetch_user", input={"user_id": 5})[0],
        "update": server.enqueue("update_user", input={"user": user})[0],
        "long": server.enqueue("long_job", input={"job_id": "j-1"})[0],
    }
    done = dict(zip(ids, server.wait_done(list(ids.values()), timeout=30), strict=True))
    assert {name: task["status"] for name, task in done.items()} == dict.fromkeys(ids, "COMPLETED")
    assert done["order"]["outputData"] == {"result": "order 7: 2 x A1 = 3.0"}
    assert done["email"]["outputData"] == {"result": "ann@example.com"}
    assert done["send"]["outputData"] == {"result": None}  # a missing body input is None
    assert done["fetch"]["outputData"] == {
        "id": 5,
        "name": "user 5",
        "email": "user5@example.com",
        "address": {"street": "5 Main Street", "city": "Springfield", "zipcode": "12345"},
        "tags": [],
    }
    assert done["update"]["outputData"] == {"user_id": 3, "city": "Oslo", "status": "updated"}
    assert server.task_logs(ids["update"]) == ["updating Ann in Oslo"]
    assert done["long"]["outputData"] == {"job_id": "j-1", "done": True, "polls": 2}
    assert done["long"]["pollCount"] == 2
    fetch_def = requests.get(f"{server.url}/metadata/taskdefs/fetch_user", timeout=10)
    assert fetch_def.status_code == 200  # register_task_def=True registered it at start
    assert "sending 'Hi' to a@b.c: None" in script.stdout()
    stop(script)
