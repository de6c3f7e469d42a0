"""The benchmark's child processes: start a script, read its ready line, stop it; and what
``psutil`` says about processes (CPU time, resident memory).

Every child is a plain subprocess with a pipe on its standard input: closing it is the stop
signal, so a child also stops when the benchmark dies. Its standard error goes to a log file
(never a pipe that could fill up), whose tail is shown when the child fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

INSTALL_HINT = "pip install -e '.[bench]'"
MB = 1024 * 1024
# Worker settings the SDKs read from the environment; the benchmark runs each SDK on its
# defaults, so a developer's own settings must not leak into a run.
_SCRUBBED_PREFIXES = ("conductor_worker", "conductor_auth", "conductor_server_url")


class ChildError(RuntimeError):
    """A benchmark child failed to start or to stop; the message has its log's tail."""


def psutil_module() -> Any:
    try:
        import psutil
    except ImportError:
        raise SystemExit(
            f"the benchmark measures processes with psutil, which is not installed: {INSTALL_HINT}"
        ) from None
    return psutil


def clean_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a child, without Conductor worker or auth settings."""
    source = os.environ if base is None else base
    return {
        key: value
        for key, value in source.items()
        if not key.lower().startswith(_SCRUBBED_PREFIXES)
    }


class Child:
    """A running script that printed a JSON ready line; ``stop()`` ends it."""

    def __init__(
        self,
        command: Sequence[str],
        *,
        log_path: Path,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        startup_timeout: float = 60.0,
        ready_marker: str = '"ready"',
    ) -> None:
        self.command = list(command)
        self.log_path = log_path
        self._log = open(log_path, "w")  # noqa: SIM115  (closed by stop())
        self.process = subprocess.Popen(
            self.command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            cwd=cwd,
            env=dict(env) if env is not None else None,
        )
        self._lines: list[str] = []
        self._line_ready = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        try:
            self.ready_line = self.wait_for_line(ready_marker, startup_timeout)
        except BaseException:
            self.stop(timeout=5)
            raise

    # -- output ------------------------------------------------------------------------------
    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._line_ready:
                self._lines.append(line.rstrip("\n"))
                self._line_ready.notify_all()
        with self._line_ready:
            self._lines.append("")  # end of output
            self._line_ready.notify_all()

    def wait_for_line(self, marker: str, timeout: float) -> str:
        """The first line of output that contains ``marker``."""

        def found() -> str | None:
            return next((line for line in self._lines if marker in line), None)

        with self._line_ready:
            ended = self._line_ready.wait_for(
                lambda: (
                    found() is not None
                    or (self._lines and self._lines[-1] == "" and self.process.poll() is not None)
                ),
                timeout,
            )
            line = found()
        if line is None:
            why = "ended" if ended else f"did not print it within {timeout:g} s"
            raise ChildError(
                f"{' '.join(self.command)}: expected a line with {marker} but the process {why}"
                f"{self.log_tail()}"
            )
        return line

    def json_line(self, marker: str, timeout: float) -> dict[str, Any]:
        return json.loads(self.wait_for_line(marker, timeout))

    def log_tail(self, characters: int = 3000) -> str:
        self._log.flush()
        with contextlib.suppress(OSError):
            text = self.log_path.read_text(errors="replace")[-characters:]
            if text.strip():
                return f"\n--- {self.log_path} (end) ---\n{text}"
        return ""

    # -- control -----------------------------------------------------------------------------
    @property
    def pid(self) -> int:
        return self.process.pid

    def send_line(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()

    def check_alive(self) -> None:
        code = self.process.poll()
        if code is not None:
            raise ChildError(f"{' '.join(self.command)} ended with code {code}{self.log_tail()}")

    def stop(self, timeout: float = 60.0) -> int:
        """Closes its standard input and waits for it to exit (kills it after ``timeout``)."""
        if self.process.stdin is not None and not self.process.stdin.closed:
            with contextlib.suppress(OSError):  # it may have gone already
                self.process.stdin.close()
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            kill_tree(self.process.pid)
            code = self.process.wait(10)
        self._reader.join(5)
        self._log.close()
        return code

    def __enter__(self) -> Child:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def kill_tree(pid: int) -> None:
    """Kills a process and every process under it."""
    psutil = psutil_module()
    try:
        parent = psutil.Process(pid)
        family = [*parent.children(recursive=True), parent]
    except psutil.NoSuchProcess:
        return
    for process in family:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    psutil.wait_procs(family, timeout=10)


def process_tree(pid: int) -> list[int]:
    """``pid`` and the pids of every process under it."""
    psutil = psutil_module()
    parent = psutil.Process(pid)
    return [pid, *(child.pid for child in parent.children(recursive=True))]


def cpu_seconds(pids: Iterable[int]) -> float:
    """User + system CPU time used so far by the processes (those still alive)."""
    psutil = psutil_module()
    total = 0.0
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            times = psutil.Process(pid).cpu_times()
            total += times.user + times.system
    return total


def rss_mb(pids: Iterable[int]) -> dict[int, float]:
    """Resident memory of each process, in MB (MiB)."""
    psutil = psutil_module()
    sizes = {}
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            sizes[pid] = psutil.Process(pid).memory_info().rss / MB
    return sizes
