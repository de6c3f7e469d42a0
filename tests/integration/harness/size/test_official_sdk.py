"""``size --python``: the worker sized under another interpreter's SDK, conductor-python
2.0.0 here (installed once into a venv of its own, as the fake server's tests of it do)."""

from __future__ import annotations

import json

from harness.size import cli

# The fixture that installs conductor-python lives beside the fake server's tests of it.
from tests.integration.fake_server.official_python_sdk import official_python_fixture  # noqa: F401
from tests.paths import REPO


def test_the_worker_runs_on_the_official_sdk_and_is_measured_the_same_way(
    official_python, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(REPO / "examples" / "sizing")
    figures = tmp_path / "size.json"
    argv = ["io_bound:fetch_price", "--inputs", "inputs.json", "--rate", "20", "--seconds", "1"]
    argv += ["--max-runs", "1", "--no-progress", "--python", str(official_python)]
    assert cli.main([*argv, "--json", str(figures)]) == 0
    document = json.loads(figures.read_text())
    assert document["sdk"] == "conductor-python 2.0.0"
    (run,) = document["runs"]
    assert run["done"] == run["tasks"] and run["errors"] == []  # every task ran on 2.0.0
    assert "SDK: conductor-python 2.0.0" in capsys.readouterr().out
