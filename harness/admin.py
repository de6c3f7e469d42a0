"""A client for the fake server: Conductor's own API for definitions and workflows, plus the
test-only admin API under ``/fake/``.

The Conductor calls work against a real server too (the demo uses them); the ``/fake/`` calls
exist only on the fake server.
"""

from __future__ import annotations

import difflib
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import requests

from harness.attempts import describe_failed_attempts
from harness.faults import FaultsClient
from harness.wait_timing import ServerTimeSpan, WaitResult
from harness.waiting import WaitTimeout, wait_until

TERMINAL_WORKFLOW_STATUSES = frozenset({"COMPLETED", "FAILED", "TIMED_OUT", "TERMINATED"})
WORKFLOW_STATUSES = ("RUNNING", "COMPLETED", "FAILED", "TIMED_OUT", "TERMINATED", "PAUSED")


class AdminError(RuntimeError):
    """The server answered a harness call with an error; carries its status and message.

    The message is the error body's own words (its ``message``, the fields its
    ``validationErrors`` name, the fake server's ``fakeServerDetail``), the body itself when it
    is not Conductor's error body; ``hint`` is added after it.
    """

    def __init__(self, method: str, path: str, status: int, body: str, hint: str = "") -> None:
        super().__init__(f"{method} {path} -> {status}: {error_text(body)}{hint}")
        self.status = status
        self.body = body

    def add_hint(self, hint: str) -> None:
        """Appends ``hint`` to the message (what the harness knows that the server did not say)."""
        if hint:
            self.args = (f"{self.args[0]}{hint}",)


# Conductor's message for failed constraints: the fields are in validationErrors.
GENERIC_VALIDATION_MESSAGE = "Validation failed"


def error_text(body: str) -> str:
    """What an error body says, in one line: Conductor's ``{"message", "validationErrors"}``
    read out, anything else as it is (cut at 500 characters)."""
    try:
        error = json.loads(body)
    except ValueError:
        return body[:500]
    if not isinstance(error, dict) or not isinstance(error.get("message"), str):
        return body[:500]
    message: str = error["message"]
    fields = [
        f"{field['path']}: {field.get('message')}" if field.get("path") else str(field)
        for field in error.get("validationErrors") or []
        if isinstance(field, dict)
    ]
    if not fields:
        text = message
    elif message.startswith(GENERIC_VALIDATION_MESSAGE) or any(message in f for f in fields):
        text = "; ".join(fields)
    else:
        text = f"{message} ({'; '.join(fields)})"
    detail = error.get("fakeServerDetail")
    if isinstance(detail, str) and detail not in text:
        text += f" (fake server: {detail})"
    return text


class AdminClient:
    """Drives a (fake) Conductor server from tests, scenarios and the demo.

    ``api_url`` is the API base (ending in ``/api``); the admin API lives beside it at the
    server root.
    """

    def __init__(
        self,
        api_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        auth_key: str | None = None,
        auth_secret: str | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.root_url = self.api_url.removesuffix("/api")
        self._session = requests.Session()
        self._session.headers.update(headers or {})
        self._credentials = (auth_key, auth_secret) if auth_key and auth_secret else None
        self._has_fake_clock = True  # until the server says it has none (a real Conductor)

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> AdminClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- plumbing ---------------------------------------------------------------------------
    def _call(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        __tracebackhide__ = True
        kwargs.setdefault("timeout", 30)
        response = self._session.request(method, url, **kwargs)
        if response.status_code == 401 and self._credentials:
            self._renew_token()  # none yet, or expired: Conductor's API wants a fresh one
            response = self._session.request(method, url, **kwargs)
        if response.status_code >= 400:
            hint = self._hint(url) if response.status_code == 404 else ""
            raise AdminError(method, url, response.status_code, response.text, hint)
        return response

    def _hint(self, url: str) -> str:
        """For a 404 from an API base that does not end in /api: what is probably wrong."""
        if url.startswith(self.api_url) and not self.api_url.endswith("/api"):
            return (
                f" (AdminClient's URL {self.api_url} does not end in /api: Conductor's API is "
                "under /api, e.g. http://127.0.0.1:8080/api)"
            )
        return ""

    def _renew_token(self) -> None:
        assert self._credentials is not None
        key_id, key_secret = self._credentials
        answer = self._session.post(
            self.api_url + "/token", json={"keyId": key_id, "keySecret": key_secret}, timeout=30
        )
        if answer.status_code >= 400:
            raise AdminError("POST", self.api_url + "/token", answer.status_code, answer.text)
        self._session.headers["X-Authorization"] = answer.json()["token"]

    def _api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        __tracebackhide__ = True
        return self._call(method, self.api_url + path, **kwargs)

    def _fake(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        __tracebackhide__ = True
        return self._call(method, self.root_url + "/fake" + path, **kwargs)

    def fake(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A call to the fake server's admin API (``path`` below ``/fake``)."""
        return self._fake(method, path, **kwargs)

    # -- definitions ------------------------------------------------------------------------
    def register_task_defs(self, task_defs: Iterable[Mapping[str, Any]]) -> None:
        self._api("POST", "/metadata/taskdefs", json=list(task_defs))

    def register_workflow(self, workflow_def: Mapping[str, Any]) -> None:
        """Creates or replaces a workflow definition (the upsert form, ``PUT``)."""
        self._api("PUT", "/metadata/workflow", json=[dict(workflow_def)])

    def delete_task_def(self, name: str) -> None:
        self._api("DELETE", f"/metadata/taskdefs/{_segment(name)}")

    def delete_workflow_def(self, name: str, version: int) -> None:
        self._api("DELETE", f"/metadata/workflow/{_segment(name)}/{version}")

    # -- workflows --------------------------------------------------------------------------
    def start_workflow(
        self,
        name: str,
        input: Mapping[str, Any] | None = None,
        *,
        version: int | None = None,
        task_to_domain: Mapping[str, str] | None = None,
        correlation_id: str | None = None,
    ) -> str:
        request: dict[str, Any] = {"name": name, "input": dict(input or {})}
        if version is not None:
            request["version"] = version
        if task_to_domain:
            request["taskToDomain"] = dict(task_to_domain)
        if correlation_id is not None:
            request["correlationId"] = correlation_id
        __tracebackhide__ = True
        try:
            return self._api("POST", "/workflow", json=request).text.strip().strip('"')
        except AdminError as error:
            if error.status == 404:
                error.add_hint(self._workflow_name_hint(name))
            raise

    def _workflow_name_hint(self, name: str) -> str:
        """For a workflow name the server does not know: the registered name closest to it,
        and the registered names."""
        try:
            definitions = self._api("GET", "/metadata/workflow").json()
            names = sorted({str(definition["name"]) for definition in definitions})
        except (AdminError, requests.RequestException, ValueError, KeyError, TypeError):
            return ""
        if not names:
            return " (no workflow is registered)"
        close = difflib.get_close_matches(name, names, n=1)
        guess = f"did you mean {close[0]!r}? " if close else ""
        shown = ", ".join(names[:20]) + (f" and {len(names) - 20} more" if len(names) > 20 else "")
        return f" ({guess}registered workflows: {shown})"

    def get_workflow(self, workflow_id: str, *, include_tasks: bool = True) -> dict[str, Any]:
        params = {"includeTasks": str(include_tasks).lower()}
        workflow: dict[str, Any] = self._api(
            "GET", f"/workflow/{workflow_id}", params=params
        ).json()
        return workflow

    def test_workflow(
        self,
        name: str | None = None,
        input: Mapping[str, Any] | None = None,
        *,
        mocks: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
        sub_workflows: Mapping[str, Mapping[str, Any]] | None = None,
        version: int | None = None,
        workflow_def: Mapping[str, Any] | None = None,
        task_to_domain: Mapping[str, str] | None = None,
        correlation_id: str | None = None,
    ) -> dict[str, Any]:
        """Runs a workflow on mocked task results, with no worker (Conductor's
        ``POST /workflow/test``), and returns the workflow with its tasks.

        The workflow is the registered ``name`` (at ``version``, else the latest), or the
        definition ``workflow_def`` as given (``name`` defaults to its name). ``mocks`` maps a
        task reference name to its results, used one per attempt: ``{"status": "FAILED"}``,
        then ``{"output": {...}}`` (COMPLETED unless ``status`` says otherwise); a task inside a
        DO_WHILE is named with its iteration (``ref__1``). ``sub_workflows`` maps a
        SUB_WORKFLOW task's reference name to the mocks of the workflow it starts, in
        Conductor's form: ``{"taskRefToMockOutput": {...}, "subWorkflowTestRequest": {...}}``.
        A task left without a mock stops the run: the workflow comes back ``RUNNING``.
        """
        if name is None:
            if workflow_def is None:
                raise ValueError("test_workflow needs a workflow name or a workflow_def")
            name = str(workflow_def["name"])
        request: dict[str, Any] = {
            "name": name,
            "input": dict(input or {}),
            "taskRefToMockOutput": {ref: list(results) for ref, results in (mocks or {}).items()},
            "subWorkflowTestRequest": {
                ref: dict(sub) for ref, sub in (sub_workflows or {}).items()
            },
        }
        if version is not None:
            request["version"] = version
        if workflow_def is not None:
            request["workflowDef"] = dict(workflow_def)
        if task_to_domain:
            request["taskToDomain"] = dict(task_to_domain)
        if correlation_id is not None:
            request["correlationId"] = correlation_id
        __tracebackhide__ = True
        try:
            run: dict[str, Any] = self._api("POST", "/workflow/test", json=request).json()
        except AdminError as error:
            if error.status == 404 and workflow_def is None:
                error.add_hint(self._workflow_name_hint(name))
            raise
        return run

    # -- re-driving and finding workflows (Conductor's API: a real server answers them too) ----
    def retry_workflow(self, workflow_id: str, *, resume_subworkflow_tasks: bool = False) -> None:
        """Retries an ended workflow from its failed tasks; with ``resume_subworkflow_tasks``,
        the deepest failed sub-workflow is retried in place instead."""
        params = {"resumeSubworkflowTasks": str(resume_subworkflow_tasks).lower()}
        self._api("POST", f"/workflow/{_segment(workflow_id)}/retry", params=params)

    def restart_workflow(self, workflow_id: str, *, use_latest_definitions: bool = False) -> None:
        """Runs an ended workflow again from its start (on its latest definition if asked)."""
        params = {"useLatestDefinitions": str(use_latest_definitions).lower()}
        self._api("POST", f"/workflow/{_segment(workflow_id)}/restart", params=params)

    def rerun_workflow(
        self,
        workflow_id: str,
        *,
        from_task_id: str | None = None,
        workflow_input: Mapping[str, Any] | None = None,
        task_input: Mapping[str, Any] | None = None,
        correlation_id: str | None = None,
    ) -> str:
        """Reruns an ended workflow from the task ``from_task_id`` (from its start without
        one), with new workflow and task input if given; returns the workflow id."""
        request: dict[str, Any] = {}
        if from_task_id is not None:
            request["reRunFromTaskId"] = from_task_id
        if workflow_input is not None:
            request["workflowInput"] = dict(workflow_input)
        if task_input is not None:
            request["taskInput"] = dict(task_input)
        if correlation_id is not None:
            request["correlationId"] = correlation_id
        answer = self._api("POST", f"/workflow/{_segment(workflow_id)}/rerun", json=request)
        return answer.text.strip().strip('"')

    def pause_workflow(self, workflow_id: str) -> None:
        """Pauses a running workflow: no new task is scheduled until it is resumed."""
        self._api("PUT", f"/workflow/{_segment(workflow_id)}/pause")

    def resume_workflow(self, workflow_id: str) -> None:
        self._api("PUT", f"/workflow/{_segment(workflow_id)}/resume")

    def skip_task(
        self,
        workflow_id: str,
        reference_name: str,
        *,
        task_input: Mapping[str, Any] | None = None,
        task_output: Mapping[str, Any] | None = None,
    ) -> None:
        """Marks a task of a running workflow that has not run yet SKIPPED. Conductor reads its
        input and output from query parameters: their values arrive as text."""
        params = [(f"taskInput[{key}]", str(value)) for key, value in (task_input or {}).items()]
        params += [(f"taskOutput[{key}]", str(value)) for key, value in (task_output or {}).items()]
        path = f"/workflow/{_segment(workflow_id)}/skiptask/{_segment(reference_name)}"
        self._api("PUT", path, params=params)

    def terminate_workflow(self, workflow_id: str, reason: str | None = None) -> None:
        """Ends a workflow as TERMINATED, with ``reason`` as its reasonForIncompletion."""
        params = {"reason": reason} if reason is not None else {}
        self._api("DELETE", f"/workflow/{_segment(workflow_id)}", params=params)

    def remove_workflow(self, workflow_id: str, *, archive: bool = True) -> None:
        """Removes an ended workflow; archived (the default), it can still be read and found."""
        params = {"archiveWorkflow": str(archive).lower()}
        self._api("DELETE", f"/workflow/{_segment(workflow_id)}/remove", params=params)

    def search_workflows(
        self,
        query: str | None = None,
        *,
        free_text: str = "*",
        start: int = 0,
        size: int = 100,
        sort: str | None = None,
    ) -> dict[str, Any]:
        """Conductor's workflow search: ``{"totalHits", "results": [workflow summaries]}``
        (e.g. ``query="workflowType = 'orders' AND status = 'FAILED'"``)."""
        params: dict[str, Any] = {"freeText": free_text, "start": start, "size": size}
        if query is not None:
            params["query"] = query
        if sort is not None:
            params["sort"] = sort
        found: dict[str, Any] = self._api("GET", "/workflow/search", params=params).json()
        return found

    def wait_for_workflow(
        self, workflow_id: str, status: str = "COMPLETED", *, timeout: float = 30.0
    ) -> WaitResult:
        """Waits until the workflow reaches ``status``; fails at once, with the workflow's
        reason, when it ends in another status.

        ``timeout`` is in real seconds, however fast the server's clock runs; the answer is the
        workflow, with ``real_seconds`` and ``server_seconds`` (how much server time passed).
        Either failure names each failed attempt of the workflow's tasks (its sub-workflows'
        included), with its reason and the last lines of its logs.
        """
        __tracebackhide__ = True
        status = checked_workflow_status(status)
        seen: dict[str, Any] = {}
        span = ServerTimeSpan(self._fake_clock)

        def reached() -> dict[str, Any] | None:
            __tracebackhide__ = True
            seen.update(self.get_workflow(workflow_id))
            current = seen.get("status")
            if current == status:
                return dict(seen)
            if current in TERMINAL_WORKFLOW_STATUSES:
                family = _family(self, seen)
                raise AssertionError(
                    f"workflow {workflow_id} ended {current}, expected {status}: "
                    f"{seen.get('reasonForIncompletion') or 'no reason given'}"
                    f"{self.explain_failures(family)}"
                )
            return None

        try:
            workflow = wait_until(
                reached,
                timeout=timeout,
                message=lambda: (
                    f"workflow {workflow_id} to reach {status} (last status {seen.get('status')})"
                ),
            )
        except WaitTimeout as error:
            family = _family(self, seen)
            why = self.explain_stuck(str(w.get("workflowId")) for w in family)
            failures = self.explain_failures(family)
            raise WaitTimeout(f"{error}{span.note()}{why}{failures}") from None
        return span.result(workflow)

    # -- tasks and queues -------------------------------------------------------------------
    def task_logs(self, task_id: str) -> list[str]:
        """The task's log lines as its workers sent them (``GET /tasks/{taskId}/log``)."""
        answer = self._api("GET", f"/tasks/{_segment(task_id)}/log")
        if answer.status_code == 204 or not answer.text.strip():
            return []
        return [str(entry.get("log", "")) for entry in answer.json() if isinstance(entry, dict)]

    def get_task(self, task_id: str) -> dict[str, Any]:
        task: dict[str, Any] = self._api("GET", f"/tasks/{task_id}").json()
        return task

    def poll_data(self, task_type: str) -> list[dict[str, Any]]:
        params = {"taskType": task_type}
        data: list[dict[str, Any]] = self._api("GET", "/tasks/queue/polldata", params=params).json()
        return data

    def queue_size(self, task_type: str) -> int:
        """Tasks waiting in the queue of ``task_type`` (Conductor's ``/tasks/queue/size``)."""
        return int(self._api("GET", "/tasks/queue/size", params={"taskType": task_type}).json())

    def queue_sizes(self) -> dict[str, int]:
        sizes: dict[str, int] = self._api("GET", "/tasks/queue/all").json()
        return sizes

    # -- the fake server's admin API ----------------------------------------------------------
    def reset(self) -> None:
        self._fake("POST", "/reset")

    def enqueue(
        self,
        task_type: str,
        count: int = 1,
        *,
        domain: str | None = None,
        input: Mapping[str, Any] | None = None,
    ) -> list[str]:
        """Schedules ``count`` ad-hoc tasks (no workflow) and returns their ids."""
        body: dict[str, Any] = {"taskType": task_type, "count": count, "input": dict(input or {})}
        if domain:
            body["domain"] = domain
        task_ids: list[str] = self._fake("POST", "/tasks", json=body).json()["taskIds"]
        return task_ids

    @property
    def faults(self) -> FaultsClient:
        """The fake server's fault injection (see :mod:`harness.faults`)."""
        return FaultsClient(self)

    def diagnose(self) -> dict[str, Any]:
        """The fake server's view of what is not moving, and why (``GET /fake/diagnose``)."""
        diagnosis: dict[str, Any] = self._fake("GET", "/diagnose").json()
        return diagnosis

    def explain_stuck(self, workflow_ids: Iterable[str] | None = None) -> str:
        """The server's diagnosis as lines to append to a timeout message: for the tasks of
        ``workflow_ids`` (all tasks when None); empty when nothing is stuck, or when the
        server is not the fake one (a real Conductor has no diagnosis)."""
        try:
            findings = self.diagnose()["findings"]
        except (AdminError, requests.RequestException, ValueError, KeyError):
            return ""
        if workflow_ids is not None:
            wanted = set(workflow_ids)
            findings = [f for f in findings if f.get("workflowId") in wanted]
        if not findings:
            return ""
        # Tasks queued alike (no workflow, same type and cause) are one line, with their count.
        lines = Counter(describe_finding(finding) for finding in findings)
        return "\nwhy, according to the fake server (GET /fake/diagnose):\n" + "\n".join(
            f"  - {line}" + (f" ({count} tasks like this)" if count > 1 else "")
            for line, count in lines.items()
        )

    def explain_failures(self, workflows: Iterable[Mapping[str, Any]]) -> str:
        """Lines to append to a failure message: each failed attempt of the tasks of
        ``workflows`` (with their tasks), its reason and the last lines of its logs."""
        tasks = [task for workflow in workflows for task in workflow.get("tasks") or []]
        return describe_failed_attempts(tasks, self._logs_or_nothing)

    def _logs_or_nothing(self, task_id: str) -> list[str]:
        try:
            return self.task_logs(task_id)
        except (AdminError, requests.RequestException, ValueError):
            return []

    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = self._fake("GET", "/stats").json()
        return stats

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = self._fake("GET", "/state").json()
        return state

    # -- the fake server's clock --------------------------------------------------------------
    def clock(self) -> dict[str, Any]:
        """``{"now": ms, "manual": bool}``, and ``"timeSkipping"`` on a time-skipping server
        (see ``fake_server.http.admin``)."""
        clock: dict[str, Any] = self._fake("GET", "/clock").json()
        return clock

    def server_time_ms(self) -> int:
        """The server's time, in epoch milliseconds (ahead of this machine's by what it
        skipped)."""
        return int(self.clock()["now"])

    def advance_clock(self, seconds: float) -> None:
        """Moves the server's clock forward and fires what comes due: a manual clock, or a
        time-skipping one (what it does not skip by itself, such as a running task's response
        timeout). Fails on a server with the system clock."""
        self._fake("POST", "/clock/advance", json={"ms": int(seconds * 1000)})

    def set_time_skipping(self, enabled: bool) -> bool:
        """Switches time skipping on or off; returns whether it was on. Fails on a server
        started without time skipping."""
        answer = self._fake("POST", "/clock/time-skipping", json={"enabled": bool(enabled)})
        return bool(answer.json()["wasEnabled"])

    @contextmanager
    def time_skipping(self, enabled: bool = True) -> Iterator[None]:
        """Time skipping on (or, with ``enabled=False``, off) for the length of a block, then
        as it was before."""
        was_enabled = self.set_time_skipping(enabled)
        try:
            yield
        finally:
            self.set_time_skipping(was_enabled)

    def _fake_clock(self) -> dict[str, Any] | None:
        """``GET /fake/clock``, or None from a server without it (a real Conductor)."""
        if not self._has_fake_clock:
            return None
        try:
            return self.clock()
        except AdminError as error:
            if error.status >= 500:
                raise
            self._has_fake_clock = False
            return None

    def wait_until_idle(self, *, timeout: float = 30.0) -> WaitResult:
        """Waits until no task is scheduled or in progress in any queue; returns the stats,
        with ``real_seconds`` and ``server_seconds`` (``timeout`` is in real seconds). Its
        timeout names what is busy, why, and each failed attempt of the server's tasks."""
        __tracebackhide__ = True
        span = ServerTimeSpan(self._fake_clock)

        def idle() -> dict[str, Any] | None:
            stats = self.stats()
            busy = {
                name: queue
                for name, queue in stats.get("queues", {}).items()
                if queue.get("scheduled") or queue.get("inProgress")
            }
            return None if busy else stats

        try:
            stats = wait_until(idle, timeout=timeout, message="all queues to be idle")
        except WaitTimeout as error:
            busy = {
                name: queue
                for name, queue in self.stats().get("queues", {}).items()
                if queue.get("scheduled") or queue.get("inProgress")
            }
            try:
                failures = self.explain_failures([self.state()])
            except (AdminError, requests.RequestException, ValueError):
                failures = ""  # not the fake server
            raise WaitTimeout(
                f"{error}; queues not idle: {busy}{span.note()}{self.explain_stuck()}{failures}"
            ) from None
        return span.result(stats)


def describe_finding(finding: Mapping[str, Any]) -> str:
    """One line for a finding of ``GET /fake/diagnose``: which task, then why."""
    where = finding.get("workflowName")
    owner = f"workflow {where} {finding.get('workflowId')}" if where else "no workflow"
    domain = f" in domain {finding['domain']}" if finding.get("domain") else ""
    return (
        f"task {finding.get('taskType')}{domain} ({finding.get('status', '').lower()}, "
        f"ref {finding.get('referenceTaskName')}, {owner}): {finding.get('message')}"
    )


def checked_workflow_status(status: str) -> str:
    """``status`` when it is a workflow status; else an error that lists them (and the one
    closest to what was written)."""
    if status in WORKFLOW_STATUSES:
        return status
    close = difflib.get_close_matches(str(status).upper(), WORKFLOW_STATUSES, n=1)
    guess = f" (did you mean {close[0]!r}?)" if close else ""
    raise ValueError(
        f"{status!r} is not a workflow status{guess}; the statuses: {', '.join(WORKFLOW_STATUSES)}"
    )


def _family(admin: AdminClient, workflow: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A workflow (with its tasks) and the sub-workflows it started, at any depth."""
    family = [workflow]
    ids = {str(workflow.get("workflowId"))}
    pending = [workflow]
    while pending and len(ids) < 100:
        current = pending.pop()
        for task in current.get("tasks") or []:
            child = task.get("subWorkflowId")
            if child and child not in ids:
                ids.add(child)
                try:
                    found = admin.get_workflow(child)
                except (AdminError, requests.RequestException):
                    continue
                family.append(found)
                pending.append(found)
    return family


def _segment(value: str) -> str:
    """``value`` as one path segment (a ``/`` in it included)."""
    return quote(value, safe="")
