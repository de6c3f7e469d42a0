"""How a worker's settings are decided: environment, ``worker.ini``, code, defaults.

Properties and their built-in defaults:

==================  ==========================================  ==========================
property            allowed values                              default
==================  ==========================================  ==========================
domain              any text; empty means "no domain"           ``None`` (no domain)
polling_interval    a positive number of milliseconds           100 ms
thread_count        a whole number, 1 or more                   1
worker_id           non-empty text                              this machine's host name
paused              true/false, yes/no, on/off, 1/0             false
==================  ==========================================  ==========================

Precedence, highest first; the first level that sets a property decides it:

1. the task's own environment variable ``conductor_worker_<task>_<property>``, or the same name
   in upper case (``CONDUCTOR_WORKER_<TASK>_<PROPERTY>``); the lower-case form wins if both
   are set. In ``<task>`` every character outside ``[A-Za-z0-9_]`` is read as ``_``, so task
   ``send-email.v2`` is configured by ``conductor_worker_send_email_v2_domain``;
2. the global environment variable ``conductor_worker_<property>`` (or upper case);
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
overrides, so that a typo cannot wait unnoticed until the override is removed.
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

logger = logging.getLogger(__name__)

INI_FILE_NAME = "worker.ini"
ENV_PREFIX = "conductor_worker_"
DEFAULT_POLLING_INTERVAL_MS = 100.0
DEFAULT_THREAD_COUNT = 1
# ConfigParser treats its default section specially; naming it something no file contains
# turns [DEFAULT] into an ordinary section, so each value can be credited to its own section.
_NO_DEFAULT_SECTION = "\0none"
_DEFAULT_SECTION = "DEFAULT"
_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


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

    @property
    def polling_interval_seconds(self) -> float:
        return self.polling_interval_ms / 1000.0

    def describe(self) -> str:
        """One log line: every value with its source."""
        values = {
            "domain": self.domain,
            "polling_interval": f"{_number(self.polling_interval_ms)}ms",
            "thread_count": self.thread_count,
            "worker_id": self.worker_id,
            "paused": self.paused,
        }
        parts = [
            f"{name}={value} ({self.sources.get(name, 'unknown')})"
            for name, value in values.items()
        ]
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
            ``polling_interval`` in ms, ``thread_count``, ``worker_id``, ``paused``); ``None``
            means "not given".
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
        values[prop.name] = value
        sources[prop.name] = source
    if ini is not None:
        ini.warn_unknown_keys(task_name)
    return WorkerSettings(
        task_name=task_name,
        domain=values["domain"],
        polling_interval_ms=values["polling_interval"],
        thread_count=values["thread_count"],
        worker_id=values["worker_id"],
        paused=values["paused"],
        sources=sources,  # a plain dict: settings are pickled into spawned worker processes
    )


def env_task_name(task_name: str) -> str:
    """The task name as it appears in variable names: non ``[A-Za-z0-9_]`` characters -> ``_``."""
    return "".join(c if (c.isascii() and c.isalnum()) or c == "_" else "_" for c in task_name)


def env_variable_names(task_name: str, prop: str) -> list[str]:
    """The variables that may set ``prop`` for ``task_name``, highest precedence first."""
    task = env_task_name(task_name)
    specific = f"{ENV_PREFIX}{task}_{prop}"
    general = f"{ENV_PREFIX}{prop}"
    return [specific, specific.upper(), general, general.upper()]


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


# -- properties -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Property:
    name: str
    argument_name: str  # how the constructor and decorator spell it
    parse_text: Callable[[str], Any]  # raises ValueError with "is not ..." text
    check_argument: Callable[[Any], Any]
    default: Callable[[], Any]


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


def _parse_thread_count(text: str) -> int:
    try:
        return _check_thread_count(int(text.strip()))
    except ValueError:
        raise ValueError("is not a whole number of threads, 1 or more") from None


def _check_thread_count(value: Any) -> int:
    if isinstance(value, str):
        return _parse_thread_count(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError("is not a whole number of threads, 1 or more")
    return value


def _parse_worker_id(text: str) -> str:
    worker_id = text.strip()
    if not worker_id:
        raise ValueError("is not a worker id: it must be non-empty text")
    return worker_id


def _check_worker_id(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("is not a worker id: it must be non-empty text")
    return _parse_worker_id(value)


def _parse_paused(text: str) -> bool:
    word = text.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError("is not a yes/no value (true/false, yes/no, on/off, 1/0)")


def _check_paused(value: Any) -> bool:
    if isinstance(value, str):
        return _parse_paused(value)
    if not isinstance(value, bool):
        raise ValueError("is not a yes/no value (True or False)")
    return value


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
            ),
            _Property(
                "thread_count",
                "thread_count",
                _parse_thread_count,
                _check_thread_count,
                lambda: DEFAULT_THREAD_COUNT,
            ),
            _Property(
                "worker_id", "worker_id", _parse_worker_id, _check_worker_id, socket.gethostname
            ),
            _Property("paused", "paused", _parse_paused, _check_paused, lambda: False),
        )
    }
)


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
            raw = ini.value(section, prop.name)
            if raw is not None:
                value = _parse(prop, raw, ini.where(section, prop.name, raw))
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
        prop = PROPERTIES.get(name)
        if prop is None:
            raise WorkerConfigError(
                f"unknown setting {name!r} for worker {task_name!r}; known settings: "
                + ", ".join(PROPERTIES)
            )
        if value is None:
            continue
        try:
            checked[name] = prop.check_argument(value)
        except ValueError as exc:
            raise WorkerConfigError(
                f"argument {prop.argument_name}={value!r} of worker {task_name!r} {exc}"
            ) from None
    return checked


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
                if key in PROPERTIES:
                    continue
                close = difflib.get_close_matches(key, PROPERTIES, n=1)
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
