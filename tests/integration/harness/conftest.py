"""Fixtures for the harness's integration tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

RunPytest = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture
def run_pytest() -> RunPytest:
    """``run_pytest(folder, *args, timeout=240)``: pytest run in ``folder`` as a user outside
    this repository runs it (none of the settings of the pytest that runs this test)."""

    def run(folder: Path, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run
