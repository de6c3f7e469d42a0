"""Conductor's task API without I/O: what ``TaskClient`` and ``AsyncTaskClient`` send, and what
the answers mean.

Both clients build their requests and read the answers here, and do their own I/O
(``TaskClient`` over ``conductor.client.http._transport``, ``AsyncTaskClient`` over
``conductor.client.http._async_transport``). Access tokens are
``conductor.client.http._auth``'s, errors ``conductor.client.http.errors``'.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from conductor.client.http._backoff import Backoff
from conductor.client.http.errors import ConductorApiError, json_body
from conductor.client.http.models.task import Task

if TYPE_CHECKING:
    from conductor.client.http._transport import Answer

logger = logging.getLogger(__name__)

JSON_CONTENT_TYPE = "application/json"
UPDATE_PATH = "/tasks"
UPDATE_V2_PATH = "/tasks/update-v2"


# -- requests ----------------------------------------------------------------------------------


def poll_path(task_type: str) -> str:
    return "/tasks/poll/" + _task_type_segment(task_type)


def batch_poll_path(task_type: str) -> str:
    return "/tasks/poll/batch/" + _task_type_segment(task_type)


@lru_cache(maxsize=64)  # a worker polls with the same few ids and domains all the time
def poll_query(worker_id: str, domain: str | None) -> str:
    params = {"workerid": worker_id}
    if domain:  # never an empty domain: that would be a different queue
        params["domain"] = domain
    return urlencode(params)


def batch_poll_query(worker_id: str, domain: str | None, count: int, timeout_ms: int) -> str:
    return f"{poll_query(worker_id, domain)}&count={count}&timeout={int(timeout_ms)}"


def task_path(task_id: str) -> str:
    return "/tasks/" + quote(task_id, safe="")


def log_path(task_id: str) -> str:
    return task_path(task_id) + "/log"


def uri_label(path: str) -> str:
    """The low-cardinality ``uri`` label of a request's metrics: the path with its task type
    or task id replaced by ``{taskType}``/``{taskId}`` (conductor-python 2.0.0's labels)."""
    for prefix in ("/tasks/poll/batch/", "/tasks/poll/"):
        if path.startswith(prefix):
            return prefix + "{taskType}"
    if path in (UPDATE_PATH, UPDATE_V2_PATH) or not path.startswith("/tasks/"):
        return path
    return "/tasks/{taskId}/log" if path.endswith("/log") else "/tasks/{taskId}"


def request_status(answer: Answer | None, error: BaseException | None) -> str:
    """The ``status`` label of a request's metrics: the HTTP status, else ``error``."""
    if answer is not None:
        return str(answer.status)
    status = getattr(error, "status", None)
    return str(status) if status is not None else "error"


@lru_cache(maxsize=256)  # a worker polls for the same task types all the time
def _task_type_segment(task_type: str) -> str:
    return quote(task_type, safe="")


# -- answers -----------------------------------------------------------------------------------


def task_in(answer: Answer) -> Task | None:
    """The task an answer carries (a poll's, update-v2's next task), or ``None`` (204)."""
    data = json_body(answer)
    return Task.from_json(data) if isinstance(data, dict) else None


def tasks_in(answer: Answer) -> list[Task]:
    """The tasks of a batch poll's answer."""
    data = json_body(answer)
    return [Task.from_json(item) for item in data] if isinstance(data, list) else []


class UpdateRoute:
    """Where results go: ``/tasks/update-v2`` (a result in, the next task of its type out)
    until the server shows that it has no such endpoint; ``POST /tasks`` from then on.

    405 shows it at once. A 404 may also mean "no such task": only a successful ``POST /tasks``
    of the same result shows that the endpoint is missing.
    """

    def __init__(self) -> None:
        self.path = UPDATE_V2_PATH

    @property
    def returns_next_task(self) -> bool:
        return self.path == UPDATE_V2_PATH

    def may_lack_update_v2(self, error: ConductorApiError) -> bool:
        """Whether update-v2's ``error`` may mean the server lacks it: then send the result to
        ``POST /tasks``, and call ``update_worked`` once that succeeds."""
        if error.status == 405:
            self._use_update(error)
        return error.status in (404, 405)

    def update_worked(self, v2_error: ConductorApiError) -> None:
        self._use_update(v2_error)

    def _use_update(self, v2_error: ConductorApiError) -> None:
        if self.path == UPDATE_V2_PATH:
            self.path = UPDATE_PATH
            logger.info(
                "Server has no /tasks/update-v2 (HTTP %s): results go to POST /tasks from now "
                "on, one extra poll per task",
                v2_error.status,
            )


class Delivery:
    """The attempts to deliver one result: which failures end them, each logged once, and
    how long to wait before the next attempt (``backoff``, the client's, shared by its
    deliveries).

    Transient failures (no connection, timeouts, 429, 5xx) are retried for as long as it
    takes, unless it is the ``last_chance`` (the worker is stopping). A refused update (other
    4xx, and a 5xx whose Conductor error body says ``"retryable": false``) is final at once.
    """

    def __init__(self, task_id: str | None, backoff: Backoff) -> None:
        self.task_id = task_id
        self._backoff = backoff
        self._retry = 0

    def wait_after(self, error: ConductorApiError, *, last_chance: bool) -> float | None:
        """Seconds to wait before trying again after ``error``, or ``None`` when the delivery
        is over (said in the log)."""
        if not error.transient:
            logger.error("Result of task %s was refused: %s", self.task_id, error)
            return None
        self._backoff.failed(error)
        if last_chance:
            logger.error(
                "Result of task %s not delivered: stopping while the server is unreachable (%s)",
                self.task_id,
                error,
            )
            return None
        self._retry += 1
        return self._backoff.delay(self._retry - 1)

    def succeeded(self) -> None:
        self._backoff.succeeded()
