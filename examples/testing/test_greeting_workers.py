"""Testing workers against a fake Conductor server with the pytest plugin's fixtures."""

from conductor.client.worker.worker import Worker


def greet(task_input: dict) -> dict:
    return {"greeting": f"Hello, {task_input['name']}!"}


def check_name(task_input: dict) -> dict:
    if not task_input.get("name"):
        raise ValueError("a name is required")
    return {"valid": True}


WORKFLOW = {
    "name": "greetings",
    "version": 1,
    "tasks": [
        {
            "name": "check_name",
            "taskReferenceName": "check",
            "inputParameters": {"name": "${workflow.input.name}"},
        },
        {
            "name": "greet",
            "taskReferenceName": "greet",
            "inputParameters": {"name": "${workflow.input.name}"},
        },
    ],
    "outputParameters": {"greeting": "${greet.output.greeting}"},
}


def test_the_workflow_greets_by_name(conductor_server, conductor_workers):
    admin = conductor_server.admin
    admin.register_workflow(WORKFLOW)
    conductor_workers(Worker("check_name", check_name), Worker("greet", greet))

    workflow_id = admin.start_workflow("greetings", {"name": "Ada"})

    workflow = admin.wait_for_workflow(workflow_id, "COMPLETED", timeout=20)
    assert workflow["output"] == {"greeting": "Hello, Ada!"}


def test_a_missing_name_fails_the_workflow_with_the_reason(conductor_server, conductor_workers):
    admin = conductor_server.admin
    admin.register_task_defs([{"name": "check_name", "retryCount": 0}])
    admin.register_workflow(WORKFLOW)
    conductor_workers(Worker("check_name", check_name), Worker("greet", greet))

    workflow_id = admin.start_workflow("greetings", {"name": ""})

    workflow = admin.wait_for_workflow(workflow_id, "FAILED", timeout=20)
    assert "a name is required" in workflow["reasonForIncompletion"]


def test_many_tasks_are_all_completed(conductor_server, conductor_workers):
    admin = conductor_server.admin
    admin.enqueue("greet", 50, input={"name": "Grace"})

    running = conductor_workers(Worker("greet", greet, thread_count=4))

    stats = running.drain(timeout=30)
    assert stats["queues"]["greet"]["completed"] == 50
