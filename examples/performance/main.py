# ruff: noqa: I001 -- the guide's code below is kept as the guide writes it
"""The guide's "Performance" example: more instances of one worker, more processes.

    python main.py class      # three SimplePythonWorker processes
    python main.py function   # three Worker(execute) processes

The server comes from CONDUCTOR_SERVER_URL (default http://localhost:8080/api). The guide's
lists end with `...` ("and so on"), which TaskHandler skips. Its second list misses the comma
before that `...` (a syntax error as printed); the comma is the only change made to it.
"""

import sys
from pathlib import Path

# The workers are the guide's examples in ../run_workers.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "run_workers"))

from class_worker import SimplePythonWorker  # noqa: E402
from function_worker import execute  # noqa: E402

from conductor.client.automator.task_handler import TaskHandler  # noqa: E402
from conductor.client.configuration.configuration import Configuration  # noqa: E402
from conductor.client.worker.worker import Worker  # noqa: E402

workers = [
    SimplePythonWorker(
        task_definition_name='python_task_example'
    ),
    SimplePythonWorker(
        task_definition_name='python_task_example'
    ),
    SimplePythonWorker(
        task_definition_name='python_task_example'
    ),
    ...
]
class_workers = workers

workers = [
    Worker(
        task_definition_name='python_task_example',
        execute_function=execute,
        poll_interval=0.25,
    ),
    Worker(
        task_definition_name='python_task_example',
        execute_function=execute,
        poll_interval=0.25,
    ),
    Worker(
        task_definition_name='python_task_example',
        execute_function=execute,
        poll_interval=0.25,
    ),
    ...
]
function_workers = workers

if __name__ == "__main__":
    style = sys.argv[1] if len(sys.argv) > 1 else "class"
    if style not in ("class", "function"):
        sys.exit(f"usage: {sys.argv[0]} [class|function] (got {style!r})")
    chosen = class_workers if style == "class" else function_workers
    with TaskHandler(workers=chosen, configuration=Configuration()) as task_handler:
        task_handler.start_processes()
