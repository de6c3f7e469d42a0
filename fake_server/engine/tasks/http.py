"""HTTP: the server makes an HTTP call (with ``requests``) and the task takes its response.

The request is the input ``http_request`` or the input itself: ``uri`` and ``method``
(required), ``headers``, ``body`` (a string is sent as it is, anything else as JSON),
``accept`` and ``contentType`` (``application/json`` by default), ``connectionTimeOut`` and
``readTimeOut`` in milliseconds (3000 by default). The output is ``response``: ``statusCode``,
``reasonPhrase``, ``headers`` (each a list of values) and ``body`` (JSON read as JSON, a
JSON number as a float as on the real server, other text as it is).

A 2xx answer completes the task (or leaves it IN_PROGRESS with ``asyncComplete``, for an
update from outside); any other answer, a timeout or a connection error fails it with
Conductor's reason ("Failed to invoke HTTP task due to: ..."), retried when its definition has
retries. The call is made after the engine's lock is released (the server can call itself),
by the request or tick that scheduled the task, before that request answers.
"""

from __future__ import annotations

import http
import json
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import requests

from fake_server.engine.tasks.base import Runtime, SystemTask

if TYPE_CHECKING:
    from fake_server.engine.definitions import WorkflowTaskDef
    from fake_server.engine.models import Task, Workflow

DEFAULT_TIMEOUT_MS = 3000
JSON = "application/json"


@dataclass(frozen=True)
class HttpCall:
    method: str
    uri: str
    headers: dict[str, str]
    body: bytes | None
    connect_timeout_s: float
    read_timeout_s: float


@dataclass(frozen=True)
class HttpOutcome:
    response: dict[str, Any] | str
    ok: bool
    reason: str | None = None


class Http(SystemTask):
    task_type = "HTTP"
    initial_status = "SCHEDULED"

    def map(
        self,
        rt: Runtime,
        workflow: Workflow,
        workflow_task: WorkflowTaskDef,
        task_input: dict[str, Any],
        retry_count: int,
    ) -> list[Task]:
        values = {**task_input, "asyncComplete": workflow_task.async_complete}
        return super().map(rt, workflow, workflow_task, values, retry_count)

    def start(self, rt: Runtime, workflow: Workflow, task: Task) -> None:
        task.ready_ms = rt.now_ms() + task.callback_after_seconds * 1000
        if task.ready_ms > rt.now_ms():
            rt.decide_at(workflow, task.ready_ms)  # a retry waits for its delay
        else:
            rt.call_later(task)

    def execute(self, rt: Runtime, workflow: Workflow, task: Task) -> bool:
        if task.status == "SCHEDULED" and not task.http_pending and rt.now_ms() >= task.ready_ms:
            rt.call_later(task)
        return False

    def wakes_at_ms(self, task: Task) -> int | None:
        waiting_for_retry = task.status == "SCHEDULED" and not task.http_pending
        return task.ready_ms if waiting_for_retry else None

    def prepare(self, rt: Runtime, task: Task) -> HttpCall | None:
        """The call to make, read from the task's input (None: the task failed instead)."""
        request = task.input_data.get("http_request")
        values: dict[str, Any] = request if isinstance(request, dict) else task.input_data
        uri = values.get("uri")
        method = values.get("method")
        task.worker_id = socket.gethostname()
        if not uri:
            reason = (
                "Missing HTTP URI.  See documentation for HttpTask for required input parameters"
            )
            self.finish(rt, task, "FAILED", reason)
            return None
        if not method:
            self.finish(rt, task, "FAILED", "No HTTP method specified")
            return None
        accept = values.get("accept") or JSON
        headers = {
            "Content-Type": str(values.get("contentType") or JSON),
            "Accept": ", ".join(accept) if isinstance(accept, list) else str(accept),
        }
        for name, value in (values.get("headers") or {}).items():
            if value is not None:
                headers[str(name)] = str(value)
        body = values.get("body")
        encoded = None
        if body is not None:
            encoded = (body if isinstance(body, str) else json.dumps(body)).encode()
        return HttpCall(
            method=str(method).upper(),
            uri=str(uri),
            headers=headers,
            body=encoded,
            connect_timeout_s=_ms(values.get("connectionTimeOut")) / 1000,
            read_timeout_s=_ms(values.get("readTimeOut")) / 1000,
        )

    @staticmethod
    def perform(call: HttpCall) -> HttpOutcome:
        """Make the call (no engine lock is held here)."""
        try:
            answer = requests.request(
                call.method,
                call.uri,
                headers=call.headers,
                data=call.body,
                timeout=(call.connect_timeout_s, call.read_timeout_s),
                allow_redirects=True,
            )
        except requests.RequestException as error:
            text = f'I/O error on {call.method} request for "{call.uri}": {error}'
            return _failure(text)
        phrase = _phrase(answer.status_code, answer.reason)
        if not 200 <= answer.status_code < 300:
            return _failure(f'{answer.status_code} {phrase}: "{answer.text}"')
        headers: dict[str, list[str]] = {}
        for name, value in answer.raw.headers.items():
            headers.setdefault(name, []).append(value)
        response = {
            "body": _body(answer.text) if answer.content else None,
            "headers": headers,
            "statusCode": answer.status_code,
            "reasonPhrase": phrase,
        }
        return HttpOutcome(response=response, ok=True)

    def apply(self, rt: Runtime, task: Task, outcome: HttpOutcome) -> None:
        """Give the task the call's outcome."""
        task.output_data = {**task.output_data, "response": outcome.response}
        if not outcome.ok:
            self.finish(rt, task, "FAILED", outcome.reason)
        elif task.input_data.get("asyncComplete"):
            task.start_time = task.start_time or rt.now_ms()
            rt.state.set_status(task, "IN_PROGRESS")
        else:
            task.start_time = task.start_time or rt.now_ms()
            self.finish(rt, task, "COMPLETED")


def _failure(text: str) -> HttpOutcome:
    message = f"java.lang.Exception: {text}"
    return HttpOutcome(
        response=message, ok=False, reason=f"Failed to invoke HTTP task due to: {message}"
    )


def _ms(value: Any) -> int:
    return value if isinstance(value, int) and value > 0 else DEFAULT_TIMEOUT_MS


def _phrase(code: int, fallback: str) -> str:
    try:
        return http.HTTPStatus(code).phrase
    except ValueError:
        return fallback or ""


def _body(text: str) -> Any:
    """The body as Conductor reads it: JSON objects and arrays as such, a number as a float,
    any other JSON value or non-JSON as text."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    if isinstance(value, (dict, list)):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return float(value)
    return value if isinstance(value, str) else text
