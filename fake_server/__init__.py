"""An in-memory imitation of the Conductor server: a pure-Python engine and one HTTP layer.

- :class:`FakeServer` runs it in this process (port 0 = a free port).
- :class:`Engine` is the engine alone (no HTTP, no Flask): see :mod:`fake_server.engine`.
- :class:`ManualClock` lets tests move time; :class:`SystemClock` is the wall clock;
  :class:`SkippingClock` runs as the wall clock until a time-skipping engine jumps it forward.
- :mod:`fake_server.http.admin` documents the test-only ``/fake`` admin API.
- ``python -m fake_server --help`` (or ``conductor-fake-server``) runs it from a shell.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fake_server.extras import missing_extra

try:
    from fake_server.engine import Engine, ManualClock, SkippingClock, SystemClock
except ModuleNotFoundError as missing:  # the SDK alone was installed
    raise missing_extra(missing) from missing

if TYPE_CHECKING:
    from fake_server.in_process import FakeServer

__all__ = ["Engine", "FakeServer", "ManualClock", "SkippingClock", "SystemClock"]


def __getattr__(name: str) -> Any:
    # Imported on first use: the engine alone never loads Flask.
    if name == "FakeServer":
        from fake_server.in_process import FakeServer

        return FakeServer
    raise AttributeError(f"module 'fake_server' has no attribute {name!r}")
