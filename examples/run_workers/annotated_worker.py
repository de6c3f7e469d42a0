# ruff: noqa: I001 -- the guide's code below is kept exactly as the guide writes it
"""The guide's "Worker as an annotation" example (verbatim); main.py finds it by scanning."""

from conductor.client.worker.worker_task import WorkerTask

@WorkerTask(task_definition_name='python_annotated_task', worker_id='decorated', poll_interval=2.0)
def python_annotated_task(input) -> object:
    return {'message': 'python is so cool :)'}
