"""The repository's two distributions, built from a copy of their files (building in place
leaves build/ and *.egg-info behind, which concurrent runs would share)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

from tests.paths import REPO

# What each distribution is built from, relative to the repository.
SDK_FILES = ("sdk",)
TESTING_FILES = ("pyproject.toml", "README.md", "fake_server", "harness")


def copy_of(folder: Path, names: tuple[str, ...]) -> Path:
    """The files a distribution is built from, copied into ``folder/project``."""
    project = folder / "project"
    project.mkdir()
    for name in names:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, project / name)
    return project


def build_wheel(folder: Path, names: tuple[str, ...], subfolder: str = "") -> Path:
    project = copy_of(folder, names)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(folder)]
        + [str(project / subfolder)],
        check=True,
        timeout=240,
    )
    [built] = folder.glob("*.whl")
    return built


def fingerprint(names: tuple[str, ...]) -> str:
    """A digest of the files ``names`` hold now: a distribution built from them differs when
    it differs."""
    digest = hashlib.sha256()
    for name in names:
        source = REPO / name
        files = sorted(source.rglob("*")) if source.is_dir() else [source]
        for path in files:
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()
