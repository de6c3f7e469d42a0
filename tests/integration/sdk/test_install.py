"""The repository's two distributions: ``pip install ./sdk`` brings the SDK with requests and
nothing else (production workers carry none of the fake server's or the harness's
dependencies); ``pip install .`` brings the testing tools and no file under ``conductor/``, so
that a project on conductor-python keeps its SDK."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.integration.sdk.distributions import SDK_FILES, TESTING_FILES, build_wheel


def _name(requirement: str) -> str:
    return re.split(r"[\s;<>=!~\[(]", requirement, maxsplit=1)[0].lower().replace("_", "-")


@pytest.fixture(scope="module")
def sdk_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SDK's wheel, built once (building is most of what these tests cost)."""
    return build_wheel(tmp_path_factory.mktemp("sdk-wheel"), SDK_FILES, "sdk")


@pytest.fixture(scope="module")
def testing_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("testing-wheel"), TESTING_FILES)


def files_of(wheel: Path) -> list[str]:
    return [name for name in zipfile.ZipFile(wheel).namelist() if ".dist-info/" not in name]


def test_the_sdk_brings_requests_and_its_own_dependencies_only(sdk_wheel: Path, tmp_path: Path):
    report = tmp_path / "report.json"
    # What `pip install ./sdk` would install into an empty environment.
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--dry-run", "--ignore-installed"]
        + ["--report", str(report), str(sdk_wheel)],
        check=True,
        timeout=240,
    )
    installs = json.loads(report.read_text())["install"]
    metadata = {_name(item["metadata"]["name"]): item["metadata"] for item in installs}
    assert set(metadata) >= {"conductor-workers", "requests"}
    # requests and what it requires (without extras), transitively: nothing else.
    allowed, todo = set(), ["requests"]
    while todo:
        name = todo.pop()
        allowed.add(name)
        for requirement in metadata.get(name, {}).get("requires_dist", []):
            if "extra ==" not in requirement and _name(requirement) not in allowed:
                todo.append(_name(requirement))
    assert set(metadata) - {"conductor-workers"} == allowed
    ours = metadata["conductor-workers"]
    assert [r for r in ours.get("requires_dist", []) if "extra ==" not in r] == ["requests>=2.28"]
    assert set(ours["provides_extra"]) == {"metrics", "async"}


def test_the_sdk_wheel_holds_the_sdk_alone_with_its_type_hints(sdk_wheel: Path):
    files = files_of(sdk_wheel)
    assert "conductor/py.typed" in files
    assert "conductor/client/automator/task_handler.py" in files
    assert [name for name in files if not name.startswith("conductor/")] == []


def test_the_testing_tools_install_no_file_under_conductor(testing_wheel: Path):
    files = files_of(testing_wheel)
    assert "fake_server/__init__.py" in files and "harness/pytest_plugin.py" in files
    assert [name for name in files if name.startswith("conductor/")] == []
    tops = {name.split("/")[0] for name in files}
    assert tops == {"fake_server", "harness"}


def test_the_testing_tools_register_the_pytest_plugin_and_need_no_sdk(testing_wheel: Path):
    wheel = zipfile.ZipFile(testing_wheel)
    [entry_points] = [n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt")]
    assert "conductor_harness = harness.pytest_plugin" in wheel.read(entry_points).decode()
    [metadata] = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    requires = [
        _name(line.split(":", 1)[1].strip())
        for line in wheel.read(metadata).decode().splitlines()
        if line.startswith("Requires-Dist:") and "extra ==" not in line
    ]
    assert "pytest" in requires and "flask" in requires
    assert not {"conductor-workers", "conductor-python"} & set(requires)
