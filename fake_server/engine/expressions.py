"""Conductor's ``${...}`` parameter expressions, evaluated as Conductor evaluates them.

Conductor (``ParametersUtils``) walks a template (task ``inputParameters``, a workflow's
``outputParameters``, ...) and replaces every ``${...}`` in its strings:

- An expression runs from ``${`` to its balanced ``}``; expressions nested inside it are resolved
  first, as text (``${map.${key}[${i}]}``). ``$${`` is a literal ``${`` and is never evaluated.
- A string that is exactly one expression takes the value with its type; an expression inside a
  longer string becomes text the way Java prints the value: ``{a=1, b=x}`` for an object,
  ``[1, 2]`` for a list, ``null`` for nothing; a list made by a wildcard, filter, slice or deep
  scan prints as compact JSON (``["a","b"]``), as Jayway's own list type does.
- ``${}`` gives an empty string. ``${CPEWF_TASK_ID}`` is the id of the task being scheduled, and
  a name of a variable in the server's environment gives its value (both checked before paths).
  ``${workflow.env.NAME}`` reads ``CONDUCTOR_ENV_NAME``; ``${workflow.secrets.NAME}`` stays as it
  is until the task is handed to a worker (:func:`substitute_secrets`, ``CONDUCTOR_SECRET_NAME``).
- Everything else is a JSONPath (Jayway's dialect, ``$.`` implied) into the context: ``workflow``
  and one entry per task reference name. A definite path (names, indexes) gives the value or
  null; an indefinite one gives a list, empty when nothing matches. Filters
  (``[?(@.kind == 'a' && @.n > 1)]``, ``in``, ``=~ /re/``), slices, ``[*]``, ``..`` and a final
  function (``length()``, ``size()``, ``sum()``, ``avg()``, ``min()``, ``max()``, ``stddev()``,
  ``concat()``, ``keys()``, ``first()``, ``last()``) work as in Jayway; a path that cannot be read
  gives null, as Conductor's does.

JSONPath queries are parsed and run by ``python-jsonpath``; this module turns Jayway's syntax
into that library's and applies Jayway's rules on what a path returns.
"""

from __future__ import annotations

import copy
import functools
import json
import logging
import math
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import jsonpath
from jsonpath import JSONPathEnvironment, JSONPathError
from jsonpath.filter import UNDEFINED
from jsonpath.function_extensions import ExpressionType, FilterFunction
from jsonpath.match import NodeList

log = logging.getLogger(__name__)

TASK_ID_VARIABLE = "CPEWF_TASK_ID"
# Conductor's own "system parameters": always treated as variables, set or not.
_SYSTEM_PARAMETERS = frozenset({TASK_ID_VARIABLE, "NETFLIX_ENV", "NETFLIX_STACK"})
ENV_PREFIX = "workflow.env."
SECRETS_PREFIX = "workflow.secrets."
ENV_VARIABLE_PREFIX = "CONDUCTOR_ENV_"
SECRET_VARIABLE_PREFIX = "CONDUCTOR_SECRET_"


class PathArray(list):  # type: ignore[type-arg]
    """What an indefinite path gives (wildcard, filter, slice, deep scan, several names): a
    list that prints as compact JSON inside a longer string, as Jayway's list type does."""


class PathError(ValueError):
    """A path that cannot be read (Conductor reads such a path as null)."""


class UnsupportedPathError(PathError):
    """A path Jayway reads but this module does not (see :func:`unsupported_expressions`)."""


# Jayway's filter operators that python-jsonpath does not have.
_JAYWAY_ONLY_OPERATORS = re.compile(r"\s(nin|subsetof|anyof|noneof|size|empty)\s|===|!==")
# Jayway's functions that take parameters, or that are not built here.
_JAYWAY_ONLY_FUNCTIONS = frozenset({"append", "index"})


# ------------------------------------------------------------------ templates
def evaluate(template: Any, context: Mapping[str, Any], task_id: str | None = None) -> Any:
    """Resolve every expression inside ``template`` (objects and lists are walked; the template
    is not changed). ``task_id`` is what ``${CPEWF_TASK_ID}`` gives."""
    if isinstance(template, str):
        return _parsed(template).evaluate(context, task_id, False)
    if isinstance(template, dict):
        return {key: evaluate(value, context, task_id) for key, value in template.items()}
    if isinstance(template, list):
        return [evaluate(value, context, task_id) for value in template]
    return copy.deepcopy(template)


def evaluate_string(
    text: str, context: Mapping[str, Any], task_id: str | None = None, *, nested: bool = False
) -> Any:
    """One string of a template: its value when it is exactly one expression, else text."""
    return _parsed(text).evaluate(context, task_id, nested)


@dataclass(frozen=True)
class _ParsedString:
    """A template string split once into its outermost expressions: each span's start and
    end in ``text``, with the text between ``${`` and ``}`` parsed the same way (the
    expressions nested in it)."""

    text: str
    spans: tuple[tuple[int, int, _ParsedString], ...]

    def evaluate(self, context: Mapping[str, Any], task_id: str | None, nested: bool) -> Any:
        text = self.text
        if not self.spans:
            return text.replace("$${", "${") if "$${" in text else text
        replacements: list[tuple[int, int, Any]] = []
        for start, end, inner in self.spans:
            found, value = _resolve(str(inner.evaluate(context, task_id, True)), context, task_id)
            if found:
                replacements.append((start, end, value))
        if not nested and len(replacements) == 1 and replacements[0][:2] == (0, len(text)):
            value = replacements[0][2]
            # A copy: a task's input must not share objects with another task's output.
            return copy.deepcopy(list(value) if isinstance(value, PathArray) else value)
        parts: list[str] = []
        position = 0
        for start, end, value in replacements:
            parts.append(text[position:start])
            parts.append(as_text(value))
            position = end
        parts.append(text[position:])
        return "".join(parts).replace("$${", "${")


# Template strings parsed once: a definition's few strings are evaluated for every task
# scheduled from it (longer strings are parsed each time rather than kept).
_PARSED_CACHE_SIZE = 4096
_PARSED_MAX_LENGTH = 1000


def _parsed(text: str) -> _ParsedString:
    if "${" not in text:
        return _ParsedString(text, ())
    if len(text) > _PARSED_MAX_LENGTH:
        return _parse(text)
    return _parse_cached(text)


def _parse(text: str) -> _ParsedString:
    spans = tuple(
        (start, end, _parsed(text[start + 2 : end - 1])) for start, end in find_expressions(text)
    )
    return _ParsedString(text, spans)


_parse_cached = functools.lru_cache(maxsize=_PARSED_CACHE_SIZE)(_parse)


def find_expressions(text: str) -> Iterator[tuple[int, int]]:
    """Spans of the outermost ``${...}`` in ``text`` (balanced braces, not after a ``$``)."""
    position = 0
    while True:
        start = text.find("${", position)
        if start < 0:
            return
        if start > 0 and text[start - 1] == "$":
            position = start + 1
            continue
        end = _closing_brace(text, start + 1)
        if end is None:
            position = start + 1
            continue
        yield start, end
        position = end


def _closing_brace(text: str, opening: int) -> int | None:
    """The index just past the ``}`` that closes the ``{`` at ``opening``."""
    depth = 0
    for index in range(opening, len(text)):
        char = text[index]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index + 1
    return None


def _resolve(path: str, context: Mapping[str, Any], task_id: str | None) -> tuple[bool, Any]:
    """(whether the expression is replaced, its value) for the text between ``${`` and ``}``."""
    if not path.strip():
        return True, ""
    if path.startswith(SECRETS_PREFIX):
        return False, None  # resolved when the task is handed to a worker
    if path.startswith(ENV_PREFIX):
        return True, _lookup_with_path(ENV_VARIABLE_PREFIX, path[len(ENV_PREFIX) :])
    if path in _SYSTEM_PARAMETERS or path in os.environ:
        value = task_id if path == TASK_ID_VARIABLE else os.environ.get(path)
        return value is not None, value
    try:
        return True, read_path(path, context)
    except PathError as error:
        log.warning("expression ${%s} gives null: %s", path, error)
        return True, None


def _lookup_with_path(prefix: str, reference: str) -> Any:
    """``NAME`` or ``NAME.json.path``: the variable ``prefix + NAME``, read as JSON for a path."""
    name, _, path = reference.partition(".")
    value = os.environ.get(prefix + name)
    if value is None or not path:
        return value
    try:
        return read_path(path, json.loads(value))
    except (ValueError, PathError):
        return None


def substitute_secrets(value: Any) -> Any:
    """``${workflow.secrets.NAME}`` replaced by ``CONDUCTOR_SECRET_NAME`` (null when unset):
    what a worker receives. Values without a secret are returned as they are."""
    if isinstance(value, dict):
        return _with_secrets(value, value.items(), dict)
    if isinstance(value, list):
        return _with_secrets(value, enumerate(value), list)
    if not isinstance(value, str) or "${" + SECRETS_PREFIX not in value:
        return value
    spans = [
        (start, end)
        for start, end in find_expressions(value)
        if value[start + 2 : end - 1].startswith(SECRETS_PREFIX)
    ]
    if len(spans) == 1 and spans[0] == (0, len(value)):
        return _lookup_with_path(SECRET_VARIABLE_PREFIX, value[2 + len(SECRETS_PREFIX) : -1])
    parts, position = [], 0
    for start, end in spans:
        secret = _lookup_with_path(
            SECRET_VARIABLE_PREFIX, value[start + 2 + len(SECRETS_PREFIX) : end - 1]
        )
        parts += [value[position:start], "" if secret is None else str(secret)]
        position = end
    return "".join([*parts, value[position:]])


def _with_secrets(
    value: Any, items: Iterable[tuple[Any, Any]], make_copy: Callable[[Any], Any]
) -> Any:
    """``value`` (a map or a list, whose ``items`` are given) with secrets filled in its items;
    copied only when one holds a secret (a poll hands out most inputs as they are)."""
    changed = None
    for key, item in items:
        substituted = substitute_secrets(item)
        if substituted is not item:
            if changed is None:
                changed = make_copy(value)
            changed[key] = substituted
    return value if changed is None else changed


def unsupported_expressions(template: Any) -> list[str]:
    """What this module cannot evaluate among the expressions in ``template`` that Conductor
    can: a definition holding one is refused rather than run differently. Expressions built
    from nested ones are only known when they run and are not checked."""
    if isinstance(template, dict):
        return [
            problem for value in template.values() for problem in unsupported_expressions(value)
        ]
    if isinstance(template, list):
        return [problem for value in template for problem in unsupported_expressions(value)]
    if not isinstance(template, str):
        return []
    problems = []
    for start, end in find_expressions(template):
        path = template[start + 2 : end - 1]
        if "${" in path or path.startswith((ENV_PREFIX, SECRETS_PREFIX)):
            continue
        try:
            compile_path(path)
        except UnsupportedPathError as error:
            problems.append(f"${{{path}}} uses {error}")
        except PathError:
            continue  # Conductor cannot read it either: null there and here
    return problems


# ------------------------------------------------------------------ paths
def read_path(path: str, document: Any) -> Any:
    """The value of one Jayway JSONPath in ``document``; raises :class:`PathError` when the path
    cannot be read."""
    compiled = compile_path(path)
    if compiled.names is not None and not isinstance(document, str):
        return _member(document, compiled.names)  # (the library reads a str as JSON text)
    matches = compiled.query.findall(document)
    if isinstance(document, Mapping) and not isinstance(document, dict):
        # A document that builds its entries when read (the expression context of a workflow)
        # is, as a value (``${$}``), the plain object of those entries.
        matches = [dict(document) if match is document else match for match in matches]
    if compiled.function is None:
        if compiled.singular:
            return matches[0] if matches else None
        return PathArray(matches)
    results = [compiled.function(match) for match in matches]
    if compiled.singular:
        return results[0] if results else None
    return PathArray(results)


@dataclass(frozen=True)
class CompiledPath:
    query: jsonpath.JSONPath | jsonpath.CompoundJSONPath
    singular: bool
    function: Callable[[Any], Any] | None
    # For a path of member names only (``ref.output.x``, what nearly every expression is),
    # those names: looking them up gives the value ``query`` selects without the path
    # strings of every match that ``findall`` builds (a quarter of the server's work per
    # workflow task), nor a JSON Pointer's checks for lists at each step.
    names: tuple[str, ...] | None = None


@functools.lru_cache(maxsize=4096)
def compile_path(path: str) -> CompiledPath:
    """A Jayway path compiled once (raises :class:`PathError` for what cannot be read here)."""
    translated, function_name = _translate(path)
    try:
        query = _ENVIRONMENT.compile(translated)
    except JSONPathError as error:
        operator = _JAYWAY_ONLY_OPERATORS.search(translated)
        if operator:
            raise UnsupportedPathError(
                f"the filter operator {operator.group().strip()!r}"
            ) from None
        raise PathError(f"{error}".splitlines()[0]) from None
    if not isinstance(query, jsonpath.JSONPath):
        raise PathError("not a single path")
    function = None
    if function_name is not None:
        function = _FUNCTIONS.get(function_name)
        if function is None and function_name in _JAYWAY_ONLY_FUNCTIONS:
            raise UnsupportedPathError(f"the function {function_name}()")
        if function is None:
            raise PathError(f"Jayway has no function {function_name}()")
    return CompiledPath(query, query.singular_query(), function, _member_names(path, query))


# Member names only: no index, wildcard, filter or function.
_PLAIN_NAMES = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")


def _member_names(path: str, query: jsonpath.JSONPath) -> tuple[str, ...] | None:
    """The names of ``path`` when it is member names only, checked against how the library
    wrote the query it compiled (``$['a']['b']``); else None."""
    if not _PLAIN_NAMES.fullmatch(path):
        return None
    names = tuple(path.split("."))
    if str(query) != "$" + "".join(f"['{name}']" for name in names):
        return None
    return names


def _member(document: Any, names: tuple[str, ...]) -> Any:
    """What a query of member names selects: each name looked up in the object reached so
    far; null when one is missing or the value reached is not an object."""
    value = document
    for name in names:
        if not isinstance(value, Mapping):
            return None
        value = value.get(name)
    return value


_NAME_STOPS = ".[( "
_SEVERAL_NAMES = re.compile(r"\[\s*(?:'[^']*'|\"[^\"]*\")\s*,")
_STEPPED_SLICE = re.compile(r"\[\s*-?\d*\s*:\s*-?\d*\s*:")
# "@.items.length()" inside a filter: Jayway's length of a list or object.
_FILTER_LENGTH = re.compile(r"(@(?:\.[^.\[\]()\s]+|\[[^\[\]]*\])*)\.(?:length|size)\(\)")


class _JaywayLength(FilterFunction):
    arg_types = [ExpressionType.VALUE]
    return_type = ExpressionType.VALUE

    def __call__(self, value: object) -> object:
        return len(value) if isinstance(value, (list, dict)) else UNDEFINED


class _JaywayEnvironment(JSONPathEnvironment):
    """Filters compare as Jayway's do: a missing value equals null, and a number equals the
    same number written as a string."""

    def setup_function_extensions(self) -> None:
        super().setup_function_extensions()
        self.function_extensions["jlength"] = _JaywayLength()

    def _eq(self, left: object, right: object) -> bool:
        left, right = _single_value(left), _single_value(right)
        if (
            _is_number(left)
            and isinstance(right, str)
            or _is_number(right)
            and isinstance(left, str)
        ):
            return _as_decimal(left) == _as_decimal(right)
        return super()._eq(left, right)


def _single_value(value: object) -> object:
    if isinstance(value, NodeList) and len(value) <= 1:
        value = value[0].obj if value else UNDEFINED
    return None if value is UNDEFINED else value


def _as_decimal(value: object) -> Decimal | None:
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


_ENVIRONMENT = _JaywayEnvironment()


def _translate(path: str) -> tuple[str, str | None]:
    """Jayway's syntax to RFC 9535 with python-jsonpath's filter extensions: names in
    brackets (Jayway takes any character but ``.[( `` in a name), ``$.`` implied, and a final
    ``.name()`` split off as the function to apply."""
    # As Jayway: "$." goes before the untrimmed path, so "${ a.b}" cannot be read.
    path = path.strip() if path.strip().startswith(("$", "@")) else ("$." + path).strip()
    if path.endswith("."):
        raise PathError("a path must not end with '.'")
    out = [path[0]]
    index = 1
    function = None
    while index < len(path):
        if function is not None:
            raise PathError("a function must come last")
        if path.startswith("..", index):
            out.append("..")
            index += 2
            if path.startswith("[", index):
                continue
            name, index = _read_name(path, index)
            out.append("*" if name == "*" else _bracketed(name))
        elif path[index] == ".":
            name, index = _read_name(path, index + 1)
            if path.startswith("(", index):
                close = path.find(")", index)
                if close < 0 or path[index + 1 : close].strip():
                    raise UnsupportedPathError("a function with parameters")
                function, index = name, close + 1
            else:
                out.append(".*" if name == "*" else _bracketed(name))
        elif path[index] == "[":
            end = _closing_bracket(path, index)
            segment = path[index:end]
            if _SEVERAL_NAMES.match(segment):
                # Jayway makes an object of several names; a list here would be wrong.
                raise UnsupportedPathError("several names in one []")
            if _STEPPED_SLICE.match(segment):
                raise PathError("Jayway has no slice step")
            if segment.startswith("[?"):
                segment = _FILTER_LENGTH.sub(r"jlength(\1)", segment)
            out.append(segment)
            index = end
        else:
            raise PathError(f"unexpected {path[index]!r} at {index}")
    return "".join(out), function


def _read_name(path: str, index: int) -> tuple[str, int]:
    end = index
    while end < len(path) and path[end] not in _NAME_STOPS:
        end += 1
    if end == index:
        raise PathError(f"a name is missing at {index}")
    return path[index:end], end


def _bracketed(name: str) -> str:
    return "['" + name.replace("\\", "\\\\").replace("'", "\\'") + "']"


def _closing_bracket(path: str, opening: int) -> int:
    """The index just past the ``]`` closing the ``[`` at ``opening`` (quotes respected)."""
    depth = 0
    quote = None
    index = opening
    while index < len(path):
        char = path[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    raise PathError(f"'[' at {opening} is not closed")


# ------------------------------------------------------------------ Jayway's functions
def _numbers(value: Any) -> list[float]:
    if not isinstance(value, list):
        raise PathError("an aggregation needs a list")
    numbers = [float(n) for n in value if _is_number(n)]
    if not numbers:
        raise PathError("an aggregation of no numbers")
    return numbers


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _length(value: Any) -> int | None:
    return len(value) if isinstance(value, (list, dict)) else None


def _maximum(value: Any) -> float:
    # Jayway starts from Java's Double.MIN_VALUE, the smallest positive double, so the maximum
    # of negative numbers is that tiny positive number there; so it is here.
    return max([5e-324, *_numbers(value)])


def _minimum(value: Any) -> float:
    return min(_numbers(value))


def _average(value: Any) -> float:
    numbers = _numbers(value)
    return sum(numbers) / len(numbers)


def _stddev(value: Any) -> float:
    numbers = _numbers(value)
    count = len(numbers)
    total = sum(numbers)
    return math.sqrt(sum(n * n for n in numbers) / count - total * total / count / count)


def _concat(value: Any) -> str:
    return (
        "".join(item for item in value if isinstance(item, str)) if isinstance(value, list) else ""
    )


def _keys(value: Any) -> list[str] | None:
    return list(value) if isinstance(value, dict) else None


def _first(value: Any) -> Any:
    if not isinstance(value, list) or not value:
        raise PathError("first() of no list")
    return value[0]


def _last(value: Any) -> Any:
    if not isinstance(value, list) or not value:
        raise PathError("last() of no list")
    return value[-1]


_FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "length": _length,
    "size": _length,
    "sum": lambda value: float(sum(_numbers(value))),
    "avg": _average,
    "min": _minimum,
    "max": _maximum,
    "stddev": _stddev,
    "concat": _concat,
    "keys": _keys,
    "first": _first,
    "last": _last,
}


# ------------------------------------------------------------------ values as text
def as_text(value: Any) -> str:
    """A value as Conductor writes it into a longer string (Java's ``toString``)."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, PathArray):
        return compact_json(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}={as_text(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(as_text(item) for item in value) + "]"
    return str(value)


def java_double(value: float) -> str:
    """Java's ``Double.toString``: plain from 0.001 up to 10^7, else ``1.5E-4`` style."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1, value) < 0 else "0.0"
    if 1e-3 <= abs(value) < 1e7:
        return repr(value)
    sign, digits, exponent = Decimal(repr(value)).as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    mantissa = text[0] + "." + (text[1:] or "0")
    return f"{'-' if sign else ''}{mantissa}E{len(digits) - 1 + int(exponent)}"


def compact_json(value: Any) -> str:
    """JSON as Jayway's list type prints itself: no spaces, ``/`` escaped."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return java_double(value) if math.isfinite(value) else "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return '"' + "".join(_json_char(char) for char in value) + '"'
    if isinstance(value, dict):
        items = (f"{compact_json(str(key))}:{compact_json(item)}" for key, item in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(compact_json(item) for item in value) + "]"
    return compact_json(str(value))


_JSON_ESCAPES = {'"': '\\"', "\\": "\\\\", "/": "\\/", "\b": "\\b", "\f": "\\f"}
_JSON_ESCAPES.update({"\n": "\\n", "\r": "\\r", "\t": "\\t"})


def _json_char(char: str) -> str:
    escaped = _JSON_ESCAPES.get(char)
    if escaped is not None:
        return escaped
    code = ord(char)
    if code < 0x20 or 0x7F <= code <= 0x9F or 0x2000 <= code <= 0x20FF:
        return f"\\u{code:04X}"
    return char
