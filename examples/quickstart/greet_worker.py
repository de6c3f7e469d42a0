"""A first worker: it greets by name. Run it beside `make serve` (see the README)."""

from conductor.client.automator.task_handler import TaskHandler
from conductor.client.configuration.configuration import Configuration
from conductor.client.worker.worker_task import worker_task


@worker_task(task_definition_name="greet")
def greet(name: str) -> dict:
    return {"greeting": f"Hello, {name}!"}


if __name__ == "__main__":
    # Configuration(): http://localhost:8080/api, or the CONDUCTOR_SERVER_URL variable
    with TaskHandler(configuration=Configuration()) as task_handler:
        task_handler.start_processes()  # runs until Ctrl-C or SIGTERM
