"""Giving tasks back to the server, so that another worker runs them at once: the update
(``IN_PROGRESS`` with ``callbackAfterSeconds=0``), and ``GiveBack``, which sends the tasks a
dead worker process held (``held_tasks``) from the supervising process.
"""

from __future__ import annotations

import logging
import threading
import time

from conductor.client.configuration.configuration import Configuration
from conductor.client.http.models.task_result import TaskResult
from conductor.client.http.models.task_result_status import TaskResultStatus
from conductor.client.http.task_client import TaskClient

logger = logging.getLogger(__name__)


def give_back_result(
    task_id: str | None, workflow_id: str | None, worker_id: str | None = None
) -> TaskResult:
    """The update that hands a task back to the server for another worker at once:
    ``IN_PROGRESS`` with ``callbackAfterSeconds=0``."""
    return TaskResult(
        task_id=task_id,
        workflow_instance_id=workflow_id,
        worker_id=worker_id,
        status=TaskResultStatus.IN_PROGRESS,
        callback_after_seconds=0,
    )


class GiveBack:
    """Gives the tasks of dead worker processes back to the server, from this process.

    Each batch is sent from a thread of its own (a server outage must not hold up restarts);
    ``finish()`` waits for them, bounded, when the handler stops. The client is this
    process's own: no HTTP connection is shared with a worker process.
    """

    FINISH_TIMEOUT_SECONDS = 10.0

    def __init__(self, configuration: Configuration) -> None:
        self.configuration = configuration
        self._client: TaskClient | None = None
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._abandon = threading.Event()

    def submit(
        self, task_name: str, held: list[tuple[str, str]], poisonous: list[str], exit: str
    ) -> None:
        thread = threading.Thread(
            target=self._send, args=(task_name, held, poisonous, exit), daemon=True
        )
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
            self._abandon.clear()
        thread.start()

    def finish(self) -> None:
        deadline = time.monotonic() + self.FINISH_TIMEOUT_SECONDS
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
            self._abandon.set()  # past the deadline: one last attempt each
        for thread in threads:
            thread.join(5)
        if self._client is not None:
            self._client.close()
            self._client = None

    def _send(
        self, task_name: str, held: list[tuple[str, str]], poisonous: list[str], exit: str
    ) -> None:
        with self._lock:
            if self._client is None:
                self._client = TaskClient(self.configuration)
            client = self._client
        for task_id, workflow_id in held:
            if task_id in poisonous:
                result = TaskResult(
                    task_id=task_id,
                    workflow_instance_id=workflow_id,
                    status=TaskResultStatus.FAILED,
                    reason_for_incompletion=(
                        f"the worker process running this task died twice ({exit}); "
                        "it is failed rather than handed to another process"
                    ),
                )
                logger.error(
                    "Worker %s: task %s failed: %s",
                    task_name,
                    task_id,
                    result.reason_for_incompletion,
                )
            else:
                result = give_back_result(task_id, workflow_id)
            try:
                client.deliver(result, stop=self._abandon)
            except Exception:  # best effort: the server's response timeout recovers it
                logger.exception("Worker %s: could not give task %s back", task_name, task_id)
        logger.info(
            "Worker %s: gave back %d task(s) of a worker process that ended (%s): %s",
            task_name,
            len(held),
            exit,
            ", ".join(task_id for task_id, _ in held),
        )
