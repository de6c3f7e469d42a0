"""Running real worker processes for the length of a block, against any Conductor server.

The workers run with the ``TaskHandler`` of the Conductor SDK that is installed, this
repository's or conductor-python 2.0.0, through the API both share: ``TaskHandler(workers,
configuration, scan_for_annotated_workers=..., import_modules=...)``, ``start_processes()``,
``stop_processes()`` and ``get_worker_process_status()``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from conductor.client.automator.task_handler import TaskHandler
from conductor.client.configuration.configuration import Configuration
from conductor.client.worker.worker_interface import WorkerInterface
from harness.admin import AdminClient
from harness.wait_timing import WaitResult
from harness.worker_output import configuration_redirecting, redirected_children


class RunningWorkers:
    """Worker processes started by ``run_workers``; ``drain()`` is the burst mode."""

    def __init__(self, handler: TaskHandler, admin: AdminClient) -> None:
        self.handler = handler
        self.admin = admin

    def drain(self, *, timeout: float = 30.0) -> WaitResult:
        """Returns the server's stats once every queue is empty and no task is in progress,
        with ``real_seconds`` and ``server_seconds`` (``timeout`` is in real seconds, however
        fast a time-skipping server's clock runs).

        Raises when a worker process died meanwhile, so a crash is not mistaken for slowness.
        """
        __tracebackhide__ = True
        self.check_alive()
        stats = self.admin.wait_until_idle(timeout=timeout)
        self.check_alive()
        return stats

    def check_alive(self) -> None:
        """Raises when a worker process died, also one that ``TaskHandler`` restarted since
        (with this repository's SDK; conductor-python's ``TaskHandler`` keeps no exit code of
        a process it replaced, so a crash it restarted in time goes unseen there)."""
        __tracebackhide__ = True
        dead = []
        for status in self._process_statuses():
            # exit_codes (earlier processes that died) is this repository's SDK's alone
            codes = list(status.get("exit_codes", []))
            if not status["alive"] and status["exitcode"] is not None and not codes[-1:]:
                codes.append(status["exitcode"])
            if codes:
                shown = ", ".join(str(code) for code in codes)
                dead.append(f"worker-{status['worker']} (exit code {shown})")
        if dead:
            raise AssertionError(f"worker processes died: {', '.join(dead)}")

    def _process_statuses(self) -> list[dict[str, Any]]:
        """``TaskHandler.get_worker_process_status()`` (this SDK, conductor-python 2.0.0), else
        the same facts read from the processes (conductor-python 1.x)."""
        if hasattr(self.handler, "get_worker_process_status"):
            statuses: list[dict[str, Any]] = self.handler.get_worker_process_status()
            return statuses
        return [
            {"worker": index, "alive": process.is_alive(), "exitcode": process.exitcode}
            for index, process in enumerate(self.processes)
        ]

    @property
    def processes(self) -> list[Any]:
        """The worker processes running now (``TaskHandler.processes`` of this repository's SDK,
        ``task_runner_processes`` of conductor-python)."""
        for name in ("processes", "task_runner_processes"):
            processes = getattr(self.handler, name, None)
            if processes is not None:
                return list(processes)
        raise NotImplementedError(
            "RunningWorkers.processes needs TaskHandler.processes (this repository's SDK) or "
            f"TaskHandler.task_runner_processes (conductor-python); {_sdk_name()}'s has neither"
        )


def _sdk_name() -> str:
    """The distribution that installed ``conductor.client`` (for messages)."""
    import importlib.metadata

    names = importlib.metadata.packages_distributions().get("conductor") or ["the installed SDK"]
    return names[0]


@contextmanager
def run_workers(
    workers: Sequence[WorkerInterface],
    api_url: str,
    *,
    import_modules: Sequence[str] | None = None,
    scan_for_annotated_workers: bool | None = None,
    configuration: Configuration | None = None,
    output: str | Path | None = None,
) -> Iterator[RunningWorkers]:
    """Starts a real ``TaskHandler`` (one process per worker) and stops it on exit, also when
    the block raises.

    ``scan_for_annotated_workers`` is passed on when given, else each SDK applies its own
    default (this repository's SDK adds the decorated functions of ``import_modules``;
    conductor-python 2.0.0 adds every decorated function it has seen). With ``output``, what
    the worker processes print and log goes to that file (see :mod:`harness.worker_output`).
    """
    configuration = configuration or Configuration(server_api_url=api_url)
    options: dict[str, Any] = {}
    if scan_for_annotated_workers is not None:
        options["scan_for_annotated_workers"] = scan_for_annotated_workers
    if import_modules:
        options["import_modules"] = list(import_modules)
    with ExitStack() as stack:
        if output is not None:
            stack.enter_context(redirected_children(output))
            configuration = configuration_redirecting(configuration, output)
        handler = TaskHandler(workers=list(workers), configuration=configuration, **options)
        admin = stack.enter_context(AdminClient(api_url))
        handler.start_processes()
        try:
            yield RunningWorkers(handler, admin)
        finally:
            handler.stop_processes()
