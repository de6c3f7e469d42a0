"""Load task and workflow definitions from a directory of JSON files (``--definitions DIR``).

Every ``*.json`` file under DIR (sub-directories included, in name order) holds one of:

- a task definition: an object without ``tasks``, e.g. ``{"name": "greet", "retryCount": 2}``;
- a workflow definition: an object with ``tasks``;
- a list of such objects (task and workflow definitions may be mixed).

Task definitions are registered before workflow definitions; a definition that appears twice
(same task name, or same workflow name and version) takes the content of the later file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fake_server.engine import Engine
from fake_server.engine.definitions import is_workflow_def, parse_task_def, parse_workflow_def
from fake_server.engine.errors import ConductorError


class DefinitionsError(Exception):
    """A definitions file that cannot be loaded; the message names the file."""


@dataclass
class Loaded:
    task_defs: int = 0
    workflow_defs: int = 0


def load_definitions(engine: Engine, directory: str | Path) -> Loaded:
    directory = Path(directory)
    if not directory.is_dir():
        problem = "not a directory" if directory.exists() else "no such directory"
        raise DefinitionsError(f"{directory}: {problem}")
    task_defs: list[Any] = []
    workflow_defs: list[Any] = []
    for path in sorted(directory.rglob("*.json")):
        content = _read_json(path)
        items = content if isinstance(content, list) else [content]
        for index, item in enumerate(items):
            where = f"item [{index}]" if isinstance(content, list) else "the file"
            if not isinstance(item, dict):
                raise DefinitionsError(
                    f"{path}: {where} must be a task or workflow definition (a JSON object), "
                    f"got {type(item).__name__}"
                )
            # Parsed here only to name the file and item in an error; the engine parses again.
            parse = parse_workflow_def if is_workflow_def(item) else parse_task_def
            try:  # the error names the field, from the item's index in a list
                parse(item, f"[{index}]" if isinstance(content, list) else "")
            except ConductorError as error:
                raise DefinitionsError(f"{path}: {error.message}") from None
            (workflow_defs if is_workflow_def(item) else task_defs).append(item)
    if task_defs:
        engine.register_task_defs(task_defs)
    if workflow_defs:
        engine.upsert_workflow_defs(workflow_defs)
    return Loaded(task_defs=len(task_defs), workflow_defs=len(workflow_defs))


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise DefinitionsError(f"{path}: cannot read: {error}") from None
    except ValueError as error:
        raise DefinitionsError(f"{path}: not valid JSON: {error}") from None
