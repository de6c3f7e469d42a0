"""Run the fake server in this process: ``FakeServer(port=0).start()``, then ``.url``.

    with FakeServer() as server:              # binds 127.0.0.1 on a free port
        requests.get(f"{server.url}/health")  # url is the API base, ending in /api
        server.engine.enqueue_tasks("greet")  # the engine is right here, no HTTP needed

The server answers HTTP on waitress from background threads and runs the engine's timeouts on
a short background tick (:class:`Ticker`). :meth:`FakeServer.stop` (or leaving the ``with``
block) ends long polls in progress, closes every connection, joins its threads and frees the
port. (The command line serves on granian in a process of its own: see
:mod:`fake_server.serve`.)

``server.app`` is the Flask app: routes added to it are served beside Conductor's. Conductor's
routes and ``/fake`` are answered before Flask's dispatch, so hooks added to the app
(``before_request``...) run for them only with ``FakeServer(fast_path=False)``.

``FakeServer(time_skipping=True)`` runs on a :class:`~fake_server.engine.clock.SkippingClock`:
whenever nothing is under way, its clock jumps to the next timer (see
:mod:`fake_server.engine.skipping`).
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType

from fake_server.engine import Engine
from fake_server.engine.clock import Clock, SkippingClock
from fake_server.http import create_app
from fake_server.http.auth import DEFAULT_TOKEN_TTL_SECONDS, TokenAuthority
from fake_server.http.faults import FaultPlan
from fake_server.serve import DEFAULT_THREADS, WaitressService, root_url

log = logging.getLogger(__name__)

DEFAULT_TICK_SECONDS = 0.05


class Ticker:
    """Fires the engine's due timeouts every ``seconds`` from a thread, until :meth:`stop`."""

    def __init__(self, engine: Engine, seconds: float = DEFAULT_TICK_SECONDS) -> None:
        self.engine = engine
        self.seconds = seconds
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fake-conductor-tick", daemon=True)

    def start(self) -> Ticker:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stopping.wait(self.seconds):
            try:
                self.engine.tick()
            except Exception:
                # A bug in a timeout must not end the timer: later timeouts still fire.
                log.exception("background tick failed")


class FakeServer:
    """An in-process fake Conductor server (see the module docstring)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        engine: Engine | None = None,
        clock: Clock | None = None,
        auth_key: str | None = None,
        auth_secret: str | None = None,
        token_ttl_seconds: float = DEFAULT_TOKEN_TTL_SECONDS,
        threads: int = DEFAULT_THREADS,
        log_level: str | int | None = None,
        tick_seconds: float = DEFAULT_TICK_SECONDS,
        long_poll: bool = True,
        time_skipping: bool = False,
        fast_path: bool = True,
        retention_seconds: float | None = None,
    ) -> None:
        if engine is not None and clock is not None and engine.clock is not clock:
            raise ValueError("give either an engine or a clock, not an engine with another clock")
        if time_skipping:
            if engine is not None or clock is not None:
                raise ValueError(
                    "time_skipping=True makes the server's own clock; give no engine or clock "
                    "(or give an Engine on a SkippingClock, without time_skipping)"
                )
            clock = SkippingClock()
        if bool(auth_key) != bool(auth_secret):
            raise ValueError("authentication needs both auth_key and auth_secret")
        if threads < 1:
            raise ValueError(f"threads must be at least 1, got {threads}")
        self.engine = (
            engine
            if engine is not None
            else Engine(clock, long_poll=long_poll, retention_seconds=retention_seconds)
        )
        self.auth = (
            TokenAuthority(auth_key, auth_secret, self.engine.clock, token_ttl_seconds)
            if auth_key and auth_secret
            else None
        )
        self.host = host
        self._requested_port = port
        self._threads = threads
        self._tick_seconds = tick_seconds
        if log_level is not None:
            logging.getLogger("fake_server").setLevel(log_level)
        self.faults = FaultPlan()
        self.faults.outage_handler = self._begin_outage
        self.app = create_app(self.engine, self.auth, self.faults, fast_path=fast_path)
        self._http: WaitressService | None = None
        self._ticker: Ticker | None = None
        self._stopping = threading.Event()
        self._stop_requested = threading.Event()

    # ------------------------------------------------------------------ addresses
    @property
    def port(self) -> int:
        if self._http is None:
            raise RuntimeError("the server is not started; call start() first")
        return self._http.port

    @property
    def root_url(self) -> str:
        """``http://host:port`` (health at ``/health``, the admin API under ``/fake``)."""
        return root_url(self.host, self.port)

    @property
    def url(self) -> str:
        """The API base URL, ``http://host:port/api``: what a worker's configuration takes."""
        return f"{self.root_url}/api"

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> FakeServer:
        """Bind, listen and serve in background threads; returns once connections are
        accepted."""
        if self._http is not None:
            raise RuntimeError("the server is already started")
        self._http = WaitressService(
            self.app,
            self.host,
            self._requested_port,
            self._threads,
            on_closed=self.engine.wake_waiters,
        ).start()
        self._ticker = Ticker(self.engine, self._tick_seconds).start()
        log.info("fake Conductor server listening on %s", self.url)
        return self

    def stop(self) -> None:
        """Stop serving: end long polls, close connections, join threads, free the port.
        Safe to call twice."""
        if self._http is None or self._stopping.is_set():
            return
        self._stopping.set()
        self._stop_requested.set()
        self.faults.release()
        self._http.stop()
        if self._ticker is not None:
            self._ticker.stop()
        log.info("fake Conductor server on port %s stopped", self._http.port)

    def _begin_outage(self, mode: str, seconds: float) -> None:
        """An outage asked for through the admin API (see :mod:`fake_server.outage`)."""
        if self._http is None:
            raise RuntimeError("the server is not started")
        self._http.begin_outage(mode, seconds, self.faults.outage_clock)

    def request_stop(self) -> None:
        """Make :meth:`serve_forever` return (safe from a signal handler)."""
        self._stop_requested.set()

    def serve_forever(self) -> None:
        """Serve until :meth:`request_stop` (or Ctrl-C), then stop."""
        if self._http is None:
            self.start()
        try:
            while not self._stop_requested.wait(timeout=0.5):
                pass
        finally:
            self.stop()

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self._http is not None else f"{self.host} (not started)"
        return f"FakeServer({where})"
