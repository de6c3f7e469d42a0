"""docs/sizing.md is true: its code blocks are the example files, and its commands run as
written (at a tiny scale: a low rate, one short configuration) from a copy of
examples/sizing, against the fake server they start or a separately started one, which they
leave as they found it."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys

import pytest

from harness.server import ServerHandle
from harness.size.queue import PREFIX
from tests.paths import REPO

DOC = (REPO / "docs" / "sizing.md").read_text()
EXAMPLES = REPO / "examples" / "sizing"
TINY = ["--rate", "20", "--seconds", "1", "--max-runs", "1", "--no-progress"]
DOC_SERVER = "http://localhost:8080/api"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC, flags=re.DOTALL)


def commands() -> list[str]:
    lines = [line.split("  #")[0].strip() for block in blocks("sh") for line in block.splitlines()]
    return [line for line in lines if line.startswith("python -m harness size")]


def test_the_code_blocks_are_the_example_files():
    files = {path.name: path.read_text() for path in EXAMPLES.iterdir() if path.is_file()}
    shown = blocks("python") + blocks("json")
    assert sorted(name for name, text in files.items() if text in shown) == sorted(files)
    assert "cd examples/sizing" in blocks("sh")[0]
    assert "python -m fake_server --port 8080" in "".join(blocks("sh"))


def test_the_charts_it_shows_exist():
    for image in re.findall(r"!\[[^]]*\]\(([^)]+)\)", DOC):
        assert (REPO / "docs" / image).is_file(), image


@pytest.mark.parametrize("command", commands())
def test_each_command_runs_as_written(command, tmp_path):
    shutil.copytree(EXAMPLES, tmp_path, dirs_exist_ok=True)
    argv = shlex.split(command)[1:]  # after "python"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONDUCTOR_")}
    with ServerHandle(mode="subprocess") as server:
        argv = [server.url if arg == DOC_SERVER else arg for arg in argv]
        done = subprocess.run(
            [sys.executable, *argv, *TINY, "--json", "figures.json"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        state = server.admin.state()
        assert [d["name"] for d in state["taskDefs"] if d["name"].startswith(PREFIX)] == []
        assert state["workflows"] == [] and state["tasks"] == []
    document = json.loads((tmp_path / "figures.json").read_text())
    assert document["runs"] and document["recommendation"]["bound"] in (
        "threads",
        "cpu",
        "server",
        "network",
    )
    # the output the doc shows has the columns the command prints
    printed = next(line for line in done.stdout.splitlines() if line.startswith("processes x"))
    shown = next(line for line in DOC.splitlines() if line.startswith("processes x"))
    assert printed.split() == shown.split()
    for written in re.findall(r"--plot (\S+)", command):
        chart = tmp_path / written
        assert chart.is_file() and chart.with_suffix(".html").is_file()
