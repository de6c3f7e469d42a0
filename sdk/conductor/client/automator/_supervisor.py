"""Watching a ``TaskHandler``'s worker processes: restarts, and giving back a dead one's tasks.

One thread in the supervising process waits on the worker processes' sentinels, so a death is
seen at once (not at the next look every ``monitor_interval_seconds``). For each process that
ends while the handler is not stopping:

- the tasks it held (``HeldTasks``: received, result not delivered) are given back to the
  server at once, reported ``IN_PROGRESS`` with ``callbackAfterSeconds=0``, by a client of
  this process's own; they run again within seconds instead of after their response timeout.
  Conductor delivers at least once: a task cut off mid-way runs again from its start;
- one warning says which process ended, its exit code (or signal), and what happens next;
- a task that was held by two processes that died is reported ``FAILED`` instead (a task that
  crashes its process would otherwise kill every process it is handed to); its retries follow
  its task definition;
- it is restarted (``restart_on_failure``): at once after a death that follows a good run;
  with backoff (``restart_backoff_seconds`` doubling up to ``restart_backoff_max_seconds``)
  while it keeps dying within ``STARTUP_GRACE_SECONDS`` of its start, which is reported as
  such; and given up after ``restart_max_attempts`` restarts when that is not 0. A process that
  ends with exit code 0 was stopped by a signal (Ctrl-C in the terminal reaches every process
  of the group, or someone sent it SIGTERM): it is not restarted.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing.connection
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from typing import Any

from conductor.client.automator._held_tasks import HeldTasks
from conductor.client.worker.worker_config import WorkerSettings
from conductor.client.worker.worker_interface import WorkerInterface

logger = logging.getLogger(__name__)

STARTUP_GRACE_SECONDS = 10.0  # a process that dies sooner "dies at start"
KEEPS_DYING_AFTER = 3  # quick deaths in a row before the worker is reported as failing to start
POISON_DEATHS = 2  # a task held by this many dead processes is failed, not given back again


@dataclass(frozen=True)
class RestartPolicy:
    """conductor-python 2.0.0's supervision arguments of ``TaskHandler``."""

    monitor_processes: bool = True
    restart_on_failure: bool = True
    monitor_interval_seconds: float = 5.0
    restart_backoff_seconds: float = 1.0
    restart_backoff_max_seconds: float = 60.0
    restart_max_attempts: int = 0

    @property
    def restarts(self) -> bool:
        return self.monitor_processes and self.restart_on_failure

    def delay(self, quick_deaths: int) -> float:
        """Seconds before the next start, after ``quick_deaths`` deaths at start in a row."""
        if quick_deaths == 0:
            return 0.0
        backoff = self.restart_backoff_seconds * 2.0 ** min(quick_deaths - 1, 32)
        return min(self.restart_backoff_max_seconds, backoff)


@dataclass
class WorkerSlot:
    """One worker of the handler, and the process that runs it now."""

    worker: WorkerInterface
    settings: WorkerSettings
    held: HeldTasks
    process: BaseProcess | None = None
    started_at: float = 0.0
    restarts: int = 0
    quick_deaths: int = 0
    restart_at: float | None = None  # monotonic time of the next start, when one is due
    given_up: bool = False
    exit_codes: list[int] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.settings.task_name

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.is_alive()


class Supervisor:
    """The thread that handles deaths and restarts of the worker processes in ``slots``.

    Arguments:
        slots: the workers and their processes.
        start: starts a new process for a slot (sets ``slot.process``).
        give_back: ``(task name, held, poisonous, exit)``: reports the (task id, workflow id)
            pairs ``held`` to the server, ``IN_PROGRESS`` at once, except those in
            ``poisonous``, which are reported ``FAILED`` (their process died as ``exit``).
        policy: the restart rules.
        on_exit: called with each dead process's pid (metrics drop its live gauges).
        on_restart: called with the task name of each restarted worker.
    """

    def __init__(
        self,
        slots: list[WorkerSlot],
        start: Callable[[WorkerSlot], None],
        give_back: Callable[[str, list[tuple[str, str]], list[str], str], None],
        policy: RestartPolicy,
        *,
        on_exit: Callable[[int], None] | None = None,
        on_restart: Callable[[str], None] | None = None,
    ) -> None:
        self.slots = slots
        self.policy = policy
        self._start = start
        self._give_back = give_back
        self._on_exit = on_exit
        self._on_restart = on_restart
        self._stopping = threading.Event()
        self._done = threading.Event()  # nothing runs and nothing will be restarted
        self._lock = threading.Lock()  # the slots' processes, against stop()
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._wake_writer.setblocking(False)
        # Readable once nothing runs and nothing will be restarted (join_processes waits on it).
        self._done_reader, self._done_writer = socket.socketpair()
        self._thread: threading.Thread | None = None
        self._handled: set[int] = set()  # ids of processes whose end was handled
        self._deaths_with: dict[str, int] = {}  # task id -> deaths of processes running it

    # -- public ------------------------------------------------------------------------------

    @property
    def done(self) -> threading.Event:
        """Set when no worker process runs and none will be restarted."""
        return self._done

    @property
    def done_waitable(self) -> socket.socket:
        """A socket that becomes readable when ``done`` is set."""
        return self._done_reader

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="worker-supervisor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """No more restarts; the thread ends. Processes are left to the caller to stop."""
        self._stopping.set()
        self._wake()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(10)
        for end in (self._wake_reader, self._wake_writer, self._done_reader, self._done_writer):
            end.close()

    def collect(self, slot: WorkerSlot, *, stopping: bool = False) -> int:
        """Gives back what a process that ended (during a stop, too) still held; returns how
        many tasks that was. While ``stopping``, the death is not held against its tasks (it
        was killed for not stopping in time)."""
        process = slot.process
        if process is None or process.exitcode is None or id(process) in self._handled:
            return 0
        self._handled.add(id(process))
        held = slot.held.held()
        slot.held.clear()
        # A worker thread (CONDUCTOR_WORKER_ISOLATION=thread) has this process's pid: its end
        # must not mark this process, which goes on running the others, as dead.
        if process.pid not in (None, os.getpid()) and self._on_exit is not None:
            self._on_exit(process.pid)
        if not held:
            return 0
        # A task that was running in each of two processes that died is most likely what
        # kills them: fail it rather than hand it to a third.
        poisonous: list[str] = []
        for task_id, _ in [] if stopping else held:
            self._deaths_with[task_id] = self._deaths_with.get(task_id, 0) + 1
            if self._deaths_with[task_id] >= POISON_DEATHS:
                poisonous.append(task_id)
        why = "killed while stopping" if stopping else describe_exit(process.exitcode)
        self._give_back(slot.name, held, poisonous, why)
        return len(held)

    # -- the thread --------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self._stopping.is_set():
                self._wait()
                if self._stopping.is_set():
                    return
                with self._lock:
                    if self._stopping.is_set():
                        return
                    self._handle_exits()
                    self._start_due()
                    if not any(self._still_running(slot) for slot in self.slots):
                        self._done.set()
                        self._done_writer.send(b"\0")
                        return
        except Exception:  # a bug: say so; the workers keep running unsupervised
            logger.exception("Worker supervision failed; dead workers are no longer restarted")

    def _still_running(self, slot: WorkerSlot) -> bool:
        """Alive, or ended but not handled yet, or due for a restart."""
        unhandled = slot.process is not None and id(slot.process) not in self._handled
        return unhandled or slot.restart_at is not None

    def _wait(self) -> None:
        waitables: list[Any] = [self._wake_reader]
        # Every process whose end is not handled yet: a dead one's sentinel is ready at once.
        waitables += [
            s.process.sentinel
            for s in self.slots
            if s.process is not None and id(s.process) not in self._handled
        ]
        timeout = self.policy.monitor_interval_seconds
        pending = [s.restart_at for s in self.slots if s.restart_at is not None]
        if pending:
            timeout = max(0.0, min(timeout, min(pending) - time.monotonic()))
        ready = multiprocessing.connection.wait(waitables, timeout)
        if self._wake_reader in ready:
            with contextlib.suppress(OSError):
                self._wake_reader.recv(64)

    def _handle_exits(self) -> None:
        for slot in self.slots:
            process = slot.process
            if process is None or process.exitcode is None or id(process) in self._handled:
                continue
            held_count = len(slot.held.held())
            self.collect(slot)
            self._plan_restart(slot, process, held_count)

    def _plan_restart(self, slot: WorkerSlot, process: BaseProcess, held_count: int) -> None:
        code = process.exitcode if process.exitcode is not None else 0
        slot.exit_codes.append(code)
        ran = time.monotonic() - slot.started_at
        slot.quick_deaths = slot.quick_deaths + 1 if ran < STARTUP_GRACE_SECONDS else 0
        given_back = f"; gave back the {held_count} task(s) it held" if held_count else ""
        limit = self.policy.restart_max_attempts
        if code == 0:  # stopped as asked: Ctrl-C in the terminal reaches every worker process
            next_step = "not restarting it (it was stopped by a signal, e.g. Ctrl-C)"
            slot.given_up = True
        elif not self.policy.restarts:
            next_step = "not restarting it (restart_on_failure is off)"
            slot.given_up = True
        elif limit and slot.restarts >= limit:
            next_step = f"giving up on it after {slot.restarts} restart(s) (restart_max_attempts)"
            slot.given_up = True
        else:
            delay = self.policy.delay(slot.quick_deaths)
            slot.restart_at = time.monotonic() + delay
            next_step = f"restarting it in {delay:.1f} s" if delay else "restarting it"
        logger.warning(
            "Worker process %s (pid %s) ended after %.1f s with %s%s; %s",
            process.name,
            process.pid,
            ran,
            describe_exit(code),
            given_back,
            next_step,
        )
        if slot.quick_deaths >= KEEPS_DYING_AFTER:
            logger.error(
                "Worker %s keeps dying at start (%d times in a row, exit codes %s): see its "
                "output above",
                slot.name,
                slot.quick_deaths,
                ", ".join(str(c) for c in slot.exit_codes[-slot.quick_deaths :]),
            )
        if slot.given_up and slot.process is not None:
            slot.process.join(0)

    def _start_due(self) -> None:
        now = time.monotonic()
        for slot in self.slots:
            if slot.restart_at is None or slot.restart_at > now:
                continue
            slot.restart_at = None
            old = slot.process
            self._start(slot)
            slot.restarts += 1
            if old is not None:
                with contextlib.suppress(ValueError):
                    old.close()
            if self._on_restart is not None:
                self._on_restart(slot.name)
            new_pid = slot.process.pid if slot.process else None
            logger.info(
                "Restarted worker process for %s (pid %s, restart %d)",
                slot.name,
                new_pid,
                slot.restarts,
            )

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_writer.send(b"\0")


def describe_exit(code: int) -> str:
    """``exit code 1``, or ``signal SIGKILL`` for a process killed by a signal."""
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"signal {signal.Signals(-code).name} (exit code {code})"
    return f"exit code {code}"
