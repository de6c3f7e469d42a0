"""The honest boundary: definition fields and request fields whose value would change what
Conductor does, but which the fake server does not honour, are refused with a 400 "not
supported by the fake server: <field>" instead of being accepted and ignored (a worker must
not pass here and fail in production).

Default and empty values are accepted: official clients send some fields always
(``timeoutSeconds``, ``inputTemplate: {}``, ``variables: {}``,
``enforceSchema``, ``outputParameters: {}``).
Fields that only describe (``description``, ``ownerEmail``, ``inputKeys``, and the JSON
schemas, which Conductor OSS stores but does not enforce) are kept as sent. ``${...}``
expressions Jayway reads but the fake cannot are refused as well.
"""

from __future__ import annotations

from typing import Any

from fake_server.engine.errors import unsupported
from fake_server.engine.expressions import unsupported_expressions
from fake_server.engine.validation import Fields

# Task definition fields that change behaviour, with the value that does not.
_TASK_DEF_NEUTRAL: dict[str, Any] = {
    "isolationGroupId": None,  # a different queue
    "executionNameSpace": None,  # a different queue
    "runtimeMetadata": [],
}
_WORKFLOW_DEF_NEUTRAL: dict[str, Any] = {
    "rateLimitConfig": None,
    "cacheConfig": None,
    "maskedFields": [],
}
_START_REQUEST_NEUTRAL: dict[str, Any] = {
    "externalInputPayloadStoragePath": None,
    "idempotencyKey": None,
    "idempotencyStrategy": None,
}


def check_task_def(f: Fields) -> None:
    _check_neutral(f, _TASK_DEF_NEUTRAL)


def check_workflow_def(f: Fields) -> None:
    _check_neutral(f, _WORKFLOW_DEF_NEUTRAL)
    _check_expressions(f, "outputParameters")
    for index, task in enumerate(f.data.get("tasks") or []):
        if isinstance(task, dict):
            _check_task_expressions(Fields(task, f"{f.where('tasks')}[{index}]"))


def check_start_request(f: Fields) -> None:
    neutral = _START_REQUEST_NEUTRAL
    if f.data.get("idempotencyKey") is None:
        # A strategy without a key decides nothing (conductor-python sends FAIL always).
        neutral = {k: v for k, v in neutral.items() if k != "idempotencyStrategy"}
    _check_neutral(f, neutral)


def _check_task_expressions(f: Fields) -> None:
    _check_expressions(f, "inputParameters")
    for key in ("decisionCases",):
        for branch in (f.data.get(key) or {}).values():
            _check_branch(f, key, branch)
    for key in ("defaultCase", "loopOver"):
        _check_branch(f, key, f.data.get(key))
    for index, branch in enumerate(f.data.get("forkTasks") or []):
        _check_branch(f, f"forkTasks[{index}]", branch)


def _check_branch(f: Fields, key: str, branch: Any) -> None:
    for index, task in enumerate(branch or [] if isinstance(branch, list) else []):
        if isinstance(task, dict):
            _check_task_expressions(Fields(task, f"{f.where(key)}[{index}]"))


def _check_neutral(f: Fields, neutral: dict[str, Any]) -> None:
    for key, default in neutral.items():
        value = f.data.get(key)
        if value is not None and value != default and value not in ({}, [], ""):
            raise unsupported(f.where(key), key, value)


def _check_expressions(f: Fields, key: str) -> None:
    problems = unsupported_expressions(f.data.get(key))
    if problems:
        raise unsupported(f.where(key), problems[0])
