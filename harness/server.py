"""A handle on a fake Conductor server for tests, scenarios, the demo and the benchmark.

The server runs in a thread of this process (default: cheap, and errors raised inside it are
re-raised in the caller by ``check()``) or as a subprocess (``mode="subprocess"``: its own
interpreter, so the benchmark's server does not share a GIL with the code measuring it). Either
way it binds port 0 and is stopped, with everything it started, when the handle closes.
``backend`` picks the HTTP server of a subprocess (granian by default on Linux, or waitress:
see :mod:`fake_server.serve`); a thread runs on waitress. ``handle.backend`` says which.
``time_skipping=True`` starts it with time skipping, in either mode (its clock jumps to the next
timer whenever nothing is under way; ``handle.admin.time_skipping(False)`` pauses that).
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from typing import Any, Literal

from harness.admin import AdminClient
from harness.faults import FaultsClient

_URL_PATTERN = re.compile(r"(http://\S+/api)\b")


class ServerError(AssertionError):
    """An exception raised inside the fake server while handling a request."""


class ServerHandle:
    def __init__(
        self,
        *,
        mode: Literal["thread", "subprocess"] = "thread",
        manual_clock: bool = False,
        time_skipping: bool = False,
        auth_key: str | None = None,
        auth_secret: str | None = None,
        token_ttl_seconds: int | None = None,
        long_poll: bool = True,
        threads: int | None = None,
        backend: str | None = None,
        startup_timeout: float = 20.0,
        retention_seconds: float | None = None,
    ) -> None:
        if mode not in ("thread", "subprocess"):
            raise ValueError(f"mode must be 'thread' or 'subprocess', not {mode!r}")
        if manual_clock and mode == "subprocess":
            raise ValueError("a manual clock needs mode='thread' (tests move it in-process)")
        if manual_clock and time_skipping:
            raise ValueError(
                "choose manual_clock (time moves only when the test says) or time_skipping "
                "(time runs, and jumps to the next timer when nothing is under way), not both"
            )
        from fake_server.serve import BACKENDS

        if backend is not None and backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
        if mode == "thread" and backend not in (None, "waitress"):
            raise ValueError(
                f"a server in a thread runs on waitress; {backend} serves mode='subprocess'"
            )
        self.mode = mode
        self.manual_clock = manual_clock
        self.time_skipping = time_skipping
        self.auth_key = auth_key
        self.auth_secret = auth_secret
        self.token_ttl_seconds = token_ttl_seconds
        self.long_poll = long_poll
        self.threads = threads
        self.backend = backend or _default_backend(mode)
        self.startup_timeout = startup_timeout
        self.retention_seconds = retention_seconds
        self.url = ""
        self.clock: Any = None
        self._server: Any = None
        self._process: subprocess.Popen[str] | None = None
        self._errors: list[BaseException] = []
        self._errors_lock = threading.Lock()
        self._admin: AdminClient | None = None

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

    def restart(self, *, down_for: float = 0.0) -> None:
        """Restarts the server on the same port, keeping its state, as a real server's restart
        looks to workers: connections in progress are closed, and for ``down_for`` seconds
        (the length of the outage) the port refuses connections. Thread mode only."""
        if self._server is None:
            raise RuntimeError("restart() needs a started server in thread mode")
        from fake_server import FakeServer
        from fake_server.http.auth import DEFAULT_TOKEN_TTL_SECONDS
        from fake_server.serve import DEFAULT_THREADS

        old = self._server
        port = old.port
        old.stop()
        if down_for > 0:
            threading.Event().wait(down_for)  # the outage itself, not a wait for an outcome
        server = FakeServer(
            port=port,
            engine=old.engine,
            auth_key=self.auth_key,
            auth_secret=self.auth_secret,
            threads=self.threads or DEFAULT_THREADS,
            token_ttl_seconds=self.token_ttl_seconds or DEFAULT_TOKEN_TTL_SECONDS,
        )
        _on_request_exception(server.app, self._record_error)
        server.start()
        self._server = server

    def reset(self) -> None:
        """Drops all server state (definitions, workflows, tasks, stats, faults) and pending
        errors; waits first for the end of an outage a test left running."""
        self.admin.faults.wait_for_recovery()
        self.admin.reset()
        with self._errors_lock:
            self._errors.clear()

    # -- internals ----------------------------------------------------------------------------
    def _start_thread(self) -> None:
        from fake_server import FakeServer, ManualClock
        from fake_server.http.auth import DEFAULT_TOKEN_TTL_SECONDS
        from fake_server.serve import DEFAULT_THREADS

        self.clock = ManualClock() if self.manual_clock else None
        server = FakeServer(
            port=0,
            clock=self.clock,
            auth_key=self.auth_key,
            auth_secret=self.auth_secret,
            long_poll=self.long_poll,
            threads=self.threads or DEFAULT_THREADS,
            token_ttl_seconds=self.token_ttl_seconds or DEFAULT_TOKEN_TTL_SECONDS,
            time_skipping=self.time_skipping,
            retention_seconds=self.retention_seconds,
        )
        _on_request_exception(server.app, self._record_error)
        server.start()
        self._server = server
        self.url = server.url

    def _record_error(self, error: BaseException) -> None:
        with self._errors_lock:
            self._errors.append(error)

    def _start_subprocess(self) -> None:
        command = [sys.executable, "-m", "fake_server", "--port", "0", "--log-level", "WARNING"]
        if self.auth_key and self.auth_secret:
            command += ["--auth-key", self.auth_key, "--auth-secret", self.auth_secret]
        if self.token_ttl_seconds:
            command += ["--token-ttl", str(self.token_ttl_seconds)]
        if not self.long_poll:
            command.append("--no-long-poll")
        if self.time_skipping:
            command.append("--time-skipping")
        if self.retention_seconds is not None:
            command += ["--retention", str(self.retention_seconds)]
        if self.threads:
            command += ["--threads", str(self.threads)]
        command += ["--wsgi", self.backend]
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
        )
        self._process = process
        self.url = _read_url(process, self.startup_timeout)
        # Keep draining its output so the server never blocks on a full pipe.
        threading.Thread(target=_drain, args=(process,), daemon=True).start()


def _default_backend(mode: str) -> str:
    """The HTTP server of the mode: the command line's default in a process of its own,
    waitress in a thread of this one."""
    from fake_server.serve import COMMAND_LINE_BACKEND

    return COMMAND_LINE_BACKEND if mode == "subprocess" else "waitress"


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
