"""Building a fake server from its options: the one place where the engine, its clock, the
token authority, the fault plan, the app and the timer are put together.

:func:`assemble` is used by :class:`~fake_server.in_process.FakeServer` (a server in a thread of a
program: the harness's thread mode, the pytest plugin) and by :func:`served_from_environment`,
the factory granian's worker process calls (the command line, the harness's subprocess mode).
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fake_server.backends import ServedApp
from fake_server.engine import Engine
from fake_server.engine.clock import Clock, ManualClock, SkippingClock
from fake_server.http import create_app
from fake_server.http.auth import TokenAuthority
from fake_server.http.faults import FaultPlan
from fake_server.loader import load_definitions
from fake_server.options import ServerOptions

if TYPE_CHECKING:
    from flask import Flask

log = logging.getLogger(__name__)

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# The options, as JSON, for the process that serves (granian's worker inherits the environment).
OPTIONS_VARIABLE = "FAKE_SERVER_OPTIONS"


class Ticker:
    """Fires the engine's due timeouts every ``seconds`` from a thread, until :meth:`stop`."""

    def __init__(self, engine: Engine, seconds: float) -> None:
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


@dataclass
class Assembly:
    """A fake server's parts, not yet serving: the engine, the token authority (None without
    authentication), the fault plan, the app and its timer (started by :meth:`start_timer`)."""

    options: ServerOptions
    engine: Engine
    auth: TokenAuthority | None
    faults: FaultPlan
    app: Flask
    ticker: Ticker

    def start_timer(self) -> None:
        self.ticker.start()

    def stop(self) -> None:
        """The server stopped accepting connections: stop the timer, and end the long polls
        in progress (requests still arriving answer at once)."""
        self.ticker.stop()
        self.engine.long_poll = False
        self.engine.wake_waiters()


def assemble(
    options: ServerOptions, *, engine: Engine | None = None, clock: Clock | None = None
) -> Assembly:
    """The parts of the server ``options`` describe, on ``engine`` (or a new one on ``clock``,
    else on the clock the options ask for)."""
    if engine is not None and clock is not None and engine.clock is not clock:
        raise ValueError("give either an engine or a clock, not an engine with another clock")
    if (options.time_skipping or options.manual_clock) and (engine or clock) is not None:
        raise ValueError(
            "time_skipping and manual_clock make the server's own clock; give no engine or "
            "clock with them (or give an Engine on the clock you want, without them)"
        )
    if options.log_level is not None:
        logging.getLogger("fake_server").setLevel(options.log_level)
    if engine is None:
        engine = Engine(
            clock or _clock(options),
            long_poll=options.long_poll,
            retention_seconds=options.retention_seconds,
        )
    auth = None
    if options.auth_key and options.auth_secret:
        auth = TokenAuthority(
            options.auth_key, options.auth_secret, engine.clock, options.token_ttl_seconds
        )
    if options.definitions:
        load_definitions(engine, options.definitions)
    faults = FaultPlan()
    app = create_app(engine, auth, faults)
    return Assembly(options, engine, auth, faults, app, Ticker(engine, options.tick_seconds))


def _clock(options: ServerOptions) -> Clock | None:
    if options.time_skipping:
        return SkippingClock()
    if options.manual_clock:
        return ManualClock()
    return None  # the engine's default: the system clock


def served_from_environment() -> ServedApp:
    """The server of the options in ``FAKE_SERVER_OPTIONS`` (JSON), its timer running: the
    factory that the process that serves calls (see :mod:`fake_server.backends`)."""
    options = ServerOptions.from_json(os.environ[OPTIONS_VARIABLE])
    logging.basicConfig(level=options.log_level or "WARNING", format=LOG_FORMAT)
    assembly = assemble(options)
    assembly.start_timer()
    return ServedApp(assembly.app, on_stop=assembly.stop, faults=assembly.faults)
