"""The worker log shown in a failed test's report: its last lines, saying how many it left out."""

from pathlib import Path

from harness.worker_output import tail


def test_a_short_log_is_shown_whole(tmp_path: Path):
    log = tmp_path / "workers.log"
    log.write_text("started\nfailed\n")
    assert tail(log) == "started\nfailed\n"


def test_a_long_log_shows_its_end_and_how_many_lines_came_before(tmp_path: Path):
    log = tmp_path / "workers.log"
    log.write_text("".join(f"line {n}\n" for n in range(1, 251)))
    shown = tail(log, lines=200).splitlines()
    assert shown[0] == "(50 earlier lines not shown)"
    assert shown[1:] == [f"line {n}" for n in range(51, 251)]


def test_a_log_nobody_wrote_is_empty(tmp_path: Path):
    assert tail(tmp_path / "never-created.log") == ""
