"""Where ``TaskHandler`` runs each worker: a process of its own (the default) or a thread.

``CONDUCTOR_WORKER_ISOLATION=thread`` (conductor-python 2.0.0's variable) runs every worker as
a thread of the main process, for hosts where processes cannot be started (some sandboxes and
minimal VMs). ``process``, empty or unset: one OS process per worker. Any other value is warned
about once and read as ``process``.

In thread mode the worker threads look like processes to the rest of ``TaskHandler`` (start,
join, ``exitcode``, a sentinel to wait on), with these differences: stopping is cooperative
(``terminate()`` and ``kill()`` ask the worker to stop, as SIGTERM does; a task that never
returns cannot be cut off), CPU-bound workers share the GIL, and the workers get no signal
handlers of their own (the main thread's ``TaskHandler`` handles Ctrl-C and SIGTERM).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from typing import Any

__all__ = [
    "ISOLATION_PROCESS",
    "ISOLATION_THREAD",
    "WORKER_ISOLATION_ENV",
    "ThreadContext",
    "WorkerThread",
    "isolation_mode",
]

logger = logging.getLogger(__name__)

WORKER_ISOLATION_ENV = "CONDUCTOR_WORKER_ISOLATION"
ISOLATION_PROCESS = "process"
ISOLATION_THREAD = "thread"
_MODES = (ISOLATION_PROCESS, ISOLATION_THREAD)
_warned_about: set[str] = set()


def isolation_mode(environ: dict[str, str] | None = None) -> str:
    """``process`` or ``thread``, from ``CONDUCTOR_WORKER_ISOLATION`` (case and surrounding
    spaces ignored); a value that is neither is warned about once and read as ``process``."""
    raw = (os.environ if environ is None else environ).get(WORKER_ISOLATION_ENV, "")
    mode = raw.strip().lower() or ISOLATION_PROCESS
    if mode in _MODES:
        return mode
    if raw not in _warned_about:
        _warned_about.add(raw)
        logger.warning(
            "%s=%r is not one of %s: running each worker in a process of its own",
            WORKER_ISOLATION_ENV,
            raw,
            ", ".join(_MODES),
        )
    return ISOLATION_PROCESS


class WorkerThread:
    """A worker run as a thread, with the part of ``multiprocessing.Process``'s interface that
    ``TaskHandler`` and its supervisor use.

    The target says how it is stopped with ``on_stop`` (see ``current``): ``terminate()``
    and ``kill()`` call that.
    """

    def __init__(
        self,
        target: Callable[..., Any],
        args: tuple[Any, ...] = (),
        name: str | None = None,
        daemon: bool = True,
    ) -> None:
        self.name = name or "worker-thread"
        self.daemon = daemon
        self.exitcode: int | None = None
        self._on_stop: Callable[[], None] | None = None
        self._target = target
        self._args = args
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=daemon)
        self._thread.conductor_worker = self  # type: ignore[attr-defined]
        # Readable once the thread has ended: what the supervisor waits on, as on a process.
        self._ended_reader, self._ended_writer = socket.socketpair()
        self._terminate_asked = False

    @staticmethod
    def current() -> WorkerThread | None:
        """The ``WorkerThread`` the calling code runs in, if any."""
        return getattr(threading.current_thread(), "conductor_worker", None)

    @property
    def pid(self) -> int | None:
        return os.getpid() if self._thread.ident is not None else None

    @property
    def sentinel(self) -> int:
        return self._ended_reader.fileno()

    def start(self) -> None:
        self._thread.start()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def on_stop(self, stop: Callable[[], None]) -> None:
        """``stop`` is how ``terminate()`` stops this worker (called at once if it came
        already)."""
        self._on_stop = stop
        if self._terminate_asked:
            stop()

    def terminate(self) -> None:
        """Asks the worker to stop gracefully (as SIGTERM does to a worker process)."""
        self._terminate_asked = True
        if self._on_stop is not None:
            self._on_stop()

    kill = terminate  # a thread cannot be killed: the same cooperative stop

    def close(self) -> None:
        if self._thread.is_alive():
            raise ValueError(f"{self.name} is still running")
        self._ended_reader.close()

    def _run(self) -> None:
        try:
            if not self._terminate_asked:
                self._target(*self._args)
            self.exitcode = 0
        except BaseException:
            logger.exception("Worker thread %s failed", self.name)
            self.exitcode = 1
        finally:
            self._ended_writer.close()  # the reader becomes readable (end of file)


class ThreadContext:
    """What ``TaskHandler.process_context()`` returns in thread mode: ``Process`` makes a
    ``WorkerThread``; the start method reads ``thread``."""

    Process = WorkerThread

    def get_start_method(self) -> str:
        return ISOLATION_THREAD
