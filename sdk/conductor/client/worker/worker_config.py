"""How a worker's settings are decided: environment, ``worker.ini``, code, defaults.

Properties and their built-in defaults:

====================  ========================================  ==============================
property              allowed values                            default
====================  ========================================  ==============================
domain                any text; empty means "no domain"         ``None`` (no domain)
polling_interval      a positive number of milliseconds         100 ms
thread_count          a whole number, 1 or more                 1
worker_id             non-empty text                            this machine's host name
paused                a yes/no value (see below)                no
poll_timeout          whole milliseconds, 0 to 5000             1000 ms
register_task_def     yes/no                                    no
overwrite_task_def    yes/no                                    yes
strict_schema         yes/no                                    no
register_schema       yes/no                                    no
lease_extend_enabled  yes/no                                    no
====================  ========================================  ==============================

``polling_interval`` may also be spelled ``poll_interval`` (conductor-python 2.0.0's name), in
variables and in ``worker.ini``. Yes/no values are ``true``/``false``, ``yes``/``no``,
``on``/``off`` or ``1``/``0`` in any case; anything else is an error.

Precedence, highest first; the first level that sets a property decides it:

1. the task's own environment variable, in any of these forms (first found wins)::

       conductor.worker.<task>.<property>         <task> exactly as named
       conductor_worker_<task>_<property>
       CONDUCTOR_WORKER_<TASK>_<PROPERTY>
       CONDUCTOR_WORKER_<task>_<PROPERTY>         <task> in its own case

   In the last three, every character of the task name outside ``[A-Za-z0-9_]`` is read as
   ``_``: task ``send-email.v2`` is configured by ``conductor_worker_send_email_v2_domain``;
2. a variable for every worker: ``conductor.worker.all.<property>``,
   ``CONDUCTOR_WORKER_ALL_<PROPERTY>``, ``conductor_worker_<property>``,
   ``CONDUCTOR_WORKER_<PROPERTY>`` (first found wins);
3. the ``[<task>]`` section of ``worker.ini`` (the section name is the exact task name);
4. the ``[DEFAULT]`` section of ``worker.ini``;
5. the constructor or decorator argument (``poll_interval`` for ``polling_interval``);
6. the built-in default.

An empty domain (``conductor_worker_foo_domain=`` or ``domain =`` in a section) explicitly
means "no domain": it overrides a domain from a lower level, e.g. a ``[DEFAULT]`` domain for
one task. For every other property an empty value is an error.

``worker.ini`` is looked for in the folder of the main script (``__main__.__file__``), then in
the current working directory; only the first file found is read. An explicit path may be
given instead. The file is read with ``configparser`` without interpolation, so ``%`` is
literal; property names are case-insensitive; unknown names are reported as warnings.

A bad value raises ``WorkerConfigError`` naming where it came from: the variable, the file and
section, or the argument. Every value that is set is checked, also one that a higher level
overrides, so that a typo cannot wait unnoticed until the override is removed. Arguments are
checked with the same rules and messages when they are given (``check_argument``).
"""

from __future__ import annotations

import configparser
import difflib
import logging
import math
import os
import socket
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from conductor.client.configuration._yes_no import parse_yes_no

logger = logging.getLogger(__name__)

INI_FILE_NAME = "worker.ini"
ENV_PREFIX = "conductor_worker_"
DEFAULT_POLLING_INTERVAL_MS = 100.0
DEFAULT_THREAD_COUNT = 1
# How long the server may hold an idle poll: one request per second keeps an idle worker
# nearly free. The server accepts at most 5000 ms.
DEFAULT_POLL_TIMEOUT_MS = 1000
MAX_POLL_TIMEOUT_MS = 5000
# ConfigParser treats its default section specially; naming it something no file contains
# turns [DEFAULT] into an ordinary section, so each value can be credited to its own section.
_NO_DEFAULT_SECTION = "\0none"
_DEFAULT_SECTION = "DEFAULT"


class WorkerConfigError(ValueError):
    """A worker setting has a value that is not allowed; the message says where it came from."""


@dataclass(frozen=True)
class WorkerSettings:
    """The settings a worker runs with, and where each one came from."""

    task_name: str
    domain: str | None
    polling_interval_ms: float
    thread_count: int
    worker_id: str
    paused: bool
    sources: Mapping[str, str] = field(default_factory=dict)
    poll_timeout_ms: int = DEFAULT_POLL_TIMEOUT_MS
    register_task_def: bool = False
    overwrite_task_def: bool = True
    strict_schema: bool = False
    register_schema: bool = False
    lease_extend_enabled: bool = False

    @property
    def polling_interval_seconds(self) -> float:
        return self.polling_interval_ms / 1000.0

    @property
    def paused_by_configuration(self) -> bool:
        """Whether the environment or ``worker.ini`` set ``paused``: then it wins over what
        the worker itself says (its ``paused`` attribute or method, asked before each poll)."""
        return self.sources.get("paused") not in ("argument", "default")

    def value(self, prop: str) -> Any:
        """The value of a property by its name (``polling_interval``, ``poll_timeout``, ...)."""
        return getattr(self, _SETTINGS_FIELDS.get(prop, prop))

    def describe(self) -> str:
        """One log line: every value with its source."""
        parts = []
        for name, prop in PROPERTIES.items():
            shown = prop.show(self.value(name))
            parts.append(f"{name}={shown} ({self.sources.get(name, 'unknown')})")
        return f"worker {self.task_name}: " + ", ".join(parts)


def resolve_worker_settings(
    task_name: str,
    arguments: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    ini_path: str | os.PathLike[str] | None = None,
    search_dirs: Sequence[Path] | None = None,
) -> WorkerSettings:
    """Decides every property of the worker for ``task_name`` (see the module doc).

    Arguments:
        task_name: the task type the worker polls.
        arguments: values given in code, keyed by property name (``domain``,
            ``polling_interval`` in ms, ``thread_count``, ...); ``None`` means "not given".
        environ: the environment to read (default ``os.environ``).
        ini_path: a ``worker.ini`` to read instead of looking for one; it must exist.
        search_dirs: folders to look for ``worker.ini`` in, first found wins (default: the
            main script's folder, then the current directory).
    """
    environ = os.environ if environ is None else environ
    ini = _IniFile.load(ini_path, search_dirs)
    given = _checked_arguments(task_name, arguments or {})
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for prop in PROPERTIES.values():
        value, source = _resolve(prop, task_name, given, environ, ini)
        values[_SETTINGS_FIELDS.get(prop.name, prop.name)] = value
        sources[prop.name] = source
    if ini is not None:
        ini.warn_unknown_keys(task_name)
    # sources is a plain dict: settings are pickled into spawned worker processes
    return WorkerSettings(task_name=task_name, sources=sources, **values)


def check_argument(prop_name: str, value: Any, worker: str) -> Any:
    """``value`` given in code for property ``prop_name``, checked (and normalised: a number
    of milliseconds as a float, ...). Raises ``WorkerConfigError`` naming the argument and
    ``worker`` (e.g. ``"'greet'"``)."""
    prop = PROPERTIES[prop_name]
    try:
        return prop.check_argument(value)
    except ValueError as exc:
        raise WorkerConfigError(
            f"argument {prop.argument_name}={value!r} of worker {worker} {exc}"
        ) from None


def env_task_name(task_name: str) -> str:
    """The task name as it appears in variable names: non ``[A-Za-z0-9_]`` characters -> ``_``."""
    return "".join(c if (c.isascii() and c.isalnum()) or c == "_" else "_" for c in task_name)


def env_variable_names(task_name: str, prop: str) -> list[str]:
    """The variables that may set ``prop`` for ``task_name``, highest precedence first."""
    return _task_variables(task_name, prop) + _global_variables(prop)


def _task_variables(task_name: str, prop: str) -> list[str]:
    task = env_task_name(task_name)
    names: list[str] = []
    for name in PROPERTIES[prop].names if prop in PROPERTIES else (prop,):
        names += [
            f"conductor.worker.{task_name}.{name}",
            f"{ENV_PREFIX}{task}_{name}",
            f"{ENV_PREFIX}{task}_{name}".upper(),
            f"{ENV_PREFIX.upper()}{task}_{name.upper()}",
        ]
    return list(dict.fromkeys(names))  # a task name in upper case gives one name twice


def _global_variables(prop: str) -> list[str]:
    names: list[str] = []
    for name in PROPERTIES[prop].names if prop in PROPERTIES else (prop,):
        names += [
            f"conductor.worker.all.{name}",
            f"{ENV_PREFIX}all_{name}".upper(),
            f"{ENV_PREFIX}{name}",
            f"{ENV_PREFIX}{name}".upper(),
        ]
    return names


def default_search_dirs() -> list[Path]:
    """Where ``worker.ini`` is looked for: the main script's folder, then the current one."""
    dirs: list[Path] = []
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    if main_file:
        dirs.append(Path(main_file).resolve().parent)
    cwd = Path.cwd().resolve()
    if cwd not in dirs:
        dirs.append(cwd)
    return dirs


def find_worker_ini(search_dirs: Sequence[Path] | None = None) -> Path | None:
    """The first ``worker.ini`` in ``search_dirs`` (default ``default_search_dirs()``)."""
    for folder in default_search_dirs() if search_dirs is None else search_dirs:
        candidate = Path(folder) / INI_FILE_NAME
        if candidate.is_file():
            return candidate
    return None


# -- conductor-python 2.0.0's functions ----------------------------------------------------

# resolve_worker_config's keys (2.0.0's names) and the properties they report.
CONFIG_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "poll_interval": "polling_interval",
        "domain": "domain",
        "worker_id": "worker_id",
        "thread_count": "thread_count",
        "register_task_def": "register_task_def",
        "poll_timeout": "poll_timeout",
        "lease_extend_enabled": "lease_extend_enabled",
        "paused": "paused",
        "overwrite_task_def": "overwrite_task_def",
        "strict_schema": "strict_schema",
        "register_schema": "register_schema",
    }
)
# The only properties 2.0.0's function reports a default for; the others are None unless set.
_CONFIG_DEFAULTS = {"overwrite_task_def": True, "strict_schema": False, "register_schema": False}


def resolve_worker_config(
    worker_name: str,
    poll_interval: float | None = None,
    domain: str | None = None,
    worker_id: str | None = None,
    thread_count: int | None = None,
    register_task_def: bool | None = None,
    poll_timeout: int | None = None,
    lease_extend_enabled: bool | None = None,
    paused: bool | None = None,
    overwrite_task_def: bool | None = None,
    strict_schema: bool | None = None,
    register_schema: bool | None = None,
) -> dict[str, Any]:
    """conductor-python 2.0.0's view of a worker's settings: the values given in code (these
    arguments), overridden by the environment and ``worker.ini`` as ``resolve_worker_settings``
    decides, keyed by 2.0.0's names (``poll_interval`` in ms, ...).

    As in 2.0.0, a property that nothing sets is ``None`` (the worker then runs with the
    built-in default), except ``overwrite_task_def`` (``True``), ``strict_schema`` and
    ``register_schema`` (``False``). A bad value raises ``WorkerConfigError`` naming it.
    """
    given = {
        "poll_interval": poll_interval,
        "domain": domain,
        "worker_id": worker_id,
        "thread_count": thread_count,
        "register_task_def": register_task_def,
        "poll_timeout": poll_timeout,
        "lease_extend_enabled": lease_extend_enabled,
        "paused": paused,
        "overwrite_task_def": overwrite_task_def,
        "strict_schema": strict_schema,
        "register_schema": register_schema,
    }
    settings = resolve_worker_settings(
        worker_name, {CONFIG_KEYS[key]: value for key, value in given.items()}
    )
    resolved: dict[str, Any] = {}
    for key, prop in CONFIG_KEYS.items():
        source = settings.sources[prop]
        if source == "default":
            resolved[key] = _CONFIG_DEFAULTS.get(key)
        elif source == "argument":
            resolved[key] = given[key]  # as written in code (checked): 1000, not 1000.0
        else:
            resolved[key] = settings.value(prop)
    return resolved


def get_worker_config_summary(worker_name: str, resolved_config: Mapping[str, Any]) -> str:
    """Lines naming each value of ``resolved_config`` (from ``resolve_worker_config``) and
    where it came from: the variable or ``worker.ini`` section that set it, else the code."""
    sources = _sources_outside_code(worker_name)
    lines = [f"Worker '{worker_name}' configuration:"]
    for key, value in resolved_config.items():
        if value is not None:
            lines.append(f"  {key}: {value} (from {sources.get(key, 'code')})")
    return "\n".join(lines)


def get_worker_config_oneline(worker_name: str, resolved_config: Mapping[str, Any]) -> str:
    """The settings of ``resolved_config`` on one line, as 2.0.0 logs a worker's start:
    ``Conductor Worker[name=..., pid=..., status=active, poll_interval=500ms, ...]``."""
    parts = [f"name={worker_name}", f"pid={os.getpid()}"]
    parts.append("status=paused" if resolved_config.get("paused") else "status=active")
    shown = (
        ("poll_interval", "poll_interval", "ms"),
        ("domain", "domain", ""),
        ("thread_count", "thread_count", ""),
        ("poll_timeout", "poll_timeout", "ms"),
        ("lease_extend_enabled", "lease_extend", ""),
        ("register_task_def", "register_task_def", ""),
    )
    for key, label, unit in shown:
        value = resolved_config.get(key)
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        parts.append(f"{label}={value}{unit}")
    return f"Conductor Worker[{', '.join(parts)}]"


def _sources_outside_code(worker_name: str) -> dict[str, str]:
    """For each of 2.0.0's keys set by the environment or ``worker.ini``: where."""
    settings = resolve_worker_settings(worker_name)
    sources = {}
    for key, prop in CONFIG_KEYS.items():
        source = settings.sources[prop]
        if source != "default":
            sources[key] = source.removeprefix("env ")
    return sources


# -- properties -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Property:
    name: str
    argument_name: str  # how the constructor and decorator spell it
    parse_text: Callable[[str], Any]  # raises ValueError with "is not ..." text
    check_argument: Callable[[Any], Any]
    default: Callable[[], Any]
    aliases: tuple[str, ...] = ()  # other names in variables and worker.ini
    unit: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def show(self, value: Any) -> str:
        if isinstance(value, float):
            value = _number(value)
        return f"{value}{self.unit}"


def _parse_domain(text: str) -> str | None:
    return text.strip() or None


def _check_domain(value: Any) -> str | None:
    if not isinstance(value, str):
        raise ValueError("is not a text (a domain name, or empty for no domain)")
    return _parse_domain(value)


def _parse_interval(text: str) -> float:
    try:
        return _check_interval(float(text))
    except ValueError:
        raise ValueError("is not a positive number of milliseconds") from None


def _check_interval(value: Any) -> float:
    if isinstance(value, str):
        return _parse_interval(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise ValueError("is not a positive number of milliseconds")
    return float(value)


def _whole_number(problem: str, low: int, high: float = math.inf) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, str):
            try:
                value = int(value.strip())
            except ValueError:
                raise ValueError(problem) from None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(problem)
        return value

    return check


_check_thread_count = _whole_number("is not a whole number of threads, 1 or more", 1)
_check_poll_timeout = _whole_number(
    f"is not a whole number of milliseconds from 0 to {MAX_POLL_TIMEOUT_MS} (the longest "
    "poll the server allows)",
    0,
    MAX_POLL_TIMEOUT_MS,
)


def _parse_worker_id(text: str) -> str:
    worker_id = text.strip()
    if not worker_id:
        raise ValueError("is not a worker id: it must be non-empty text")
    return worker_id


def _check_worker_id(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("is not a worker id: it must be non-empty text")
    return _parse_worker_id(value)


def _check_yes_no(value: Any) -> bool:
    if isinstance(value, str):
        return parse_yes_no(value)
    if not isinstance(value, bool):
        raise ValueError("is not a yes/no value (True or False)")
    return value


def _yes_no(name: str, default: bool) -> _Property:
    return _Property(name, name, parse_yes_no, _check_yes_no, lambda: default)


PROPERTIES: Mapping[str, _Property] = MappingProxyType(
    {
        p.name: p
        for p in (
            _Property("domain", "domain", _parse_domain, _check_domain, lambda: None),
            _Property(
                "polling_interval",
                "poll_interval",
                _parse_interval,
                _check_interval,
                lambda: DEFAULT_POLLING_INTERVAL_MS,
                aliases=("poll_interval",),
                unit="ms",
            ),
            _Property(
                "thread_count",
                "thread_count",
                _check_thread_count,
                _check_thread_count,
                lambda: DEFAULT_THREAD_COUNT,
            ),
            _Property(
                "worker_id", "worker_id", _parse_worker_id, _check_worker_id, socket.gethostname
            ),
            _Property("paused", "paused", parse_yes_no, _check_yes_no, lambda: False),
            _Property(
                "poll_timeout",
                "poll_timeout",
                _check_poll_timeout,
                _check_poll_timeout,
                lambda: DEFAULT_POLL_TIMEOUT_MS,
                unit="ms",
            ),
            _yes_no("register_task_def", False),
            _yes_no("overwrite_task_def", True),
            _yes_no("strict_schema", False),
            _yes_no("register_schema", False),
            _yes_no("lease_extend_enabled", False),
        )
    }
)
# WorkerSettings field of a property, where the names differ.
_SETTINGS_FIELDS = {"polling_interval": "polling_interval_ms", "poll_timeout": "poll_timeout_ms"}
_INI_NAMES = {name: prop for prop in PROPERTIES.values() for name in prop.names}


# -- resolution -----------------------------------------------------------------------------


def _resolve(
    prop: _Property,
    task_name: str,
    given: Mapping[str, Any],
    environ: Mapping[str, str],
    ini: _IniFile | None,
) -> tuple[Any, str]:
    """The value of the highest level that sets ``prop``, and its source.

    Every level that sets it is validated, so that a bad value cannot lurk unnoticed
    behind a higher one until that one is removed.
    """
    found: list[tuple[Any, str]] = []
    for variable in env_variable_names(task_name, prop.name):
        raw = environ.get(variable)
        if raw is not None:
            found.append((_parse(prop, raw, f"{variable}={raw!r}"), f"env {variable}"))
    if ini is not None:
        for section in (task_name, _DEFAULT_SECTION):
            for key in prop.names:
                raw = ini.value(section, key)
                if raw is not None:
                    value = _parse(prop, raw, ini.where(section, key, raw))
                    found.append((value, ini.source(section)))
    if prop.name in given:
        found.append((given[prop.name], "argument"))
    return found[0] if found else (prop.default(), "default")


def _parse(prop: _Property, raw: str, where: str) -> Any:
    try:
        return prop.parse_text(raw)
    except ValueError as exc:
        raise WorkerConfigError(f"{where} {exc}") from None


def _checked_arguments(task_name: str, arguments: Mapping[str, Any]) -> dict[str, Any]:
    checked: dict[str, Any] = {}
    for name, value in arguments.items():
        if name not in PROPERTIES:
            raise WorkerConfigError(
                f"unknown setting {name!r} for worker {task_name!r}; known settings: "
                + ", ".join(PROPERTIES)
            )
        if value is not None:
            checked[name] = check_argument(name, value, repr(task_name))
    return checked


# The unknown worker.ini settings warned about in this process: (file, section, key).
_WARNED_INI_KEYS: set[tuple[str, str, str]] = set()


class _IniFile:
    """One parsed ``worker.ini``, with [DEFAULT] kept apart from the task sections."""

    def __init__(self, path: Path, parser: configparser.ConfigParser) -> None:
        self.path = path
        self.parser = parser

    @classmethod
    def load(
        cls, ini_path: str | os.PathLike[str] | None, search_dirs: Sequence[Path] | None
    ) -> _IniFile | None:
        if ini_path is not None:
            path = Path(ini_path)
            if not path.is_file():
                raise WorkerConfigError(f"worker configuration file {path} does not exist")
        else:
            found = find_worker_ini(search_dirs)
            if found is None:
                return None
            path = found
        parser = configparser.ConfigParser(interpolation=None, default_section=_NO_DEFAULT_SECTION)
        try:
            with path.open(encoding="utf-8") as stream:
                parser.read_file(stream)
        except configparser.MissingSectionHeaderError as exc:
            message = (
                f"cannot read worker configuration file {path}: line {exc.lineno} "
                f"({exc.line.strip()!r}) is outside a section; settings go under [DEFAULT] "
                "(every worker) or [<task name>]"
            )
            raise WorkerConfigError(message) from None
        except (OSError, UnicodeDecodeError, configparser.Error) as exc:
            message = f"cannot read worker configuration file {path}: {exc}"
            raise WorkerConfigError(message) from None
        return cls(path.resolve(), parser)

    def value(self, section: str, key: str) -> str | None:
        if not self.parser.has_section(section):
            return None
        return self.parser.get(section, key, fallback=None)

    def source(self, section: str) -> str:
        return f"{self.path.name} [{section}] ({self.path})"

    def where(self, section: str, key: str, raw: str) -> str:
        return f"{self.path.name} [{section}] {key} = {raw} (in {self.path})"

    def warn_unknown_keys(self, task_name: str) -> None:
        for section in (task_name, _DEFAULT_SECTION):
            if not self.parser.has_section(section):
                continue
            for key in self.parser.options(section):
                if key in _INI_NAMES or (str(self.path), section, key) in _WARNED_INI_KEYS:
                    continue
                # Once per file, section and key: every worker reads [DEFAULT].
                _WARNED_INI_KEYS.add((str(self.path), section, key))
                close = difflib.get_close_matches(key, _INI_NAMES, n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                logger.warning(
                    "%s: unknown setting %r ignored%s; known settings: %s",
                    self.source(section),
                    key,
                    hint,
                    ", ".join(PROPERTIES),
                )


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)
