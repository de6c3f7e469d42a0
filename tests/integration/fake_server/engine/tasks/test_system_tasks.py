"""System tasks in a fake server on a real socket: an HTTP task whose call goes to the server
itself (the engine's lock is released while the call is made), a WAIT on the system clock."""

from __future__ import annotations

import requests

from fake_server import FakeServer


def test_an_http_task_can_call_the_fake_server_it_runs_in() -> None:
    with FakeServer(port=0) as server:
        api = server.url
        requests.post(f"{api}/metadata/taskdefs", json=[{"name": "echo"}], timeout=5)
        definition = {
            "name": "self_call",
            "tasks": [
                {
                    "name": "lookup",
                    "taskReferenceName": "lookup",
                    "type": "HTTP",
                    "inputParameters": {
                        "http_request": {"uri": f"{api}/metadata/taskdefs/echo", "method": "GET"}
                    },
                }
            ],
            "outputParameters": {"name": "${lookup.output.response.body.name}"},
        }
        answer = requests.post(f"{api}/metadata/workflow", json=definition, timeout=5)
        assert answer.status_code in (200, 204), answer.text
        workflow_id = requests.post(f"{api}/workflow/self_call", json={}, timeout=10).text

        workflow = requests.get(f"{api}/workflow/{workflow_id}", timeout=5).json()

        assert workflow["status"] == "COMPLETED", workflow.get("reasonForIncompletion")
        assert workflow["output"] == {"name": "echo"}
        assert workflow["tasks"][0]["outputData"]["response"]["statusCode"] == 200


def test_a_wait_on_the_system_clock_ends_after_its_duration() -> None:
    """On the system clock a WAIT ends once its time has really passed."""
    from harness.waiting import wait_until

    with FakeServer(port=0) as server:
        api = server.url
        definition = {
            "name": "nap",
            "tasks": [
                {
                    "name": "nap",
                    "taskReferenceName": "nap",
                    "type": "WAIT",
                    "inputParameters": {"duration": "1s"},
                }
            ],
        }
        requests.post(f"{api}/metadata/workflow", json=definition, timeout=5)
        workflow_id = requests.post(f"{api}/workflow/nap", json={}, timeout=5).text
        engine = server.engine

        def completed() -> bool:
            return engine.get_workflow(workflow_id, include_tasks=False)["status"] == "COMPLETED"

        assert not completed()
        wait_until(completed, timeout=10, message="the WAIT of 1 s to end")
