"""The testing tools with either SDK: a worker author's project written for conductor-python
2.0.0 (examples/testing_with_official_sdk) passes its tests in an environment holding
conductor-python from the package index and ``pip install .`` of this repository, which leaves
every conductor-python file in place; the same tests pass with this repository's SDK; and a
test whose worker raises fails with the worker's message and the line that raised."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.integration.sdk.distributions import REPO, TESTING_FILES, copy_of, fingerprint

OFFICIAL = "conductor-python==2.0.0"
EXAMPLE = REPO / "examples" / "testing_with_official_sdk"

# conductor-python's files (its RECORD) with the digest of each as it is now; None if missing.
OFFICIAL_FILES = """
import hashlib, importlib.metadata, json
dist = importlib.metadata.distribution("conductor-python")
print(json.dumps({
    str(f): hashlib.sha256(f.locate().read_bytes()).hexdigest() if f.locate().exists() else None
    for f in dist.files or () if "__pycache__" not in f.parts
}))
"""


@dataclass(frozen=True)
class OfficialEnvironment:
    python: Path
    files_before: dict[str, Any]  # conductor-python's files before `pip install .`
    files_after: dict[str, Any]


def _run(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as error:
        pytest.skip(f"cannot prepare an environment with {OFFICIAL}: {error}")
    if done.returncode != 0:
        pytest.skip(f"{' '.join(command)} failed: {done.stderr.strip()[-500:]}")
    return done.stdout


@pytest.fixture(scope="session")
def official_environment(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> OfficialEnvironment:
    """A venv with conductor-python from the package index (made once, kept in pytest's
    cache), into which ``pip install .`` installs this checkout's testing tools whenever their
    files changed; skipped, with the reason, when it cannot be made."""
    home = pytestconfig.cache.mkdir("conductor-python-2.0.0-with-testing-tools")
    python = home / "venv" / "bin" / "python"
    stamp = home / "installed.json"
    with open(home / "lock", "w") as lock:  # one installer at a time across xdist workers
        fcntl.flock(lock, fcntl.LOCK_EX)
        wanted = fingerprint(TESTING_FILES)
        installed = json.loads(stamp.read_text()) if stamp.exists() else {}
        if installed.get("fingerprint") != wanted:
            if not python.exists():
                _run([sys.executable, "-m", "venv", "--clear", str(home / "venv")])
                _run([str(python), "-m", "pip", "install", "--quiet", OFFICIAL])
            before = json.loads(_run([str(python), "-c", OFFICIAL_FILES]))
            project = copy_of(tmp_path_factory.mktemp("testing-tools"), TESTING_FILES)
            _run([str(python), "-m", "pip", "install", "--quiet", str(project)])
            after = json.loads(_run([str(python), "-c", OFFICIAL_FILES]))
            installed = {"fingerprint": wanted, "before": before, "after": after}
            stamp.write_text(json.dumps(installed))
    return OfficialEnvironment(python, installed["before"], installed["after"])


def test_pip_install_of_the_testing_tools_leaves_every_conductor_python_file_in_place(
    official_environment: OfficialEnvironment,
):
    before, after = official_environment.files_before, official_environment.files_after
    assert "conductor/client/orkes_clients.py" in before
    assert None not in before.values()
    assert after == before
    # the official clients still import (they did not after the SDK overwrote its files)
    check = "from conductor.client.orkes_clients import OrkesClients; import harness.pytest_plugin"
    run = subprocess.run(
        [str(official_environment.python), "-W", "error", "-c", check],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr


DECLINED = """
import payments

ORDER = {"card": "0000-2", "amount": 5, "email": "bob@example.com"}


def test_a_checkout_with_a_declined_card(conductor_server, conductor_workers, checkout):
    conductor_workers(*payments.workers())
    workflow_id = checkout.start_workflow("checkout", ORDER)
    checkout.wait_for_workflow(workflow_id, "COMPLETED", timeout=90)
"""


@pytest.fixture(params=["this-sdk", "conductor-python-2.0.0"])
def python_with_an_sdk(request: pytest.FixtureRequest) -> Path:
    if request.param == "this-sdk":
        return Path(sys.executable)  # make install: ./sdk and . (editable)
    environment: OfficialEnvironment = request.getfixturevalue("official_environment")
    return environment.python


def test_a_worker_authors_tests_pass_and_a_raising_worker_is_in_the_report(
    python_with_an_sdk: Path, tmp_path: Path
):
    project = tmp_path / "checkout"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("__pycache__"))
    (project / "tests" / "test_declined_card.py").write_text(textwrap.dedent(DECLINED))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}

    run = subprocess.run(
        [str(python_with_an_sdk), "-m", "pytest", "-p", "no:cacheprovider", "-q"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    output = run.stdout + run.stderr
    assert "1 failed, 3 passed" in run.stdout, output
    failure = run.stdout[run.stdout.index("= FAILURES =") :]
    assert "ended FAILED, expected COMPLETED" in failure, output
    assert "ValueError: card declined 0000-2" in failure
    # the worker processes' log, in a section of its own, down to the line that raised
    worker_log = failure.split("Captured worker log call")[1]
    assert 'raise ValueError(f"card declined {card}")' in worker_log
    # the harness's frames are hidden: the failure points at the test's line
    assert "harness/admin.py" not in failure
