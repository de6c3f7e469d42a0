"""The benchmark's child processes, and what ``psutil`` says about processes.

Every child is a plain subprocess with a pipe on its standard input: closing it is the stop
signal, so a child also stops when the benchmark dies. Its standard error goes to a log file
(never a pipe that could fill up), whose tail is shown when the child fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import psutil

# Worker settings the SDKs read from the environment; each SDK runs on its own defaults, so a
# developer's settings must not leak into a run.
_SCRUBBED_PREFIXES = ("conductor_worker", "conductor_auth", "conductor_server_url")


class ChildError(RuntimeError):
    """A child failed to start, ended early or printed no expected line; has its log's tail."""


def clean_environment() -> dict[str, str]:
    """This process's environment without Conductor worker or auth settings."""
    return {k: v for k, v in os.environ.items() if not k.lower().startswith(_SCRUBBED_PREFIXES)}


class Child:
    """A running script that speaks in JSON lines on stdout, the first ``{"ready": true, ...}``
    (``ready``, with the pids of its worker processes, ``"workers"``, if it has some)."""

    def __init__(self, command: Sequence[str], log_path: Path, **popen: Any) -> None:
        self.command, self.log_path = " ".join(command), log_path
        self._log = open(log_path, "w")  # noqa: SIM115  (closed by stop())
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            **popen,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        try:
            self.ready = self.line('"ready"', 60.0)
        except BaseException:
            self.stop(timeout=5)
            raise

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.strip())
        self._lines.put(None)  # the end of its output

    def line(self, marker: str, timeout: float) -> dict[str, Any]:
        """The next line of output that contains ``marker``, decoded."""
        deadline = time.monotonic() + timeout
        why = f"did not print it within {timeout:g} s"
        with contextlib.suppress(queue.Empty):
            while (
                line := self._lines.get(timeout=max(deadline - time.monotonic(), 0))
            ) is not None:
                if marker in line:
                    found: dict[str, Any] = json.loads(line)
                    return found
            self._lines.put(None)  # for the next call too
            why = "ended"
        raise ChildError(
            f"{self.command}: expected a line with {marker}, but it {why}{self.log_tail()}"
        )

    def log_tail(self, characters: int = 3000) -> str:
        if not self._log.closed:
            self._log.flush()
        text = self.log_path.read_text(errors="replace")[-characters:]
        return f"\n--- {self.log_path} (end) ---\n{text}" if text.strip() else ""

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def pids(self) -> list[int]:
        """Its worker processes (the whole tree when it does not say which)."""
        return list(self.ready.get("workers") or []) or process_tree(self.pid)

    def check_alive(self) -> None:
        code = self.process.poll()
        if code is not None:
            raise ChildError(f"{self.command} ended with code {code}{self.log_tail()}")

    def stop(self, timeout: float = 60.0) -> None:
        """Closes its standard input and waits for it to exit (kills it after ``timeout``)."""
        with contextlib.suppress(OSError):  # it may have gone already
            self.process.stdin.close()  # type: ignore[union-attr]
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            for pid in process_tree(self.pid):
                with contextlib.suppress(psutil.NoSuchProcess):
                    psutil.Process(pid).kill()
            self.process.wait(10)
        self._reader.join(5)
        self._log.close()


def process_tree(pid: int) -> list[int]:
    """``pid`` and the pids of every process under it."""
    with contextlib.suppress(psutil.NoSuchProcess):
        return [pid, *(child.pid for child in psutil.Process(pid).children(recursive=True))]
    return []


def cpu_seconds(pids: Iterable[int]) -> float:
    """User + system CPU time used so far by the processes (those still alive)."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            times = psutil.Process(pid).cpu_times()
            total += times.user + times.system
    return total


def rss_mb(pids: Iterable[int]) -> dict[int, float]:
    """Resident memory of each process (those still alive), in MiB."""
    sizes = {}
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            sizes[pid] = psutil.Process(pid).memory_info().rss / (1024 * 1024)
    return sizes


def listening_pid(host: str, port: int) -> int | None:
    """The process on this machine listening on ``port``, when ``host`` is this machine and
    the system lets us see it; else ``None``."""
    if host not in ("127.0.0.1", "localhost", "::1", "0.0.0.0"):
        return None
    try:
        connections = psutil.net_connections(kind="tcp")
    except (psutil.AccessDenied, OSError):
        return None
    for connection in connections:
        if connection.status == psutil.CONN_LISTEN and connection.laddr.port == port:
            return connection.pid
    return None


def cpu_wait_seconds(pids: Iterable[int]) -> float | None:
    """Seconds the processes' threads (those alive) spent ready to run but waiting for a CPU
    so far (Linux's ``/proc/PID/task/TID/schedstat``); ``None`` where the system has none."""
    total, found = 0.0, False
    for pid in pids:
        for stat in Path(f"/proc/{pid}/task").glob("*/schedstat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                total += int(stat.read_text().split()[1]) / 1e9
                found = True
    return total if found else None
