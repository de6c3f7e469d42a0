"""Runs the hello-world worker the way conductor-python 2.0.0's hello world does: importing the
module registers the decorated function, and a TaskHandler built without a list of workers
runs the decorated functions. (2.0.0's hello world also builds and starts its workflow in
Python; here the workflow is hello_world.json, started through the server's API.)"""

import greetings_worker  # noqa: F401  (importing it registers the worker)

from conductor.client.automator.task_handler import TaskHandler
from conductor.client.configuration.configuration import Configuration


def main() -> None:
    api_config = Configuration()  # http://localhost:8080/api, or CONDUCTOR_SERVER_URL
    task_handler = TaskHandler(configuration=api_config)
    task_handler.start_processes()
    print(f"Workers started; see the executions at {api_config.ui_host}", flush=True)
    task_handler.join_processes()  # until Ctrl-C or SIGTERM


if __name__ == "__main__":
    main()
