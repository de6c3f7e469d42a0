"""Worker settings that configure nothing: said once, when the workers start.

A variable such as ``CONDUCTOR_WORKER_GREET_THREADS=4`` (no property ``threads``) or
``CONDUCTOR_WORKER_GRET_DOMAIN=x`` (no worker ``gret`` runs), or a ``worker.ini`` section
``[gret]``, would otherwise be ignored without a word. ``warn_unknown_settings`` warns once
for each, with the closest known name (unknown keys inside a running worker's section are
``worker_config``'s warnings).
"""

from __future__ import annotations

import difflib
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from conductor.client.worker.worker_config import (
    _DEFAULT_SECTION,
    ENV_PREFIX,
    PROPERTIES,
    _IniFile,
    env_task_name,
    env_variable_names,
)

__all__ = ["warn_unknown_settings"]

logger = logging.getLogger(__name__)

# Variables with the workers' prefix that are not worker properties.
OTHER_VARIABLES = frozenset({"CONDUCTOR_WORKER_ISOLATION"})
_PROPERTY_NAMES = sorted({name for p in PROPERTIES.values() for name in p.names})
_warned: set[str] = set()  # what was said in this process already


def warn_unknown_settings(
    task_names: Iterable[str],
    environ: Mapping[str, str] | None = None,
    search_dirs: Sequence[Path] | None = None,
) -> list[str]:
    """Warns once for each worker variable and ``worker.ini`` section that names no known
    property or none of the workers in ``task_names``; returns the warnings."""
    tasks = sorted(set(task_names))
    if not tasks:
        return []
    environ = os.environ if environ is None else environ
    messages = [_variable_problem(v, tasks) for v in environ if _is_worker_variable(v)]
    ini = _IniFile.load(None, search_dirs)
    if ini is not None:
        messages += [_section_problem(ini, section, tasks) for section in ini.parser.sections()]
    said = []
    for message in messages:
        if message and message not in _warned:
            _warned.add(message)
            logger.warning("%s", message)
            said.append(message)
    return said


def _is_worker_variable(variable: str) -> bool:
    lower = variable.lower()
    return lower.startswith((ENV_PREFIX, "conductor.worker.")) and variable not in OTHER_VARIABLES


def _variable_problem(variable: str, tasks: list[str]) -> str:
    known = {v for task in tasks for prop in PROPERTIES for v in env_variable_names(task, prop)}
    if variable in known:
        return ""
    same_letters = sorted(k for k in known if k.lower() == variable.lower())
    if same_letters:
        return f"{variable} ignored: not read in this spelling; write {' or '.join(same_letters)}"
    dotted = variable.lower().startswith("conductor.worker.")
    rest = variable[len("conductor.worker.") if dotted else len(ENV_PREFIX) :]
    separator = "." if dotted else "_"
    what, choices = _what_is_unknown(rest, separator, tasks, dotted)
    hint = _did_you_mean(what, choices)
    return f"{variable} ignored: {hint}"


def _what_is_unknown(
    rest: str, separator: str, tasks: list[str], dotted: bool
) -> tuple[str, list[str]]:
    """What part of a variable's name is unknown (its task or its property), and the names
    that would be known there."""
    shown_tasks = tasks if dotted else [env_task_name(t) for t in tasks]
    lower = rest.lower()
    for prop in sorted(_PROPERTY_NAMES, key=len, reverse=True):  # the longest ending first
        if lower == prop or lower.endswith(separator + prop):
            task = rest[: -len(prop) - 1] if lower != prop else ""
            if task.lower() != "all":
                return f"worker {task}", shown_tasks
    for task in [*shown_tasks, "all"]:
        if lower.startswith(task.lower() + separator):
            return f"property {rest[len(task) + 1 :]}", _PROPERTY_NAMES
    return f"property {rest}", _PROPERTY_NAMES


def _did_you_mean(what: str, choices: list[str]) -> str:
    kind, _, name = what.partition(" ")
    by_lower = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.6)
    hint = f" (did you mean {by_lower[close[0]]}?)" if close else ""
    if kind == "worker":
        running = ", ".join(choices) or "none"
        return f"no worker {name!r} is running{hint}; running: {running}"
    return f"no worker setting {name!r}{hint}; known settings: {', '.join(PROPERTIES)}"


def _section_problem(ini: _IniFile, section: str, tasks: list[str]) -> str:
    if section in tasks or section == _DEFAULT_SECTION:
        return ""
    close = difflib.get_close_matches(section, tasks, n=1)
    hint = f" (did you mean [{close[0]}]?)" if close else ""
    running = ", ".join(tasks) or "none"
    return (
        f"{ini.source(section)}: section ignored: no worker {section!r} is running{hint}; "
        f"running: {running}"
    )
