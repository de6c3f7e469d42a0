"""An HTTP task whose call goes to the fake server itself, over a real socket: the engine's
lock is released while the call is made, so the server can answer it."""

from __future__ import annotations

import requests

from fake_server.server import FakeServer


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
