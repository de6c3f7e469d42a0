"""What to say when a dependency of the fake server is not installed (the SDK alone was)."""

from __future__ import annotations

import os
import sys

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
