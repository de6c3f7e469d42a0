"""A worker program as users write it: a TaskHandler in a with block, until SIGTERM or Ctrl-C.

Usage: run_handler.py SERVER_API_URL PROCESSES THREADS
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chaos_workers import work  # noqa: E402

from conductor.client.automator.task_handler import TaskHandler  # noqa: E402
from conductor.client.configuration.configuration import Configuration  # noqa: E402
from conductor.client.worker.worker import Worker  # noqa: E402

if __name__ == "__main__":
    url, processes, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    workers = [Worker("chaos", work, thread_count=threads) for _ in range(processes)]
    with TaskHandler(workers, Configuration(server_api_url=url)) as handler:
        handler.start_processes()
        print("started", flush=True)
