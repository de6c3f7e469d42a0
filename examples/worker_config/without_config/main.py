"""Runs the @WorkerTask workers of this folder until Ctrl-C or SIGTERM.

The server comes from CONDUCTOR_SERVER_URL (default http://localhost:8080/api).
"""

from conductor.client.automator.task_handler import TaskHandler
from conductor.client.configuration.configuration import Configuration

if __name__ == "__main__":
    with TaskHandler(
        configuration=Configuration(), scan_for_annotated_workers=True
    ) as task_handler:
        task_handler.start_processes()
