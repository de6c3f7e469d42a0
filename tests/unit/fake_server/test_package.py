import os
import subprocess
import sys
from pathlib import Path

import pytest

from fake_server import FakeServer, ManualClock
from fake_server.engine import Engine


def test_the_engine_does_not_load_flask():
    code = "import sys, fake_server.engine; raise SystemExit('flask' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], timeout=30).returncode == 0


def test_package_exports():
    import fake_server

    assert fake_server.FakeServer is FakeServer
    assert fake_server.ManualClock is ManualClock
    with pytest.raises(AttributeError):
        _ = fake_server.Nothing


def test_fake_server_settings_are_checked_before_binding():
    with pytest.raises(ValueError, match="either an engine or a clock"):
        FakeServer(engine=Engine(ManualClock()), clock=ManualClock())
    with pytest.raises(ValueError, match="auth_key and auth_secret go together"):
        FakeServer(auth_key="k")
    with pytest.raises(ValueError, match="threads"):
        FakeServer(threads=0)
    with pytest.raises(RuntimeError, match="not started"):
        _ = FakeServer().url


def test_a_server_shares_the_clock_of_its_engine():
    clock = ManualClock()
    assert FakeServer(clock=clock).engine.clock is clock


@pytest.mark.parametrize(
    ("blocked", "imported"),
    [("jsonpath", "fake_server"), ("flask", "fake_server.http"), ("flask", "fake_server.cli")],
)
def test_without_the_server_extra_the_error_says_what_to_install(blocked, imported):
    code = f"import sys; sys.modules[{blocked!r}] = None; import {imported}"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert run.returncode == 1
    assert f"needs {blocked}, which is not installed" in run.stderr
    assert "pip install conductor-workers-testing" in run.stderr


@pytest.mark.parametrize("command", [["-m", "fake_server"], ["conductor-fake-server"]])
def test_the_command_without_the_server_extra_says_what_to_install_in_one_line(command, tmp_path):
    # A module of that name that cannot be imported, as when the extra was not installed.
    (tmp_path / "jsonpath.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'jsonpath'\", name='jsonpath')\n"
    )
    script = Path(sys.executable).parent / "conductor-fake-server"
    argv = [sys.executable, *command] if command[0] == "-m" else [str(script)]
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    run = subprocess.run([*argv, "--help"], capture_output=True, text=True, env=env, timeout=30)
    assert run.returncode == 1
    assert run.stderr == (
        "conductor-fake-server: error: the fake Conductor server needs jsonpath, which is not "
        "installed: pip install conductor-workers-testing\n"
    )
