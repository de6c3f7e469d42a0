"""JavaScript for INLINE, LAMBDA, SWITCH and DECISION expressions and DO_WHILE conditions.

Conductor runs them in GraalJS with the input bound to ``$``, console and I/O off, four seconds
at most, a fresh context each time. The fake server runs them the same way in QuickJS (the
``quickjs-ng`` package: a real ES2023 engine, about 0.1 ms per evaluation here, against 2.3 ms
for V8 through ``mini-racer``). It is imported when a script first runs, so the server starts
without it; a script that runs without it fails its task with a reason that says what to
install.

A script's completion value is its result: ``$.a + 1``, or ``(function(){ return 1; })()``.
Results come back as JSON values, whole numbers as integers (as Conductor's conversion does).
"""

from __future__ import annotations

import json
import logging
import math
import re
from typing import Any

log = logging.getLogger(__name__)

MAX_SECONDS = 4  # Conductor's default CONDUCTOR_SCRIPT_MAX_EXECUTION_SECONDS
INSTALL_HINT = "pip install conductor-workers-testing (or quickjs-ng alone)"


class ScriptError(Exception):
    """A script that could not be evaluated; ``timed_out`` for one stopped after
    :data:`MAX_SECONDS` (Conductor retries those, and never retries the others)."""

    def __init__(self, message: str, *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.timed_out = timed_out


def evaluate(script: str, data: Any) -> Any:
    """The value of ``script`` with ``$`` bound to ``data`` (a JSON value)."""
    quickjs = _quickjs()
    context = quickjs.Context()
    context.set_time_limit(MAX_SECONDS)
    context.set_memory_limit(64 * 1024 * 1024)
    try:
        context.eval(f"var $ = {json.dumps(data)};")
        value = context.eval(script)
    except quickjs.JSException as error:
        raise _script_error(str(error)) from None
    except quickjs.StackOverflow as error:
        raise ScriptError(f"Error evaluating the script `{error}`") from None
    if isinstance(value, quickjs.Object):
        text = value.json()
        value = None if text is None else json.loads(text)
    return _as_conductor_value(value)


def syntax_error(script: str) -> str | None:
    """What is wrong with the syntax of ``script``, without running it; None when it reads
    (or when no JavaScript engine is installed: running it will say so)."""
    try:
        quickjs = _quickjs()
    except ScriptError:
        return None
    try:
        # Parsed in full before anything runs, so the throw stops it before the script's
        # first statement; written on the same line, line numbers stay the script's.
        quickjs.Context().eval(f"throw 0;{script}")
    except quickjs.JSException as error:
        first_line = str(error).strip().splitlines()[0]
        return first_line if first_line.startswith("SyntaxError") else None
    return None


def as_boolean(value: Any) -> bool:
    """Conductor's ``ScriptEvaluator.toBoolean``: a boolean as it is, a number when above
    zero, anything else false."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value > 0
    return False


def as_text(value: Any) -> str:
    """A value as Java's ``"" + value`` writes it (what SWITCH and DECISION match cases on)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, float) and math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _quickjs() -> Any:
    try:
        import quickjs
    except ImportError:
        message = (
            "The fake server has no JavaScript engine for this script (INLINE, SWITCH, "
            f"DO_WHILE): {INSTALL_HINT}"
        )
        log.error(message)
        raise ScriptError(message) from None
    return quickjs


def _script_error(text: str) -> ScriptError:
    first_line = text.strip().splitlines()[0] if text.strip() else text
    if "interrupted" in first_line:
        return ScriptError(
            f"Script not evaluated within {MAX_SECONDS} seconds, interrupted.", timed_out=True
        )
    line = re.search(r"<input>:(\d+)", text)
    where = f" at line {line.group(1)}" if line else ""
    return ScriptError(f"Error evaluating the script `{first_line}`{where}")


def _as_conductor_value(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if isinstance(value, list):
        return [_as_conductor_value(item) for item in value]
    if isinstance(value, dict):
        return {key: _as_conductor_value(item) for key, item in value.items()}
    return value
