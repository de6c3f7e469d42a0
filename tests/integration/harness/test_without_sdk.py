"""``conductor_server`` needs no Conductor SDK: a project that only drives the fake server over
HTTP (or whose SDK is not installed yet) uses the plugin all the same."""

from __future__ import annotations

import textwrap
from pathlib import Path


def test_the_server_fixture_works_where_no_conductor_package_imports(tmp_path: Path, run_pytest):
    (tmp_path / "test_http_only.py").write_text(
        textwrap.dedent(
            """
            import requests

            def test_a_task_polled_over_http(conductor_server):
                [task_id] = conductor_server.admin.enqueue("greet", input={"name": "Ada"})
                polled = requests.get(f"{conductor_server.url}/tasks/poll/greet", timeout=10)
                assert polled.json()["taskId"] == task_id
            """
        )
    )
    # conductor cannot be imported, as in an environment without any Conductor SDK
    run = run_pytest(tmp_path, hidden_modules=("conductor",), timeout=120)
    assert "1 passed" in run.stdout, run.stdout + run.stderr
