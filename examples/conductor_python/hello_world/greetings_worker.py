"""The hello-world worker of conductor-python 2.0.0's README, as such code is written there:
a decorated function whose parameter is filled from the task input of the same name."""

from conductor.client.worker.worker_task import worker_task


@worker_task(task_definition_name="greet")
def greet(name: str) -> str:
    return f"Hello {name}"
