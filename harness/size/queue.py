"""The sizing run's own queue on a Conductor server (the fake one or a real one), through
Conductor's public API only, so that it measures the same way on both.

It registers a task definition and a one-task workflow definition named ``harness_size__`` +
the worker's task name (so it can never take a production task), starts workflows at the
goal's rate (which is how Conductor's API enqueues a task), reads each task's scheduled,
start and end times from the server, and removes every workflow and definition it created,
also when the run fails or is interrupted (``with SizingQueue(...)``). It refuses to start
when its queue already holds tasks: another sizing run, or one killed before it cleaned up.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from harness.admin import AdminClient, AdminError
from harness.waiting import wait_until

PREFIX = "harness_size__"
ENDED = {"COMPLETED", "FAILED", "TERMINATED", "TIMED_OUT"}
FEEDERS = 4  # threads starting workflows: one HTTP round trip each cannot keep up with 400/s
READERS = 8  # threads reading and removing workflows after a run


class QueueBusy(RuntimeError):
    """The sizing queue already holds tasks; the message says why that stops the run."""


def queue_name(task_name: str) -> str:
    """The sizing run's task (and workflow) name for a worker's task name."""
    return PREFIX + re.sub(r"[^A-Za-z0-9_-]", "_", task_name)


class SizingQueue:
    """Definitions, workflows and timestamps of one worker's sizing runs on one server."""

    def __init__(self, admin: AdminClient, task_name: str) -> None:
        self.admin, self.task = admin, queue_name(task_name)
        self._workflows: dict[tuple[str, ...], str] = {}  # input keys -> workflow name
        self._created: list[str] = []
        self._lock = threading.Lock()

    def __enter__(self) -> SizingQueue:
        waiting = self.admin.queue_size(self.task)
        if waiting:
            raise QueueBusy(
                f"the sizing queue {self.task} already holds {waiting} task(s): another sizing "
                "run of this worker is using it, or one was killed before it removed its "
                "workflows; measuring now would count their tasks too. Wait for that run, or "
                f"terminate the RUNNING workflows named {self.task}* on this server"
            )
        definition = {
            "name": self.task,
            "description": "created by python -m harness size; removed when it ends",
            "retryCount": 0,  # an exception counts once, as an error
            "timeoutSeconds": 0,
            "responseTimeoutSeconds": 600,
            "ownerEmail": "harness-size@example.com",
        }
        self.admin.register_task_defs([definition])
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove(self._created)
        for name in self._workflows.values():
            with contextlib.suppress(AdminError):
                self.admin.delete_workflow_def(name, 1)
        with contextlib.suppress(AdminError):
            self.admin.delete_task_def(self.task)

    def _workflow_for(self, keys: tuple[str, ...]) -> str:
        """A one-task workflow passing these input keys to the task (Conductor passes only
        the keys a definition names, so each set of keys has a definition of its own)."""
        if keys not in self._workflows:
            name = f"{self.task}__{len(self._workflows) + 1}"
            self.admin.register_workflow(
                {
                    "name": name,
                    "version": 1,
                    "schemaVersion": 2,
                    "timeoutSeconds": 0,
                    "timeoutPolicy": "ALERT_ONLY",
                    "ownerEmail": "harness-size@example.com",
                    "tasks": [
                        {
                            "name": self.task,
                            "taskReferenceName": "sized",
                            "type": "SIMPLE",
                            "inputParameters": {k: f"${{workflow.input.{k}}}" for k in keys},
                        }
                    ],
                }
            )
            self._workflows[keys] = name
        return self._workflows[keys]

    def feed(self, inputs: Sequence[Mapping[str, Any]], rate: float) -> list[str]:
        """Starts one workflow per input, evenly paced at ``rate`` per second from now; the
        workflow ids. Starts that fall behind the pace are sent at once (the server's own
        scheduled times then show the rate it really took)."""
        names = [self._workflow_for(tuple(sorted(i))) for i in inputs]
        ids: list[str | None] = [None] * len(inputs)
        started, cursor, lock = time.monotonic(), iter(range(len(inputs))), threading.Lock()
        stop = threading.Event()  # set when the caller is interrupted (Ctrl-C)

        def start_some() -> None:
            while not stop.is_set():
                with lock:
                    index = next(cursor, None)
                if index is None:
                    return
                # The pace of the load (part of the measurement, not a wait for a condition).
                if stop.wait(max(started + index / rate - time.monotonic(), 0)):
                    return
                ids[index] = self.admin.start_workflow(names[index], dict(inputs[index]))
                with self._lock:
                    self._created.append(str(ids[index]))

        with ThreadPoolExecutor(FEEDERS) as pool:
            try:
                for future in [pool.submit(start_some) for _ in range(FEEDERS)]:
                    future.result()
            except BaseException:
                stop.set()
                raise
        return [str(i) for i in ids if i is not None]

    def wait_taken(self, timeout: float) -> bool:
        """Waits until the queue is empty (every task handed out); False if it was not within
        ``timeout`` (the workers could not keep up)."""
        with contextlib.suppress(AssertionError):
            wait_until(lambda: self.admin.queue_size(self.task) == 0, timeout=timeout)
            return True
        return False

    def read(self, ids: Sequence[str], timeout: float = 30.0) -> list[dict[str, Any]]:
        """The task of each workflow as the server has it, once it ended (or ``timeout``
        passed): status, scheduled/start/end times, reason."""

        def task_of(workflow_id: str) -> dict[str, Any]:
            workflow = self.admin.get_workflow(workflow_id)
            task = dict((workflow.get("tasks") or [{}])[0])
            task["workflowStatus"] = workflow.get("status")
            return task

        with ThreadPoolExecutor(READERS) as pool:
            found = dict(zip(ids, pool.map(task_of, ids), strict=True))
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                open_ids = [i for i, t in found.items() if t.get("workflowStatus") not in ENDED]
                if not open_ids:
                    break
                time.sleep(0.1)  # tasks still in a worker's hands: their last moments
                found.update(zip(open_ids, pool.map(task_of, open_ids), strict=True))
        return list(found.values())

    def remove(self, ids: Iterable[str], running: Iterable[str] | None = None) -> None:
        """Terminates what still runs (``running``; ``None``: it is not known, try each) and
        removes the workflows (their tasks go with them)."""
        still = None if running is None else set(running)

        def remove_one(workflow_id: str) -> None:
            if still is None or workflow_id in still:
                with contextlib.suppress(AdminError):
                    self.admin.terminate_workflow(workflow_id, "sizing run ended")
            with contextlib.suppress(AdminError):
                self.admin.remove_workflow(workflow_id, archive=False)

        ids = list(ids)
        with ThreadPoolExecutor(READERS) as pool:
            list(pool.map(remove_one, ids))
        with self._lock:
            gone = set(ids)
            self._created = [i for i in self._created if i not in gone]
