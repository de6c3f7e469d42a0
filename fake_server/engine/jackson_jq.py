"""What Conductor's jq, jackson-jq 0.0.13, does not have, found in a query before it runs.

The fake server runs JSON_JQ_TRANSFORM queries with jq itself, which knows more than the
jackson-jq 0.0.13 that Conductor OSS embeds: a query that uses the difference would pass here
and fail in production. So a query is read first as jackson-jq reads it:

- an ``if`` needs its ``else`` (jq 1.7 made it optional; jackson-jq's grammar does not): the
  query does not compile, and the task fails with the parser's words;
- every function called must be one of jackson-jq's (:data:`FUNCTIONS`, its built-ins and its
  ``jq.json`` definitions) or defined in the query (``def``): otherwise the task fails with
  "Function round/0 does not exist", as jackson-jq says when it reaches the call;
- a format (``@base64d``) must be one of jackson-jq's.

Both happen when the task runs (Conductor compiles a query when its task starts, not when the
definition is registered). One difference remains: jackson-jq finds a missing function only
when the call is evaluated, so a call in a branch never taken fails here and not there.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass

# jackson-jq 0.0.13's functions as name/arity: its @BuiltinFunction classes listed in
# META-INF/services and the functions of its jq.json.
_FUNCTION_LIST = """
    @base64/0 @csv/0 @html/0 @json/0 @sh/0 @text/0 @tsv/0 @uri/0 _flatten/1 _match_impl/3
    _nwise/1 _nwise/2 _sub_impl/3 add/0 all/0 all/1 all/2 any/0 any/1 any/2 arrays/0
    ascii_downcase/0 ascii_upcase/0 atan/0 booleans/0 break/0 capture/1 capture/2
    combinations/0 combinations/1 contains/1 cos/0 debug_scope/0 del/1 empty/0 endswith/1
    error/1 explode/0 first/0 first/1 flatten/0 flatten/1 floor/0 from_entries/0 fromjson/0
    group/0 group/1 group_by/1 gsub/2 gsub/3 has/1 implode/0 in/1 index/1 indices/1 infinite/0
    inside/1 isinfinite/0 isnan/0 iterables/0 join/1 keys/0 keys_unsorted/0 last/0 last/1
    leaf_paths/0 length/0 limit/2 log2/0 ltrimstr/1 map/1 map_values/1 match/1 match/2 max/0
    max/1 max_by/1 min/0 min/1 min_by/1 nan/0 not/0 nth/1 nth/2 nulls/0 numbers/0 objects/0
    paths/0 paths/1 pow/2 range/1 range/2 range/3 recurse/0 recurse/1 recurse/2 recurse_down/0
    reverse/0 rindex/1 rtrimstr/1 scalars/0 scan/1 scan/2 select/1 sin/0 sort/0 sort/1
    sort_by/1 split/1 split/2 splits/1 splits/2 sqrt/0 startswith/1 strings/0 sub/2 sub/3
    test/1 test/2 to_entries/0 tojson/0 tonumber/0 tostring/0 transpose/0 type/0 unique/0
    unique/1 unique_by/1 until/2 utf8bytelength/0 values/0 walk/1 while/2 with_entries/1
"""
FUNCTIONS = frozenset(_FUNCTION_LIST.split())
FORMATS = frozenset(name.split("/")[0] for name in FUNCTIONS if name.startswith("@"))
# Words of the grammar, and literals: never function calls.
_KEYWORD_LIST = """
    if then elif else end as def reduce foreach try catch label import include and or true
    false null __loc__
"""
_KEYWORDS = frozenset(_KEYWORD_LIST.split())
_TOKEN = re.compile(
    r"""
    (?P<space>\s+|\#[^\n]*)
    | (?P<variable>\$(?:__loc__|[A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*))
    | (?P<format>@[A-Za-z0-9_]+)
    | (?P<field>\.[A-Za-z_][A-Za-z0-9_]*)
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*)
    | (?P<number>\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
    | (?P<string>")
    | (?P<punct>\?//|//=?|\|=|\+=|-=|\*=|/=|%=|==|!=|<=|>=|\.\.|[][(){}|,:;.?+\-*/%<>=])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    position: int


class JqUnsupported(ValueError):
    """A query jackson-jq 0.0.13 cannot run, with its words."""


def check(query: str) -> None:
    """Raise :class:`JqUnsupported` when jackson-jq 0.0.13 cannot run ``query``."""
    tokens = list(_tokens(query, 0))
    _check_conditionals(query, tokens)
    _check_calls(tokens)


def _tokens(text: str, offset: int) -> Iterator[_Token]:
    """The tokens of ``text``; a string's interpolations (``\\(...)``) are given as their own
    tokens between ``(`` and ``)``, the rest of the string as one ``string`` token."""
    index = 0
    while index < len(text):
        match = _TOKEN.match(text, index)
        if match is None:
            return  # not jq: jq's own compiler says what is wrong
        kind = match.lastgroup or ""
        if kind == "string":
            index = yield from _string(text, index + 1, offset)
            continue
        if kind != "space":
            yield _Token(kind, match.group(), offset + index)
        index = match.end()


def _string(text: str, index: int, offset: int) -> Generator[_Token, None, int]:
    """The tokens of a string literal starting after its quote; returns where it ends."""
    yield _Token("string", '"', offset + index - 1)
    while index < len(text):
        char = text[index]
        if char == '"':
            return index + 1
        if char == "\\" and text[index + 1 : index + 2] == "(":
            closing = _closing_paren(text, index + 2)
            yield _Token("punct", "(", offset + index + 1)
            yield from _tokens(text[index + 2 : closing], offset + index + 2)
            yield _Token("punct", ")", offset + closing)
            index = closing + 1
            continue
        index += 2 if char == "\\" else 1
    return index


def _closing_paren(text: str, index: int) -> int:
    """Where the ``)`` that closes an interpolation opened just before ``index`` is."""
    depth = 1
    while index < len(text):
        char = text[index]
        if char == '"':
            index += 1
            while index < len(text) and text[index] != '"':
                index += 2 if text[index] == "\\" else 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return len(text)


def _check_conditionals(query: str, tokens: list[_Token]) -> None:
    """Every ``if`` has an ``else`` before its ``end`` (jackson-jq's ConditionalExpression)."""
    open_ifs: list[bool] = []  # for each open if: whether its else was seen
    for token in tokens:
        if token.kind != "name":
            continue
        if token.text == "if":
            open_ifs.append(False)
        elif token.text == "else" and open_ifs:
            open_ifs[-1] = True
        elif token.text == "end" and open_ifs and not open_ifs.pop():
            line = query.count("\n", 0, token.position) + 1
            column = token.position - (query.rfind("\n", 0, token.position) + 1) + 1
            raise JqUnsupported(
                f'Encountered " "end" "end "" at line {line}, column {column}.\n'
                'Was expecting one of:\n    "elif" ...\n    "else" ...\n'
                "(jackson-jq 0.0.13, Conductor's jq, needs an else in every if)"
            )


def _check_calls(tokens: list[_Token]) -> None:
    defined = _defined(tokens)
    for index, token in enumerate(tokens):
        if token.kind == "format" and token.text not in FORMATS:
            raise JqUnsupported(f"Formatting operator {token.text} does not exist")
        if token.kind != "name" or token.text in _KEYWORDS or _is_key(tokens, index):
            continue
        if index > 0 and tokens[index - 1].text == "def":
            continue
        name = f"{token.text}/{_arity(tokens, index)}"
        if name not in FUNCTIONS and name not in defined:
            raise JqUnsupported(f"Function {name} does not exist")


def _defined(tokens: list[_Token]) -> set[str]:
    """name/arity of every function the query defines, and its parameters (callable with no
    argument inside the definition; taken as known everywhere here)."""
    defined = set()
    for index, token in enumerate(tokens):
        if token.text != "def" or index + 1 >= len(tokens):
            continue
        defined.add(f"{tokens[index + 1].text}/{_arity(tokens, index + 1)}")
        if index + 2 < len(tokens) and tokens[index + 2].text == "(":
            for parameter in tokens[index + 3 : _matching(tokens, index + 2)]:
                if parameter.kind == "name":
                    defined.add(f"{parameter.text}/0")
    return defined


def _arity(tokens: list[_Token], index: int) -> int:
    """How many arguments the call at ``index`` has: its ``;``-separated parts in parentheses."""
    if index + 1 >= len(tokens) or tokens[index + 1].text != "(":
        return 0
    depth, arity = 0, 1
    for token in tokens[index + 1 : _matching(tokens, index + 1) + 1]:
        if token.text in "([{" and token.kind == "punct":
            depth += 1
        elif token.text in ")]}" and token.kind == "punct":
            depth -= 1
        elif token.text == ";" and depth == 1:
            arity += 1
    return arity


def _matching(tokens: list[_Token], opening: int) -> int:
    """The index of the bracket that closes the one at ``opening``."""
    depth = 0
    for index in range(opening, len(tokens)):
        token = tokens[index]
        if token.kind == "punct" and token.text in "([{":
            depth += 1
        elif token.kind == "punct" and token.text in ")]}":
            depth -= 1
            if depth == 0:
                return index
    return len(tokens) - 1


def _is_key(tokens: list[_Token], index: int) -> bool:
    """A name in the key position of an object construction (``{name: ...}``, ``{name}``)."""
    before = tokens[index - 1].text if index > 0 else ""
    after = tokens[index + 1].text if index + 1 < len(tokens) else ""
    if before not in ("{", ",") or after not in (":", ",", "}"):
        return False
    return _enclosing(tokens, index) == "{"


def _enclosing(tokens: list[_Token], index: int) -> str:
    """The bracket that encloses the token at ``index`` (empty at the top level)."""
    depth = 0
    for token in reversed(tokens[:index]):
        if token.kind != "punct":
            continue
        if token.text in ")]}":
            depth += 1
        elif token.text in "([{":
            if depth == 0:
                return token.text
            depth -= 1
    return ""
