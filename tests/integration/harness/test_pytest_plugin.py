"""The pytest plugin as a worker author meets it: a test folder outside this repository, run by
plain ``pytest`` and by ``pytest -n 2``."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from tests.paths import REPO

AUTHOR_TEST = REPO / "examples" / "testing" / "test_greeting_workers.py"


@pytest.fixture
def author_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "my_workers"
    folder.mkdir()
    assert REPO not in folder.parents
    return folder


@pytest.mark.parametrize("extra_args", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_a_worker_authors_test_file_passes(
    author_folder: Path, extra_args: tuple[str, ...], run_pytest
):
    shutil.copy(AUTHOR_TEST, author_folder / AUTHOR_TEST.name)

    run = run_pytest(author_folder, *extra_args)

    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 passed" in run.stdout


def test_a_failing_worker_is_a_clear_test_failure(author_folder: Path, run_pytest):
    (author_folder / "test_broken.py").write_text(
        textwrap.dedent(
            """
            from conductor.client.worker.worker import Worker

            def charge(task_input):
                raise RuntimeError("card declined by the bank")

            def test_charge(conductor_server, conductor_workers):
                admin = conductor_server.admin
                admin.register_task_defs([{"name": "charge", "retryCount": 0}])
                admin.register_workflow({"name": "pay", "tasks": [
                    {"name": "charge", "taskReferenceName": "charge"}]})
                conductor_workers(Worker("charge", charge))
                workflow_id = admin.start_workflow("pay", {})
                admin.wait_for_workflow(workflow_id, "COMPLETED", timeout=20)
            """
        )
    )

    run = run_pytest(author_folder)

    assert run.returncode == 1, run.stdout + run.stderr
    assert "ended FAILED, expected COMPLETED" in run.stdout
    assert "card declined by the bank" in run.stdout


def test_workers_are_stopped_after_a_test_that_raises(author_folder: Path, run_pytest):
    (author_folder / "test_cleanup.py").write_text(
        textwrap.dedent(
            """
            import psutil
            from conductor.client.worker.worker import Worker

            started = []

            def echo(task_input):
                return task_input

            def test_raises_while_workers_run(conductor_server, conductor_workers):
                running = conductor_workers(Worker("echo", echo), Worker("echo", echo))
                started.extend(process.pid for process in running.processes)
                raise RuntimeError("the test itself fails")

            def test_its_workers_are_gone():
                assert len(started) == 2
                alive = [pid for pid in started
                         if psutil.pid_exists(pid)
                         and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]
                assert alive == []
            """
        )
    )

    run = run_pytest(author_folder)

    assert "1 failed, 1 passed" in run.stdout, run.stdout + run.stderr
    assert "the test itself fails" in run.stdout


def test_a_marked_test_gets_a_server_with_a_manual_clock(author_folder: Path, run_pytest):
    (author_folder / "test_clock.py").write_text(
        textwrap.dedent(
            """
            import pytest
            import requests

            @pytest.mark.conductor_server(manual_clock=True)
            def test_a_delayed_retry_waits_for_the_clock(conductor_server):
                admin = conductor_server.admin
                admin.register_task_defs([{"name": "slow", "retryCount": 1,
                    "retryDelaySeconds": 600}])
                admin.register_workflow({"name": "wf", "tasks": [
                    {"name": "slow", "taskReferenceName": "slow"}]})
                workflow_id = admin.start_workflow("wf", {})
                poll = conductor_server.url + "/tasks/poll/slow"
                task = requests.get(poll, params={"workerid": "me"}, timeout=5).json()
                requests.post(conductor_server.url + "/tasks", json={
                    "taskId": task["taskId"], "workflowInstanceId": workflow_id,
                    "status": "FAILED"}, timeout=5).raise_for_status()
                assert requests.get(poll, params={"workerid": "me"}, timeout=5).status_code == 204
                admin.advance_clock(600)
                retry = requests.get(poll, params={"workerid": "me"}, timeout=5).json()
                assert retry["retriedTaskId"] == task["taskId"]
            """
        )
    )

    run = run_pytest(author_folder)

    assert run.returncode == 0, run.stdout + run.stderr


def test_a_marked_test_gets_a_server_with_authentication(author_folder: Path, run_pytest):
    (author_folder / "test_auth.py").write_text(
        textwrap.dedent(
            """
            import pytest
            import requests
            from conductor.client.worker.worker import Worker

            def shout(word: str):
                return {"loud": word.upper()}

            @pytest.mark.conductor_server(auth_key="key-1", auth_secret="s3cret")
            def test_workers_log_in(conductor_server, conductor_workers):
                anonymous = requests.get(conductor_server.url + "/tasks/queue/all", timeout=5)
                assert anonymous.status_code == 401
                admin = conductor_server.admin
                admin.register_workflow({"name": "loud", "tasks": [
                    {"name": "shout", "taskReferenceName": "shout",
                     "inputParameters": {"word": "${workflow.input.word}"}}]})
                conductor_workers(Worker("shout", shout))
                workflow_id = admin.start_workflow("loud", {"word": "hey"})
                workflow = admin.wait_for_workflow(workflow_id, timeout=20)
                assert workflow["output"] == {"loud": "HEY"}
            """
        )
    )

    run = run_pytest(author_folder)

    assert run.returncode == 0, run.stdout + run.stderr


def test_a_marker_with_a_wrong_option_fails_its_test_naming_the_option(
    author_folder: Path, run_pytest
):
    (author_folder / "test_marked.py").write_text(
        textwrap.dedent(
            """
            import pytest

            @pytest.mark.conductor_server(time_skiping=True)
            def test_misspelt(conductor_server):
                pass

            @pytest.mark.conductor_server(time_skipping=True, manual_clock=True)
            def test_both_clocks(conductor_server):
                pass
            """
        )
    )

    run = run_pytest(author_folder, "-rE")

    assert "2 errors" in run.stdout, run.stdout + run.stderr
    assert (
        "@pytest.mark.conductor_server: time_skiping is not an option (did you mean "
        "'time_skipping'?); the options: host, port,"
    ) in run.stdout
    assert (
        "@pytest.mark.conductor_server: manual_clock and time_skipping do not go together: "
        "choose manual_clock"
    ) in run.stdout
    assert "Traceback" not in run.stdout


def test_the_options_fixture_sets_the_shared_server_and_a_marker_adds_to_them(
    author_folder: Path, run_pytest
):
    (author_folder / "conftest.py").write_text(
        textwrap.dedent(
            """
            import pytest
            from fake_server.options import ServerOptions

            @pytest.fixture(scope="session")
            def conductor_server_options():
                return ServerOptions(auth_key="k", auth_secret="s")
            """
        )
    )
    (author_folder / "test_options.py").write_text(
        textwrap.dedent(
            """
            import pytest
            import requests

            def test_shared(conductor_server):
                answer = requests.get(f"{conductor_server.url}/tasks/queue/all", timeout=5)
                assert answer.status_code == 401
                assert conductor_server.admin.stats() is not None  # the admin logs in

            @pytest.mark.conductor_server(manual_clock=True)
            def test_marked(conductor_server):
                assert conductor_server.auth_key == "k"
                assert type(conductor_server.clock).__name__ == "ManualClock"
            """
        )
    )

    run = run_pytest(author_folder)

    assert run.returncode == 0, run.stdout + run.stderr


def test_without_its_dependencies_the_plugin_loads_and_its_fixtures_say_what_to_install(
    author_folder: Path, run_pytest
):
    (author_folder / "test_mixed.py").write_text(
        textwrap.dedent(
            """
            def test_plain_code():
                assert 1 + 1 == 2

            def test_with_a_server(conductor_server):
                pass
            """
        )
    )
    # Flask cannot be imported, as in a project that installed the package without the extra.
    run = run_pytest(author_folder, hidden_modules=("flask",), timeout=120)
    assert "1 passed, 1 error" in run.stdout, run.stdout + run.stderr
    assert "pip install conductor-workers-testing" in run.stdout
    assert "needs flask (not installed)" in run.stdout
