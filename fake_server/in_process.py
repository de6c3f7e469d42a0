"""Run the fake server in this process: ``FakeServer(port=0).start()``, then ``.url``.

    with FakeServer() as server:              # binds 127.0.0.1 on a free port
        requests.get(f"{server.url}/health")  # url is the API base, ending in /api
        server.engine.enqueue_tasks("greet")  # the engine is right here, no HTTP needed

The server answers HTTP on waitress from background threads and runs the engine's timeouts on a
short background tick (:class:`~fake_server.assembly.Ticker`). :meth:`FakeServer.stop` (or
leaving the ``with`` block) ends long polls in progress, closes every connection, joins its
threads and frees the port. (The command line serves on granian in a process of its own: see
:mod:`fake_server.backends`.)

``server.app`` is the WSGI app, built from the routing table (see :mod:`fake_server.http.app`).

``FakeServer(time_skipping=True)`` runs on a :class:`~fake_server.engine.clock.SkippingClock`:
whenever nothing is under way, its clock jumps to the next timer (see
:mod:`fake_server.engine.skipping`).
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType
from typing import Any

from fake_server.assembly import assemble
from fake_server.backends import WaitressBackend, root_url
from fake_server.engine import Engine
from fake_server.engine.clock import Clock
from fake_server.options import OptionError, ServerOptions
from fake_server.outage import Outages, serve_outages

log = logging.getLogger(__name__)


class FakeServer:
    """An in-process fake Conductor server (see the module docstring).

    ``FakeServer(options)`` or ``FakeServer(**keywords)`` (both: the keywords change the
    options): the keywords are those of :class:`~fake_server.options.ServerOptions`. ``engine``
    or ``clock`` serve an engine (or a clock) of the caller's."""

    def __init__(
        self,
        options: ServerOptions | None = None,
        *,
        engine: Engine | None = None,
        clock: Clock | None = None,
        **keywords: Any,
    ) -> None:
        self.options = (options or ServerOptions()).replace(**keywords)
        if self.options.backend not in (None, "waitress"):
            raise OptionError(
                ("backend",),
                f"{self.options.backend!r} cannot serve from a thread of this program: "
                "FakeServer runs on waitress (granian serves the command line and "
                "ServerHandle(mode='subprocess'), in a process of its own)",
            )
        self._assembly = assemble(self.options, engine=engine, clock=clock)
        self.engine = self._assembly.engine
        self.auth = self._assembly.auth
        self.faults = self._assembly.faults
        self.app = self._assembly.app
        self.host = self.options.host
        self._http: WaitressBackend | None = None
        self._outages: Outages | None = None
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
        self._http = WaitressBackend(
            self.app,
            self.host,
            self.options.port,
            self.options.threads,
            on_closed=self.engine.wake_waiters,
        ).start()
        self._outages = serve_outages(self.faults, self._http)
        self._assembly.start_timer()
        log.info("fake Conductor server listening on %s", self.url)
        exposed = self.options.exposure_warning(self.port)
        if exposed is not None:
            log.warning(exposed)
        return self

    def stop(self) -> None:
        """Stop serving: end long polls, close connections, join threads, free the port.
        Safe to call twice."""
        if self._http is None or self._stopping.is_set():
            return
        self._stopping.set()
        self._stop_requested.set()
        self.faults.release()
        if self._outages is not None:
            self._outages.stop_backend()
        else:
            self._http.stop()
        self._assembly.ticker.stop()
        log.info("fake Conductor server on port %s stopped", self._http.port)

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
