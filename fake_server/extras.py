"""What to say when a dependency of the fake server is not installed (the SDK alone was)."""

from __future__ import annotations

import os
import sys

INSTALL_HINT = "pip install 'conductor-workers[server]'"
COMMAND = "conductor-fake-server"


def missing_extra(missing: ModuleNotFoundError) -> BaseException:
    """The error for a dependency of the fake server that is not installed: what to install.

    Imported by a program, a ``ModuleNotFoundError``; run as a command (``conductor-fake-server``
    or ``python -m fake_server``), the command's one-line error instead of a traceback.
    """
    message = (
        f"the fake Conductor server needs the package's server extra ({missing.name} is not "
        f"installed): {INSTALL_HINT}"
    )
    if _run_as_command():
        return SystemExit(f"{COMMAND}: error: {message}")
    return ModuleNotFoundError(message, name=missing.name)


def _run_as_command() -> bool:
    # A console script keeps its own name in argv[0]; while ``python -m`` imports the package
    # to find the module to run, argv[0] is "-m".
    return os.path.basename(sys.argv[0]) in (COMMAND, "-m")
