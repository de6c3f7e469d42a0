"""Settings that configure nothing are said out loud once when the workers start: a variable
naming no property or no running worker, a worker.ini section naming no running worker."""

from __future__ import annotations

import logging
import multiprocessing
from pathlib import Path

import pytest

from conductor.client.automator.task_handler import TaskHandler
from conductor.client.configuration.configuration import Configuration
from conductor.client.worker._unknown_settings import warn_unknown_settings
from conductor.client.worker.worker import Worker

KNOWN = "known settings: domain, polling_interval, thread_count"


def warnings_for(tasks, environ, tmp_path: Path, ini_text: str | None = None) -> list[str]:
    if ini_text is not None:
        (tmp_path / "worker.ini").write_text(ini_text)
    return warn_unknown_settings(tasks, environ, [tmp_path])


def test_a_variable_with_no_such_property_gets_a_did_you_mean(tmp_path) -> None:
    [message] = warnings_for(["greet"], {"CONDUCTOR_WORKER_GREET_THREADS": "4"}, tmp_path)
    assert message.startswith(
        "CONDUCTOR_WORKER_GREET_THREADS ignored: no worker setting 'THREADS' "
        f"(did you mean thread_count?); {KNOWN}"
    )


@pytest.mark.parametrize(
    "variable, named, hint",
    [
        ("CONDUCTOR_WORKER_GRET_DOMAIN", "GRET", "greet"),
        ("conductor_worker_gret_domain", "gret", "greet"),
        ("conductor.worker.gret.domain", "gret", "greet"),
        ("CONDUCTOR_WORKER_SEND_EMAIL_V3_DOMAIN", "SEND_EMAIL_V3", "send_email_v2"),
    ],
)
def test_a_variable_for_a_worker_that_does_not_run_names_the_running_ones(
    tmp_path, variable, named, hint
) -> None:
    tasks = ["greet"] if "SEND" not in variable else ["send-email.v2"]
    [message] = warnings_for(tasks, {variable: "x"}, tmp_path)
    assert message.startswith(f"{variable} ignored: no worker {named!r} is running ")
    assert f"(did you mean {hint}?); running: " in message


def test_a_variable_in_a_spelling_that_is_not_read_says_which_are(tmp_path) -> None:
    [message] = warnings_for(["greet"], {"conductor_worker_greet_DOMAIN": "x"}, tmp_path)
    assert message == (
        "conductor_worker_greet_DOMAIN ignored: not read in this spelling; write "
        "CONDUCTOR_WORKER_GREET_DOMAIN or CONDUCTOR_WORKER_greet_DOMAIN or "
        "conductor_worker_greet_domain"
    )


def test_known_variables_and_other_settings_pass_quietly(tmp_path) -> None:
    environ = {
        "CONDUCTOR_WORKER_GREET_DOMAIN": "x",
        "conductor.worker.greet.thread_count": "2",
        "CONDUCTOR_WORKER_ALL_POLL_INTERVAL": "100",
        "conductor_worker_paused": "false",
        "CONDUCTOR_WORKER_ISOLATION": "thread",
        "CONDUCTOR_SERVER_URL": "http://x/api",
    }
    ini = "[DEFAULT]\ndomain = a\n[greet]\nthread_count = 2\n"
    assert warnings_for(["greet"], environ, tmp_path, ini) == []


def test_a_worker_ini_section_for_no_running_worker_gets_a_did_you_mean(tmp_path) -> None:
    [message] = warnings_for(["greet"], {}, tmp_path, "[gret]\ndomain = a\n")
    assert message == (
        f"worker.ini [gret] ({tmp_path.resolve() / 'worker.ini'}): section ignored: no worker "
        "'gret' is running (did you mean [greet]?); running: greet"
    )


def test_task_handler_warns_once_at_start(tmp_path, monkeypatch, caplog) -> None:
    monkeypatch.setenv("CONDUCTOR_WORKER_GREET_TREADS_ONCE", "4")

    class NotStarted(TaskHandler):  # the checks of start_processes, no process started
        def _start_slot(self, slot) -> None:
            raise RuntimeError("checked")

    caplog.set_level(logging.WARNING, logger="conductor.client")
    for _ in range(2):
        handler = NotStarted(
            [Worker("greet", lambda task: {})], Configuration(server_api_url="http://h:1/api")
        )
        with pytest.raises(RuntimeError, match="checked"):
            handler.start_processes()
    said = [r.getMessage() for r in caplog.records if "TREADS_ONCE" in r.getMessage()]
    assert len(said) == 1
    assert multiprocessing.active_children() == []
