"""Running real worker processes for the length of a block, against any Conductor server."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from conductor.client.automator.task_handler import TaskHandler
from conductor.client.configuration.configuration import Configuration
from conductor.client.worker.worker_interface import WorkerInterface
from harness.admin import AdminClient
from harness.server_time import WaitResult


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
        self.check_alive()
        stats = self.admin.wait_until_idle(timeout=timeout)
        self.check_alive()
        return stats

    def check_alive(self) -> None:
        """Raises when a worker process died, also one that ``TaskHandler`` restarted since."""
        dead = []
        for status in self.handler.get_worker_process_status():
            codes = list(status["exit_codes"])
            if not status["alive"] and status["exitcode"] is not None and not codes[-1:]:
                codes.append(status["exitcode"])
            if codes:
                shown = ", ".join(str(code) for code in codes)
                dead.append(f"worker-{status['worker']} (exit code {shown})")
        if dead:
            raise AssertionError(f"worker processes died: {', '.join(dead)}")

    @property
    def processes(self) -> list[Any]:
        return list(self.handler.processes)


@contextmanager
def run_workers(
    workers: Sequence[WorkerInterface],
    api_url: str,
    *,
    import_modules: Sequence[str] | None = None,
    scan_for_annotated_workers: bool = False,
    configuration: Configuration | None = None,
) -> Iterator[RunningWorkers]:
    """Starts a real ``TaskHandler`` (one process per worker) and stops it on exit, also when
    the block raises."""
    handler = TaskHandler(
        workers=list(workers),
        configuration=configuration or Configuration(server_api_url=api_url),
        scan_for_annotated_workers=scan_for_annotated_workers,
        import_modules=list(import_modules) if import_modules else None,
    )
    admin = AdminClient(api_url)
    handler.start_processes()
    try:
        yield RunningWorkers(handler, admin)
    finally:
        handler.stop_processes()
        admin.close()
