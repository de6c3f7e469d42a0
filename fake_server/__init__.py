"""An in-memory imitation of the Conductor server: a pure-Python engine and a thin Flask layer.

- :class:`fake_server.server.FakeServer` runs it in this process (port 0 = a free port).
- :class:`fake_server.engine.Engine` is the engine alone (no HTTP, no Flask).
- :mod:`fake_server.clock` has the clocks; a ``ManualClock`` lets tests move time.
- :mod:`fake_server.admin` documents the test-only ``/fake`` admin API.
- ``python -m fake_server --help`` (or ``conductor-fake-server``) runs it from a shell.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Engine", "FakeServer", "ManualClock", "SystemClock"]

_EXPORTS = {
    "Engine": "fake_server.engine",
    "FakeServer": "fake_server.server",
    "ManualClock": "fake_server.clock",
    "SystemClock": "fake_server.clock",
}


def __getattr__(name: str) -> Any:
    # Imported on first use, so that using the engine alone never loads Flask.
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'fake_server' has no attribute {name!r}")
