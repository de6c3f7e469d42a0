"""scan_for_annotated_workers in a real program: workers found in the application's folder."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.integration.sdk.waiting import wait_until

MAIN = """\
from conductor.client.automator.task_handler import TaskHandler
from conductor.client.configuration.configuration import Configuration
from conductor.client.worker.worker_task import WorkerTask

print("main imported", flush=True)


@WorkerTask(task_definition_name="it_scan_main")
def in_main(input):
    return {"from": "main"}


if __name__ == "__main__":
    with TaskHandler(configuration=Configuration(), scan_for_annotated_workers=True) as handler:
        handler.start_processes()
"""


def decorated(task_name: str) -> str:
    return textwrap.dedent(
        f"""\
        from conductor.client.worker.worker_task import WorkerTask


        @WorkerTask(task_definition_name="{task_name}")
        def work(input):
            return {{"from": "{task_name}"}}
        """
    )


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_workers_in_sibling_modules_are_found_and_run(server, run_script, tmp_path):
    app = tmp_path / "app"
    write(app / "main.py", MAIN)
    write(app / "billing" / "charges.py", decorated("it_scan_billing"))
    write(app / "helpers.py", decorated("it_scan_helpers"))
    write(app / ".venv" / "pyvenv.cfg", "home = /usr/bin\n")
    write(app / ".venv" / "lib" / "other.py", decorated("it_scan_venv"))
    write(app / "env" / "pyvenv.cfg", "home = /usr/bin\n")
    write(app / "env" / "lib" / "other.py", decorated("it_scan_env"))
    script = run_script(app / "main.py", env={"CONDUCTOR_SERVER_URL": server.url})
    names = ["it_scan_main", "it_scan_billing", "it_scan_helpers"]
    ids = [server.enqueue(name)[0] for name in names]
    done = server.wait_done(ids)
    assert [t["outputData"]["from"] for t in done] == ["main", *names[1:]]
    wait_until(lambda: "Started 3 worker process(es)" in script.stderr())
    assert script.stdout().count("main imported") == 1  # the main script ran once
    assert server.poll_data("it_scan_venv") == server.poll_data("it_scan_env") == []


def test_a_broken_worker_module_stops_the_program_with_its_name(server, run_script, tmp_path):
    app = tmp_path / "app"
    write(app / "main.py", MAIN)
    write(app / "good.py", decorated("it_scan_good"))
    write(app / "broken.py", decorated("it_scan_broken") + "\nimport no_such_module_here\n")
    script = run_script(app / "main.py", env={"CONDUCTOR_SERVER_URL": server.url})
    assert script.wait() != 0
    stderr = script.stderr()
    assert "WorkerDiscoveryError" in stderr
    assert str(app / "broken.py") in stderr
    assert "no_such_module_here" in stderr
    assert "Started" not in stderr  # no worker process was started
