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
    """``run_pytest(folder, *args, timeout=240, hidden_modules=())``: pytest run in ``folder`` as
    a user outside this repository runs it (none of the settings of the pytest that runs this
    test); ``hidden_modules`` cannot be imported in it, as where they are not installed."""

    def run(
        folder: Path, *args: str, timeout: float = 240, hidden_modules: tuple[str, ...] = ()
    ) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
        # sys.modules[name] = None makes ``import name`` raise ImportError.
        hide = "".join(f"sys.modules[{name!r}] = None; " for name in hidden_modules)
        program = f"import sys; {hide}import pytest; raise SystemExit(pytest.main(sys.argv[1:]))"
        return subprocess.run(
            [sys.executable, "-c", program, "-p", "no:cacheprovider", "-q", *args],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run
