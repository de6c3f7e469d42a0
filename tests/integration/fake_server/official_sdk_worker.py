"""Workers written with the official ``conductor-python`` SDK, run against the fake server.

Usage: python official_sdk_worker.py SERVER_API_URL
Runs until SIGTERM or SIGINT. Started by test_official_sdk.py with a separate venv's python:
this file imports only the official SDK, never this project.
"""

import signal
import sys
import threading

from conductor.client.automator.task_handler import TaskHandler
from conductor.client.configuration.configuration import Configuration
from conductor.client.worker.worker import Worker


def greet_plain(name: str) -> dict:
    return {"greeting": f"Hello {name}", "by": "plain"}


def greet_blue(name: str) -> dict:
    return {"greeting": f"Hello {name}", "by": "blue"}


def shout(text: str) -> dict:
    return {"shout": text.upper()}


def main(server_api_url: str) -> None:
    workers = [
        Worker(
            task_definition_name="fs_official_greet", execute_function=greet_plain, poll_interval=20
        ),
        Worker(
            task_definition_name="fs_official_greet",
            execute_function=greet_blue,
            poll_interval=20,
            domain="blue",
        ),
        Worker(task_definition_name="fs_official_shout", execute_function=shout, poll_interval=20),
    ]
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    handler = TaskHandler(
        workers=workers,
        configuration=Configuration(server_api_url=server_api_url),
        scan_for_annotated_workers=False,
    )
    handler.start_processes()
    print("workers started", flush=True)
    try:
        while not stop.wait(0.2):
            pass
    finally:
        handler.stop_processes()


if __name__ == "__main__":
    main(sys.argv[1])
