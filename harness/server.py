"""A handle on a fake Conductor server for tests, scenarios, the demo and the benchmark.

The server runs in a thread of this process (default: cheap, and errors raised inside it are
re-raised in the caller by ``check()``) or as a subprocess (``mode="subprocess"``: its own
interpreter, so the benchmark's server does not share a GIL with the code measuring it). Either
way it binds port 0 and is stopped, with everything it started, when the handle closes.
Its options are those of :class:`fake_server.options.ServerOptions`, given as an object or as
keywords: ``ServerHandle(time_skipping=True)``, ``ServerHandle(mode="subprocess",
backend="waitress")``. ``backend`` picks the HTTP server of a subprocess (granian by default on
Linux, or waitress); a thread runs on waitress. ``handle.backend`` says which.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from typing import TYPE_CHECKING, Any, Literal

from harness.admin import AdminClient
from harness.faults import FaultsClient

if TYPE_CHECKING:
    from fake_server.options import ServerOptions

_URL_PATTERN = re.compile(r"(http://\S+/api)\b")


class ServerError(AssertionError):
    """An exception raised inside the fake server while handling a request."""


class ServerHandle:
    """``ServerHandle(options, mode=..., startup_timeout=...)`` or ``ServerHandle(**keywords)``
    with the keywords of :class:`fake_server.options.ServerOptions` (both: the keywords change
    the options). The server binds port 0 whatever the options say."""

    def __init__(
        self,
        options: ServerOptions | None = None,
        *,
        mode: Literal["thread", "subprocess"] = "thread",
        startup_timeout: float = 20.0,
        **keywords: Any,
    ) -> None:
        from fake_server.options import COMMAND_LINE_BACKEND, ServerOptions

        if mode not in ("thread", "subprocess"):
            raise ValueError(f"mode must be 'thread' or 'subprocess', not {mode!r}")
        self.options = (options or ServerOptions()).replace(port=0, **keywords)
        if mode == "thread" and self.options.backend not in (None, "waitress"):
            raise ValueError(
                f"a server in a thread runs on waitress; {self.options.backend} serves "
                "mode='subprocess'"
            )
        self.mode = mode
        self.backend = self.options.backend or (
            COMMAND_LINE_BACKEND if mode == "subprocess" else "waitress"
        )
        self.startup_timeout = startup_timeout
        self.url = ""
        self._server: Any = None
        self._process: subprocess.Popen[str] | None = None
        self._errors: list[BaseException] = []
        self._errors_lock = threading.Lock()
        self._admin: AdminClient | None = None

    @property
    def auth_key(self) -> str | None:
        return self.options.auth_key

    @property
    def auth_secret(self) -> str | None:
        return self.options.auth_secret

    @property
    def clock(self) -> Any:
        """The server's clock in thread mode (a ``ManualClock`` with ``manual_clock=True``,
        which a test moves), else None."""
        return self._server.engine.clock if self._server is not None else None

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> ServerHandle:
        if self.mode == "thread":
            self._start_thread()
        else:
            self._start_subprocess()
        return self

    def stop(self) -> None:
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._process is not None:
            _terminate(self._process)
            self._process = None

    def __enter__(self) -> ServerHandle:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- what tests use -----------------------------------------------------------------------
    @property
    def root_url(self) -> str:
        return self.url.removesuffix("/api")

    @property
    def admin(self) -> AdminClient:
        if self._admin is None:
            self._admin = AdminClient(
                self.url, auth_key=self.auth_key, auth_secret=self.auth_secret
            )
        return self._admin

    @property
    def faults(self) -> FaultsClient:
        """Faults to inject into this server: errors, latency, hangs, duplicate deliveries,
        outages (see :mod:`harness.faults`); a reset between tests clears them."""
        return self.admin.faults

    @property
    def pid(self) -> int | None:
        """The server's process id in subprocess mode (``None`` in thread mode); on granian,
        requests are served by a worker process of its own under it."""
        return self._process.pid if self._process is not None else None

    @property
    def engine(self) -> Any:
        """The server's engine (thread mode only), for assertions on state."""
        if self._server is None:
            raise RuntimeError("the engine is reachable only in thread mode")
        return self._server.engine

    def check(self) -> None:
        """Re-raises, once, the first exception the server raised while handling a request."""
        with self._errors_lock:
            errors, self._errors = self._errors, []
        if errors:
            first = errors[0]
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            raise ServerError(f"the fake server raised {first!r}{more}") from first

    def restart(self, *, down_for: float = 0.5) -> None:
        """Takes the server down for ``down_for`` seconds, keeping its state, as a real
        server's restart looks to workers: connections in progress are reset, and the port
        refuses connections until it listens again. Returns once it answers again. It is the
        server's ``refuse`` outage (``handle.faults.outage(seconds, mode="refuse")``), on
        every backend."""
        if down_for <= 0:
            raise ValueError(f"down_for must be a positive number of seconds, got {down_for}")
        self.faults.outage(down_for, mode="refuse")
        self.faults.wait_for_recovery()

    def reset(self) -> None:
        """Drops all server state (definitions, workflows, tasks, stats, faults) and pending
        errors; waits first for the end of an outage a test left running."""
        self.admin.faults.wait_for_recovery()
        self.admin.reset()
        with self._errors_lock:
            self._errors.clear()

    # -- internals ----------------------------------------------------------------------------
    def _start_thread(self) -> None:
        from fake_server import FakeServer

        server = FakeServer(self.options)
        _on_request_exception(server.app, self._record_error)
        server.start()
        self._server = server
        self.url = server.url

    def _record_error(self, error: BaseException) -> None:
        with self._errors_lock:
            self._errors.append(error)

    def _start_subprocess(self) -> None:
        options = self.options.replace(backend=self.backend)
        command = [sys.executable, "-m", "fake_server", *options.to_argv()]
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
        )
        self._process = process
        self.url = _read_url(process, self.startup_timeout)
        # Keep draining its output so the server never blocks on a full pipe.
        threading.Thread(target=_drain, args=(process,), daemon=True).start()


def _on_request_exception(app: Any, record: Any) -> None:
    from flask import got_request_exception

    def handler(sender: Any, exception: BaseException, **extra: Any) -> None:
        record(exception)

    # Keep a strong reference: blinker holds receivers weakly.
    app.extensions["harness_error_receiver"] = handler
    got_request_exception.connect(handler, app)


def _read_url(process: subprocess.Popen[str], timeout: float) -> str:
    """Reads the server's output until it prints the URL it serves."""
    found: list[str] = []
    seen: list[str] = []

    def reader() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            seen.append(line)
            match = _URL_PATTERN.search(line)
            if match:
                found.append(match.group(1))
                return

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    thread.join(timeout)
    if not found:
        _terminate(process)
        output = "".join(seen)[-2000:]
        raise RuntimeError(f"the fake server did not start within {timeout:g}s:\n{output}")
    return found[0]


def _drain(process: subprocess.Popen[str]) -> None:
    assert process.stdout is not None
    for _ in process.stdout:
        pass


def _terminate(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    if process.stdout is not None:
        process.stdout.close()
