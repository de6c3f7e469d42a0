"""``pip install`` of the package brings the SDK with requests and nothing else: production
workers carry none of the fake server's or the harness's dependencies."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
PROJECT_FILES = ("pyproject.toml", "README.md", "sdk", "fake_server", "harness")


def _name(requirement: str) -> str:
    return re.split(r"[\s;<>=!~\[(]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def copy_of_the_project(folder: Path) -> Path:
    """The files the package is built from (a copy: building leaves files behind)."""
    project = folder / "conductor-workers"
    project.mkdir()
    for name in PROJECT_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, project / name)
    return project


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package's wheel, built once (building is most of what these tests cost)."""
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(folder)]
        + [str(copy_of_the_project(folder))],
        check=True,
        timeout=240,
    )
    [built] = folder.glob("*.whl")
    return built


def test_pip_install_brings_requests_and_its_own_dependencies_only(wheel: Path, tmp_path: Path):
    report = tmp_path / "report.json"
    # What `pip install` of the package would install into an empty environment.
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--dry-run", "--ignore-installed"]
        + ["--report", str(report), str(wheel)],
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


def test_the_wheel_ships_the_sdks_type_hints(wheel: Path):
    assert "conductor/py.typed" in zipfile.ZipFile(wheel).namelist()
