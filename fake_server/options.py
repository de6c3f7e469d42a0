"""The fake server's options, each declared once: its type, default, check, command-line flag,
pytest marker keyword (its name) and help text.

:class:`ServerOptions` is what every way of starting the server takes: ``FakeServer(options)``
(or its keywords), the command line (``conductor-fake-server --help`` is generated from it),
``harness.server.ServerHandle``, the pytest marker ``@pytest.mark.conductor_server(...)`` and
the ``conductor_server_options`` fixture. It checks itself when made, turns itself into the
command line's arguments and back (``to_argv``/``from_arguments``) and into JSON and back (for
granian's worker process). Adding an option is one more field below.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import json
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

BACKENDS = ("granian", "waitress")
# The command line's server: granian where its worker is tested (Linux), waitress elsewhere.
COMMAND_LINE_BACKEND = "granian" if sys.platform.startswith("linux") else "waitress"
# Each long poll holds a thread, so this must exceed the workers long polling at once (one per
# worker process); more threads than that only queue up on the engine's lock (at 128 threads,
# 80 busy connections cut throughput by two thirds: see docs/benchmarks.md).
DEFAULT_THREADS = 32
DEFAULT_TOKEN_TTL_SECONDS = 3600
DEFAULT_TICK_SECONDS = 0.05
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")

SAME_DEFAULT = "same"
Check = Callable[[Any], "str | None"]  # what is wrong with a value, None when it is fine


class OptionError(ValueError):
    """A bad option value: ``names`` are the options at fault, ``problem`` what is wrong.
    ``str()`` names them by keyword; :meth:`for_command_line` by flag."""

    def __init__(self, names: Sequence[str], problem: str) -> None:
        self.names = tuple(names)
        self.problem = problem
        super().__init__(f"{' and '.join(self.names)} {problem}")

    def for_command_line(self) -> str:
        return f"{' and '.join(SPECS[name].flag for name in self.names)} {self.problem}"


@dataclass(frozen=True)
class Spec:
    """How one option is given and checked (the field's name is its keyword)."""

    kind: type
    help: str
    flag: str = ""  # "--name-with-dashes" unless given
    check: Check | None = None
    choices: tuple[Any, ...] | None = None
    metavar: str | None = None
    # The command line's default, when it differs from the one in a program (port 8080).
    command_line_default: Any = "same"  # SAME_DEFAULT: the program's default
    name: str = ""


def option(default: Any, kind: type, help: str, **spec: Any) -> Any:
    """A field of :class:`ServerOptions` with its :class:`Spec`."""
    return field(default=default, metadata={"spec": Spec(kind, help, **spec)})


def _at_least(minimum: float) -> Check:
    return lambda value: None if value >= minimum else f"must be at least {minimum}, got {value}"


def _positive(value: float) -> str | None:
    return None if value > 0 else f"must be a positive number of seconds, got {value}"


def _not_negative(value: float) -> str | None:
    return None if value >= 0 else f"must be 0 or more seconds, got {value}"


def _port(value: int) -> str | None:
    return None if 0 <= value <= 65535 else f"must be between 0 and 65535, got {value}"


@dataclass(frozen=True)
class ServerOptions:
    """Every option of the fake server (see the module docstring)."""

    host: str = option(
        "127.0.0.1",
        str,
        "address to bind; anything but loopback lets other machines reach the server "
        "(give --auth-key and --auth-secret then)",
    )
    port: int = option(
        0,
        int,
        "port to bind; 0 picks a free one",
        check=_port,
        command_line_default=8080,
    )
    definitions: str | None = option(
        None,
        str,
        "load task and workflow definitions from the *.json files under DIR at start (a file "
        "holds a task definition, a workflow definition (it has 'tasks'), or a list)",
        metavar="DIR",
    )
    auth_key: str | None = option(
        None, str, "require tokens on every route but health and token: the key id"
    )
    auth_secret: str | None = option(
        None, str, "require tokens on every route but health and token: the key secret"
    )
    token_ttl_seconds: float = option(
        DEFAULT_TOKEN_TTL_SECONDS,
        float,
        "lifetime of an issued token in seconds",
        flag="--token-ttl",
        check=_positive,
        metavar="SECONDS",
    )
    threads: int = option(
        DEFAULT_THREADS,
        int,
        "threads that run requests; each long poll holds one, so give more than the workers "
        "that long poll at once",
        check=_at_least(1),
    )
    backend: str | None = option(
        None,
        str,
        "HTTP server: granian (Rust, the least CPU per request, in a worker process of its "
        "own) or waitress (pure Python, in this process); a server in a thread of a program "
        "(FakeServer, ServerHandle in a thread) runs on waitress",
        flag="--wsgi",
        choices=BACKENDS,
        command_line_default=COMMAND_LINE_BACKEND,
    )
    long_poll: bool = option(
        True,
        bool,
        "answer batch polls at once, like a server without long polling (a worker's polling "
        "interval then shows in how often it polls)",
        flag="--no-long-poll",
    )
    time_skipping: bool = option(
        False,
        bool,
        "skip time: whenever no task is in progress or ready to hand out, jump the clock to "
        "the next timer (a retry delay, a callback, a start delay, a WAIT, a timeout), so that "
        "tests of them finish in seconds; switch it off and on with POST "
        "/fake/clock/time-skipping",
    )
    manual_clock: bool = option(
        False,
        bool,
        "stop the clock: time moves only when POST /fake/clock/advance moves it",
    )
    retention_seconds: float | None = option(
        None,
        float,
        "remove ended workflows and their tasks this long after they end, so a long run keeps "
        "memory flat (default: keep everything)",
        flag="--retention",
        check=_not_negative,
        metavar="SECONDS",
    )
    tick_seconds: float = option(
        DEFAULT_TICK_SECONDS,
        float,
        "how often the engine's timeouts are looked at, in seconds",
        check=_positive,
        metavar="SECONDS",
    )
    log_level: str | None = option(
        None,
        str,
        "log level of the fake_server loggers; DEBUG also logs every request (in a program, "
        "None leaves logging as the program set it)",
        choices=LOG_LEVELS,
        command_line_default="WARNING",
    )

    def __post_init__(self) -> None:
        if isinstance(self.log_level, str):
            object.__setattr__(self, "log_level", self.log_level.upper())
        for name, spec in SPECS.items():
            _check_value(name, spec, getattr(self, name))
        if bool(self.auth_key) != bool(self.auth_secret):
            raise OptionError(("auth_key", "auth_secret"), "go together: give both or neither")
        if self.manual_clock and self.time_skipping:
            raise OptionError(
                ("manual_clock", "time_skipping"),
                "do not go together: choose manual_clock (time moves only when the test says) "
                "or time_skipping (time runs, and jumps to the next timer when nothing is under "
                "way)",
            )

    # -- from and to keywords, JSON and the command line ---------------------------------------
    def replace(self, **changes: Any) -> ServerOptions:
        """These options with ``changes``; an unknown name is an :class:`OptionError` that
        lists the options (and the closest one)."""
        for name in changes:
            if name not in SPECS:
                close = difflib.get_close_matches(name, SPECS, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise OptionError(
                    (name,), f"is not an option{hint}; the options: {', '.join(SPECS)}"
                )
        return dataclasses.replace(self, **changes)

    @property
    def requires_auth(self) -> bool:
        return bool(self.auth_key and self.auth_secret)

    @property
    def is_loopback(self) -> bool:
        return self.host in LOOPBACK_HOSTS or self.host.startswith("127.")

    def exposure_warning(self, port: int | str) -> str | None:
        """What to warn of when anyone but this machine can reach a server without
        authentication: who, and how to close it; None on loopback or with authentication."""
        if self.is_loopback or self.requires_auth:
            return None
        if self.host in ("", "0.0.0.0", "::"):
            who = f"any machine that can reach this one, on any of its addresses, at port {port}"
        else:
            who = f"any machine that can reach {self.host}:{port}"
        return (
            f"warning: the fake Conductor server listens on {self.host or '0.0.0.0'} without "
            f"authentication: {who} can read every workflow and task (inputs and outputs "
            "included), change them and use the admin API; give --auth-key and --auth-secret "
            "(auth_key=, auth_secret=) to require a token, or bind 127.0.0.1"
        )

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServerOptions:
        return cls(**json.loads(text))

    def to_argv(self) -> list[str]:
        """The command line's arguments for these options (every option that differs from the
        command line's default)."""
        argv: list[str] = []
        for name, spec in SPECS.items():
            value = getattr(self, name)
            if value == _command_line_default(name, spec):
                continue
            if spec.kind is bool:
                argv.append(spec.flag)
            elif value is not None:
                argv += [spec.flag, str(value)]
        return argv

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """One argument per option, its help and default from the option."""
        for name, spec in SPECS.items():
            default = _command_line_default(name, spec)
            if spec.kind is bool:
                action = "store_false" if default else "store_true"
                parser.add_argument(spec.flag, dest=name, action=action, help=spec.help)
                continue
            shown = " (default: %(default)s)" if default is not None else ""
            parser.add_argument(
                spec.flag,
                dest=name,
                type=str.upper if name == "log_level" else spec.kind,
                choices=spec.choices,
                default=default,
                metavar=spec.metavar,
                help=spec.help + shown,
            )

    @classmethod
    def from_arguments(cls, arguments: argparse.Namespace) -> ServerOptions:
        """The options of parsed arguments (an :class:`OptionError` when they do not agree)."""
        return cls(**{name: getattr(arguments, name) for name in SPECS})


def _fields() -> Iterator[tuple[str, dataclasses.Field[Any]]]:
    for f in dataclasses.fields(ServerOptions):
        yield f.name, f


def _command_line_default(name: str, spec: Spec) -> Any:
    if spec.command_line_default != SAME_DEFAULT:
        return spec.command_line_default
    return DEFAULTS[name]


def _check_value(name: str, spec: Spec, value: Any) -> None:
    if value is None and DEFAULTS[name] is None:
        return
    kinds: tuple[type, ...] = (int, float) if spec.kind is float else (spec.kind,)
    if not isinstance(value, kinds) or (spec.kind is not bool and isinstance(value, bool)):
        raise OptionError((name,), f"must be a {spec.kind.__name__}, got {value!r}")
    if spec.choices is not None and value not in spec.choices:
        raise OptionError((name,), f"must be one of {', '.join(spec.choices)}, not {value!r}")
    problem = spec.check(value) if spec.check is not None else None
    if problem is not None:
        raise OptionError((name,), problem)


def _specs() -> dict[str, Spec]:
    specs = {}
    for name, f in _fields():
        spec: Spec = f.metadata["spec"]
        flag = spec.flag or "--" + name.replace("_", "-")
        specs[name] = dataclasses.replace(spec, flag=flag, name=name)
    return specs


SPECS: Mapping[str, Spec] = _specs()
DEFAULTS: Mapping[str, Any] = {name: f.default for name, f in _fields()}
