# ruff: noqa: I001 -- the guide's code below is kept exactly as the guide writes it
"""The guide's "Task Domains" example (verbatim): polls only domain 'cool'."""

from conductor.client.worker.worker_task import WorkerTask

@WorkerTask(task_definition_name='python_annotated_task', domain='cool')
def python_annotated_task(input) -> object:
    return {'message': 'python is so cool :)'}
