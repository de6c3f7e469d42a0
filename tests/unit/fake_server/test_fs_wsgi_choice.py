"""Choosing the WSGI server: the command line's default and bad choices, and the errors when
granian cannot run (nothing is served here; test_fs_granian.py serves over real sockets)."""

from __future__ import annotations

import sys

import granian
import pytest

from fake_server import cli
from fake_server.wsgi import BACKENDS, CLI_BACKEND, make_wsgi_server
from harness.server import ServerHandle


def app(environ, start_response):
    start_response("204 No Content", [])
    return []


def test_the_command_line_serves_on_granian_on_linux_unless_told_otherwise():
    expected = "granian" if sys.platform.startswith("linux") else "waitress"
    assert expected == CLI_BACKEND
    assert cli.build_parser().parse_args([]).wsgi == CLI_BACKEND
    assert cli.build_parser().parse_args(["--wsgi", "waitress"]).wsgi == "waitress"


def test_an_unknown_wsgi_server_is_refused_with_the_choices(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["--wsgi", "gunicorn"])
    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert "--wsgi: invalid choice: 'gunicorn'" in error
    assert all(backend in error.rsplit("choose from", 1)[1] for backend in BACKENDS)
    with pytest.raises(ValueError, match="unknown WSGI backend 'gunicorn'; choose one of granian"):
        make_wsgi_server(app, "127.0.0.1", 0, backend="gunicorn")


def test_without_granian_the_command_line_says_how_to_get_it(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "granian", None)  # import fails as if not installed
    assert cli.main(["--port", "0", "--wsgi", "granian"]) == 1
    error = capsys.readouterr().err
    assert "--wsgi granian: the granian WSGI backend needs the granian package" in error
    assert "pip install 'granian>=2.8,<2.9'" in error and "waitress" in error


def test_a_granian_of_another_series_is_refused_naming_both_versions(monkeypatch):
    monkeypatch.setattr(granian, "__version__", "2.9.0")
    refused = r"tested with granian 2\.8\.x only, and granian 2\.9\.0 is installed"
    with pytest.raises(RuntimeError, match=refused):
        make_wsgi_server(app, "127.0.0.1", 0, backend="granian")


def test_server_handle_refuses_an_unknown_backend_and_names_its_default():
    with pytest.raises(ValueError, match="backend must be one of granian, waitress, werkzeug"):
        ServerHandle(backend="gunicorn")
    assert ServerHandle(mode="subprocess").backend == CLI_BACKEND
    assert ServerHandle(mode="thread").backend == "waitress"
