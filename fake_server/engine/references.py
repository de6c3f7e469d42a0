"""What a workflow definition's expressions may name, checked at registration as Conductor's
``TaskReferenceNameUniqueConstraint`` does with ``ConstraintParamUtil.validateInputParam``.

Each ``${...}`` in the ``inputParameters`` of the definition's top-level tasks (nested tasks
are not looked at, as on Conductor) must be a readable path whose first part is ``workflow``,
a task reference name of the definition (nested tasks count), one of Conductor's system
parameters (``CPEWF_TASK_ID``, ``NETFLIX_ENV``, ``NETFLIX_STACK``) or a variable of the server's
environment. Anything else refuses the definition with a 400 listing every mistake.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

from fake_server.engine.errors import ValidationError, constraint_violations
from fake_server.engine.expressions import PathError, UnsupportedPathError, compile_path

# Cuts a string before each ``${`` (but not ``$${``, a literal) and after each ``}``: the pieces
# that start with ``${`` and end with ``}`` are the expressions Conductor checks.
_PIECES = re.compile(r"(?=(?<!\$)\$\{)|(?<=\})")
_SYSTEM_PARAMETERS = frozenset({"CPEWF_TASK_ID", "NETFLIX_ENV", "NETFLIX_STACK"})


def check_input_references(definition: Any, path: str) -> None:
    """Refuse ``definition`` (a :class:`~fake_server.engine.definitions.WorkflowDef`) when an
    expression of its tasks' inputs names nothing it has."""
    references = {task.task_reference_name for task in definition.walk()}
    problems = [
        ValidationError(path, message, None)
        for task in definition.tasks
        for message in input_problems(task.input_parameters, task.name, references)
    ]
    if problems:
        raise constraint_violations(problems)


def input_problems(parameters: dict[str, Any], task_name: str, references: set[str]) -> list[str]:
    """Conductor's messages for what ``parameters`` name that does not exist."""
    return [
        message
        for key, text in _strings(parameters)
        for message in _text_problems(key, text, task_name, references)
    ]


def _strings(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """(the input key it is under, the string) for each string held by ``value``; a string in a
    list goes by the list's key, one in an object by its own."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _strings(item, str(name))
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, key)
    elif isinstance(value, str):
        yield key, value


def _text_problems(key: str, text: str, task_name: str, references: set[str]) -> list[str]:
    problems = []
    for piece in _PIECES.split(text):
        if not (piece.startswith("${") and piece.endswith("}")):
            continue
        expression = piece[2:-1]
        if not _is_readable(expression):
            problems.append(f"key: {key} input parameter value: {expression} is not valid")
        elif expression in _SYSTEM_PARAMETERS or expression in os.environ:
            continue
        elif expression.split(".")[0] not in references | {"workflow"}:
            # Conductor's words, key and value in its order.
            problems.append(
                f"taskReferenceName: {expression.split('.')[0]} for given task: {task_name} "
                f"input value: {key} of input parameter: {text} is not defined in workflow "
                "definition."
            )
    return problems


def _is_readable(expression: str) -> bool:
    if not expression.strip():
        return False  # Jayway compiles no empty path
    try:
        compile_path(expression)
    except UnsupportedPathError:
        return True  # Jayway reads it (the fake refuses it elsewhere, by name)
    except PathError:
        return False
    return True
