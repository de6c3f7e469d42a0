"""What handlers read and write: the :class:`Request`, values parsed with the errors Conductor
answers (and the fake's precise words beside them), and the :class:`Reply`.

A handler gets the :class:`Context` and a :class:`Request` and returns a :class:`Reply`:
status, body bytes and content type; :func:`reply_headers` turns it into the headers on the
wire, wherever it is sent from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import orjson

from fake_server.engine.errors import (
    BadRequestError,
    MalformedRequestError,
    ValidationError,
    mismatched_parameter,
    missing_parameter,
)
from fake_server.engine.facade import Engine
from fake_server.http.auth import TokenAuthority

if TYPE_CHECKING:
    from fake_server.http.faults import FaultPlan

# What a batch poll without ``count`` or ``timeout`` gets.
BATCH_POLL_DEFAULT_COUNT = 1
BATCH_POLL_DEFAULT_TIMEOUT_MS = 100

JSON = "application/json"
TEXT = "text/plain; charset=utf-8"

# One encoder for every answer: json.dumps with options builds a new one per call.
_ENCODER = json.JSONEncoder(separators=(",", ":"))


class Request:
    """What a handler reads of a request, from its WSGI environ: method, path, query values,
    headers and body. Text is UTF-8 (invalid bytes become U+FFFD); the first of repeated
    query values counts."""

    __slots__ = ("environ", "method", "path", "_args", "_body")

    def __init__(self, environ: dict[str, Any]) -> None:
        self.environ = environ
        self.method: str = environ.get("REQUEST_METHOD", "GET")
        # WSGI hands the path over decoded, as latin-1 text.
        self.path = "/" + _text(environ.get("PATH_INFO", "")).lstrip("/")
        self._args: list[tuple[str, str]] | None = None
        self._body: bytes | None = None

    @property
    def query_string(self) -> str:
        """The query as sent (percent-encoded), without the ``?``."""
        return _text(self.environ.get("QUERY_STRING", ""))

    def _query(self) -> list[tuple[str, str]]:
        if self._args is None:
            self._args = parse_qsl(self.query_string, keep_blank_values=True, errors="replace")
        return self._args

    def arg(self, name: str) -> str | None:
        """The query parameter ``name`` (its first value), or None."""
        return next((value for key, value in self._query() if key == name), None)

    def arg_list(self, name: str) -> list[str]:
        return [value for key, value in self._query() if key == name]

    def arg_items(self) -> list[tuple[str, str]]:
        """Every query parameter, as (name, value) pairs in their order."""
        return list(self._query())

    def header(self, name: str) -> str | None:
        return self.environ.get("HTTP_" + name.upper().replace("-", "_"))

    @property
    def mimetype(self) -> str:
        """The Content-Type without its parameters, in lower case."""
        return str(self.environ.get("CONTENT_TYPE", "")).split(";", 1)[0].strip().lower()

    def body(self) -> bytes:
        """The body (read once); 400 when the client sent less than its Content-Length."""
        if self._body is None:
            self._body = self._read_body()
        return self._body

    def _read_body(self) -> bytes:
        stream = self.environ["wsgi.input"]
        length = self.environ.get("CONTENT_LENGTH")
        if length:
            try:
                expected = int(length)
            except ValueError:
                raise BadRequestError(f"Content-Length: must be a number, got {length!r}") from None
            body: bytes = stream.read(expected)
            if len(body) < expected:
                raise BadRequestError(f"body: ended after {len(body)} of its {expected} bytes")
            return body
        if self.environ.get("wsgi.input_terminated"):  # chunked: the server marks the end
            return bytes(stream.read())
        return b""  # no length, no end marker: reading could wait for ever

    def text(self) -> str:
        return self.body().decode("utf-8", "replace")


def _text(wsgi_string: str) -> str:
    if wsgi_string.isascii():
        return wsgi_string  # the same text, without the round trip (every request has a path)
    return wsgi_string.encode("latin-1").decode("utf-8", "replace")


@dataclass(frozen=True)
class Context:
    """What handlers answer from: the engine, the token authority when tokens are required,
    and the faults injected on purpose (see :mod:`fake_server.http.faults`)."""

    engine: Engine
    auth: TokenAuthority | None
    faults: FaultPlan
    # What fault rules may name: the names of the app's Conductor API routes.
    api_route_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reply:
    """An answer: ``status``, ``body`` and its ``content_type`` (None for no body)."""

    status: int
    body: bytes = b""
    content_type: str | None = None
    # More headers, e.g. Allow on a 405.
    headers: tuple[tuple[str, str], ...] = ()


NO_CONTENT = Reply(204)
EMPTY = Reply(200)


def json_reply(value: Any, status: int = 200) -> Reply:
    return Reply(status, _encode(value), JSON)


def _encode(value: Any) -> bytes:
    """``value`` as compact JSON. orjson writes a task's JSON in a third of the standard
    library's time (a worker's every answer carries one); what it refuses (an int beyond
    64 bits, a key that is not a string) goes to the standard encoder."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return _ENCODER.encode(value).encode()


def text_reply(value: str) -> Reply:
    return Reply(200, value.encode(), TEXT)


def reply_headers(reply: Reply) -> list[tuple[str, str]]:
    """The response headers of ``reply`` (the WSGI server adds Date, Server, Connection)."""
    headers = list(reply.headers)
    if reply.content_type is not None:
        headers.append(("Content-Type", reply.content_type))
    if reply.status != 204:
        headers.append(("Content-Length", str(len(reply.body))))
    return headers


# ------------------------------------------------------------------ request values
def json_body(request: Request, *, required: bool = True) -> Any:
    """The body parsed as JSON (whatever the Content-Type says). Malformed, or empty when
    ``required``, it is what Spring cannot read: a 500 on Conductor."""
    raw = request.body()
    if not raw.strip():
        if required:
            raise _unreadable("a JSON body is required", "Required request body is missing")
        return None
    try:
        return _parse_json(raw)
    except ValueError as error:
        raise _unreadable(f"malformed JSON: {error}", f"JSON parse error: {error}") from None
    except RecursionError:
        # Jackson refuses a document nested deeper than 1000 levels (StreamReadConstraints).
        message = "JSON nested too deeply"
        raise _unreadable(message, f"JSON parse error: {message}") from None


def _non_standard_number(token: str) -> Any:
    # Python reads NaN and Infinity; Jackson (and JSON) do not.
    raise ValueError(f"Non-standard token '{token}'")


# One decoder: json.loads with an option builds a new one per call, a third of its cost.
_DECODER = json.JSONDecoder(parse_constant=_non_standard_number)


def _parse_json(raw: bytes) -> Any:
    """``raw`` read as json.loads reads it. UTF-8 without a BOM, what clients send, goes to
    the one decoder; anything it cannot read (another of JSON's encodings, a BOM, an error)
    goes to json.loads, which detects the encoding and says what is wrong."""
    try:
        return _DECODER.decode(raw.decode("utf-8", "surrogatepass"))
    except ValueError:
        return json.loads(raw, parse_constant=_non_standard_number)


def _unreadable(problem: str, conductor_message: str) -> MalformedRequestError:
    """Spring's HttpMessageNotReadableException, which Conductor answers with 500."""
    return MalformedRequestError(
        f"body: {problem}",
        [ValidationError("body", problem)],
        conductor_message=conductor_message,
    )


# Java types of query parameters, as Spring names them when a value does not convert.
INTEGER = "java.lang.Integer"
LONG = "java.lang.Long"


def int_arg(
    request: Request, name: str, default: int | None = None, *, java_type: str = "int"
) -> Any:
    """The query parameter ``name`` as an integer; ``default`` when absent or blank. A value
    that is not a whole number is a 500, as Spring's conversion fails on Conductor."""
    value = request.arg(name)
    if value is None or value == "":
        return default
    return int_path(name, value, java_type=java_type)


def int_path(name: str, value: str, *, java_type: str = "int") -> int:
    """The path value ``name`` as an integer; otherwise Spring's conversion 500."""
    try:
        return int(value)
    except ValueError:
        raise mismatched_parameter(name, value, java_type, "an integer") from None


# The words Spring's StringToBooleanConverter reads (in any case).
_TRUE = frozenset({"true", "on", "yes", "1"})
_FALSE = frozenset({"false", "off", "no", "0"})


def bool_arg(request: Request, name: str, default: bool) -> bool:
    """The query parameter ``name`` as a boolean, read as Spring reads it (``true``/``false``,
    ``on``/``off``, ``yes``/``no``, ``1``/``0``); ``default`` when absent or blank."""
    value = request.arg(name)
    if value is None or value == "":
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    cause = f"Invalid boolean value [{value}]"
    raise mismatched_parameter(name, value, "boolean", "true or false", cause)


def required_arg(request: Request, name: str) -> str:
    """A required query parameter: absent, it is Spring's 500 on Conductor."""
    value = request.arg(name)
    if value is None:
        raise missing_parameter(name)
    return value


def domain_arg(request: Request) -> str | None:
    """The ``domain`` of a poll as Conductor reads it: absent is none, but a blank one is a
    domain (the queue ``":type"`` or ``" :type"``), where that worker starves for plain tasks."""
    return request.arg("domain")
