"""Choosing the HTTP server: the command line's default and bad choices, and the error when
granian cannot run (nothing is served here; tests/integration/fake_server/test_granian.py
serves over real sockets)."""

from __future__ import annotations

import sys

import pytest

from fake_server import cli
from fake_server.backends import serve
from fake_server.options import BACKENDS, COMMAND_LINE_BACKEND
from harness.server import ServerHandle


def test_the_command_line_serves_on_granian_on_linux_unless_told_otherwise():
    expected = "granian" if sys.platform.startswith("linux") else "waitress"
    assert expected == COMMAND_LINE_BACKEND
    assert cli.build_parser().parse_args([]).backend == COMMAND_LINE_BACKEND
    assert cli.build_parser().parse_args(["--wsgi", "waitress"]).backend == "waitress"


def test_an_unknown_http_server_is_refused_with_the_choices(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["--wsgi", "werkzeug"])
    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert "--wsgi: invalid choice: 'werkzeug'" in error
    assert all(backend in error.rsplit("choose from", 1)[1] for backend in BACKENDS)
    with pytest.raises(ValueError, match="unknown HTTP server 'werkzeug'; choose one of granian"):
        serve("x:y", host="127.0.0.1", port=0, backend="werkzeug", announce="")


def test_without_granian_the_command_line_says_how_to_get_it(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "granian", None)  # import fails as if not installed
    assert cli.main(["--port", "0", "--wsgi", "granian"]) == 1
    error = capsys.readouterr().err
    assert "--wsgi granian: granian is not installed: pip install granian" in error
    assert "waitress" in error


def test_server_handle_refuses_an_unknown_backend_and_names_its_default():
    with pytest.raises(ValueError, match="backend must be one of granian, waitress, not"):
        ServerHandle(backend="werkzeug")
    with pytest.raises(ValueError, match="a server in a thread runs on waitress"):
        ServerHandle(backend="granian")
    assert ServerHandle(mode="subprocess").backend == COMMAND_LINE_BACKEND
    assert ServerHandle(mode="thread").backend == "waitress"
