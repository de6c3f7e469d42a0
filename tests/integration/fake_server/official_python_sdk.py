"""The official conductor-python package, installed into a venv of its own under the pytest
cache (once, then reused): tests run its code unchanged against the fake server."""

from __future__ import annotations

import fcntl
import subprocess
import sys
from pathlib import Path

import pytest

OFFICIAL_VERSION = "2.0.0"


@pytest.fixture(scope="session", name="official_python")
def official_python_fixture(pytestconfig: pytest.Config) -> Path:
    """The python of a venv holding conductor-python (created once, then reused); the test is
    skipped, with the reason, when it cannot be installed."""
    home = pytestconfig.cache.mkdir(f"official-conductor-python-{OFFICIAL_VERSION}")
    python = home / "venv" / "bin" / "python"
    ready = home / "ready"
    with open(home / "lock", "w") as lock:  # one installer at a time across xdist workers
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not ready.exists():
            install_official_sdk(home / "venv", python)
            ready.write_text(OFFICIAL_VERSION)
    return python


def install_official_sdk(venv: Path, python: Path) -> None:
    steps = [
        [sys.executable, "-m", "venv", "--clear", str(venv)],
        [str(python), "-m", "pip", "install", "--quiet", f"conductor-python=={OFFICIAL_VERSION}"],
    ]
    for step in steps:
        try:
            done = subprocess.run(step, capture_output=True, text=True, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as error:
            pytest.skip(f"cannot install conductor-python {OFFICIAL_VERSION}: {error}")
        if done.returncode != 0:
            pytest.skip(
                f"cannot install conductor-python {OFFICIAL_VERSION}: {' '.join(step)} failed: "
                f"{done.stderr.strip()[-500:]}"
            )
