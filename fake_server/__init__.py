"""An in-memory imitation of the Conductor server: a pure-Python engine and one HTTP layer.

- :class:`FakeServer` runs it in this process (port 0 = a free port).
- :class:`Engine` is the engine alone (no HTTP, no Flask): see :mod:`fake_server.engine`.
- :class:`ManualClock` lets tests move time; :class:`SystemClock` is the wall clock;
  :class:`SkippingClock` runs as the wall clock until a time-skipping engine jumps it forward.
- :mod:`fake_server.http.admin` documents the test-only ``/fake`` admin API.
- ``python -m fake_server --help`` (or ``conductor-fake-server``) runs it from a shell.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

# The testing tools' distribution (the repository's root) brings every dependency of the server.
INSTALL_HINT = "pip install conductor-workers-testing"
COMMAND = "conductor-fake-server"


def missing_extra(missing: ModuleNotFoundError) -> BaseException:
    """The error for a dependency of the fake server that is not installed: what to install.

    Imported by a program, a ``ModuleNotFoundError``; run as a command (``conductor-fake-server``
    or ``python -m fake_server``), the command's one-line error instead of a traceback.
    """
    message = (
        f"the fake Conductor server needs {missing.name}, which is not installed: {INSTALL_HINT}"
    )
    if _run_as_command():
        return SystemExit(f"{COMMAND}: error: {message}")
    return ModuleNotFoundError(message, name=missing.name)


def _run_as_command() -> bool:
    # A console script keeps its own name in argv[0]; while ``python -m`` imports the package
    # to find the module to run, argv[0] is "-m".
    return os.path.basename(sys.argv[0]) in (COMMAND, "-m")


try:
    from fake_server.engine import Engine, ManualClock, SkippingClock, SystemClock
except ModuleNotFoundError as missing:  # the SDK alone was installed
    raise missing_extra(missing) from missing

if TYPE_CHECKING:
    from fake_server.server import FakeServer

__all__ = ["Engine", "FakeServer", "ManualClock", "SkippingClock", "SystemClock"]


def __getattr__(name: str) -> Any:
    # Imported on first use: the engine alone never loads Flask.
    if name == "FakeServer":
        from fake_server.server import FakeServer

        return FakeServer
    raise AttributeError(f"module 'fake_server' has no attribute {name!r}")
