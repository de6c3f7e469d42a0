"""A worker program that picks its start method: ``python main.py METHOD``.

Runs a function worker, a class worker and a decorated worker (defined here, in the main
script) until SIGTERM or Ctrl-C. The server comes from CONDUCTOR_SERVER_URL; the workers
module (``tests.integration.sdk.workers``) from the repository, which is on PYTHONPATH.
"""

from __future__ import annotations

import multiprocessing
import sys

from conductor.client.automator.task_handler import TaskHandler
from conductor.client.configuration.configuration import Configuration
from conductor.client.worker.worker import Worker
from conductor.client.worker.worker_task import WorkerTask
from tests.integration.sdk.workers import ClassWorker, process_info


@WorkerTask(task_definition_name="it_method_decorated")
def decorated(input: dict) -> dict:
    return process_info(input)


if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    workers = [Worker("it_method_function", process_info), ClassWorker("it_method_class")]
    with TaskHandler(workers, Configuration(), scan_for_annotated_workers=True) as handler:
        handler.start_processes()
