"""Runs the guide's C++ worker (task type ``cpp_sum``) until Ctrl-C or SIGTERM.

Build the library first (``make`` here, or ``make cpp`` at the repository root) and run this
from this folder: the guide's worker loads ``./lib.so``. The server comes from
CONDUCTOR_SERVER_URL (default http://localhost:8080/api).
"""

from simple_cpp_worker import SimpleCppWorker

from conductor.client.automator.task_handler import TaskHandler
from conductor.client.configuration.configuration import Configuration

if __name__ == "__main__":
    workers = [SimpleCppWorker(task_definition_name="cpp_sum")]
    with TaskHandler(workers, Configuration()) as task_handler:
        task_handler.start_processes()
