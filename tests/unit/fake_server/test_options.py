"""The fake server's options: declared once, checked, and carried the same way to the command
line, JSON (granian's worker) and keywords (FakeServer, ServerHandle, the pytest marker)."""

from __future__ import annotations

import dataclasses

import pytest

from fake_server import FakeServer
from fake_server.cli import build_parser
from fake_server.options import SPECS, OptionError, ServerOptions

# A value other than the default for every option (a test below fails when one is missing).
CHANGED = {
    "host": "0.0.0.0",
    "port": 9091,
    "definitions": "/tmp/definitions",
    "auth_key": "key",
    "auth_secret": "secret",
    "token_ttl_seconds": 60.0,
    "threads": 7,
    "backend": "waitress",
    "long_poll": False,
    "time_skipping": True,
    "retention_seconds": 30.0,
    "tick_seconds": 0.5,
    "log_level": "DEBUG",
}


def test_every_option_has_a_flag_and_help_and_a_changed_value_here():
    assert set(SPECS) == {f.name for f in dataclasses.fields(ServerOptions)}
    assert set(CHANGED) | {"manual_clock"} == set(SPECS)
    for name, spec in SPECS.items():
        assert spec.flag.startswith("--") and spec.help, name


@pytest.mark.parametrize("changes", [CHANGED, {"manual_clock": True}, {}])
def test_options_go_through_the_command_line_and_json_unchanged(changes):
    options = ServerOptions(**changes)
    parsed = ServerOptions.from_arguments(build_parser().parse_args(options.to_argv()))
    assert {name: getattr(parsed, name) for name in changes} == changes
    assert ServerOptions.from_json(options.to_json()) == options


def test_the_command_line_has_its_own_defaults_where_a_program_differs():
    parsed = ServerOptions.from_arguments(build_parser().parse_args([]))
    assert parsed.port == 8080 and parsed.log_level == "WARNING"
    assert ServerOptions().port == 0 and ServerOptions().log_level is None


@pytest.mark.parametrize(
    ("keywords", "message", "flags"),
    [
        ({"threads": 0}, "threads must be at least 1, got 0", "--threads must be at least 1"),
        ({"port": 70000}, "port must be between 0 and 65535", "--port must be between"),
        ({"token_ttl_seconds": 0}, "token_ttl_seconds must be a positive", "--token-ttl must"),
        ({"backend": "werkzeug"}, "backend must be one of granian, waitress", "--wsgi must be"),
        ({"threads": "8"}, "threads must be a int, got '8'", "--threads must be a int"),
        ({"auth_key": "k"}, "auth_key and auth_secret go together", "--auth-key and --auth-secret"),
        (
            {"manual_clock": True, "time_skipping": True},
            "manual_clock and time_skipping do not go together",
            "--manual-clock and --time-skipping do not go together",
        ),
    ],
)
def test_a_bad_value_names_the_option_as_the_caller_gave_it(keywords, message, flags):
    with pytest.raises(OptionError) as raised:
        ServerOptions(**keywords)
    assert message in str(raised.value)
    assert raised.value.for_command_line().startswith(flags)


def test_an_unknown_option_is_named_with_the_closest_one():
    with pytest.raises(OptionError, match="time_skiping is not an option .did you mean 'time_sk"):
        ServerOptions().replace(time_skiping=True)
    with pytest.raises(OptionError, match="tread is not an option"):
        FakeServer(tread=3)


def test_fake_server_takes_options_or_keywords_and_refuses_granian():
    assert FakeServer(ServerOptions(threads=3), long_poll=False).options == ServerOptions(
        threads=3, long_poll=False
    )
    assert FakeServer(manual_clock=True).engine.clock.__class__.__name__ == "ManualClock"
    with pytest.raises(OptionError, match="backend 'granian' cannot serve from a thread"):
        FakeServer(backend="granian")


def test_definitions_are_loaded_by_a_server_of_a_program(tmp_path):
    (tmp_path / "greet.json").write_text('{"name": "greet", "retryCount": 4}')
    server = FakeServer(definitions=str(tmp_path))
    assert server.engine.get_task_def("greet")["retryCount"] == 4
