"""HTTP/1.1 as a worker's clients speak it, without I/O: the bytes of a request to the server of
an API base URL (``Endpoint``), and the answer read from the bytes received (``AnswerParser``).
The threads' transport (``conductor.client.http._transport``) and the event loop's
(``conductor.client.http._async_transport``) do the I/O.

Why not ``http.client`` (or ``aiohttp``'s client): ``http.client`` parses an answer's head with
the ``email`` package and wraps the socket in a buffered file for every answer, about 30 us of
CPU per answer; at full load a worker reads one answer per task, and its whole client side
costs a few times that. What a worker's client needs of an answer is small: the status line,
three headers (``Content-Length``, ``Transfer-Encoding``, ``Connection``) and the body, which
comes with a length, in chunks, or up to the end of the connection.

Errors in answers are ``http.client``'s, raised where it raises them, so that the transports
treat them alike: ``RemoteDisconnected`` when the connection closed before a byte of the answer
came, ``IncompleteRead`` when it closed in the middle, ``BadStatusLine`` or ``HTTPException``
for what is not HTTP.
"""

from __future__ import annotations

import base64
import http.client
import os
import re
import ssl
from collections.abc import Mapping
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

__all__ = [
    "FIXED_HEADERS",
    "PROCESS_HEADER",
    "AnswerParser",
    "Endpoint",
    "ParsedAnswer",
    "connect_failure",
]

USER_AGENT = "conductor-workers-python"
# Headers every request carries. No compressed answers: a worker's answers are small.
FIXED_HEADERS = {
    "User-Agent": USER_AGENT,
    "Accept": "application/json",
    "Accept-Encoding": "identity",
}
# The process a request comes from (its pid, read per request, so a transport made before a
# fork sends its child's): lets a server tell apart the worker processes of a host, which share
# their worker id (the host name by default). The fake server's console counts workers by it;
# Conductor ignores it.
PROCESS_HEADER = "X-Conductor-Process"
DEFAULT_PORTS = {"http": 80, "https": 443}
_UNSAFE = re.compile(r"[\x00-\x20\x7f]")  # what cannot stand in a request line

MAX_HEAD_BYTES = 65536 + 100 * 1024  # about http.client's limits: a line of 64 KiB, 100 lines
NO_BODY_STATUSES = frozenset({204, 304})
_END_OF_HEAD = b"\r\n\r\n"
_CRLF = b"\r\n"
# What the parser waits for next.
_HEAD, _LENGTH, _CHUNK_SIZE, _CHUNK, _CHUNK_END, _TRAILER, _UNTIL_CLOSED = range(7)


class Endpoint:
    """The server of an API base URL (``https``: ``tls``), and the requests sent to it: each
    one a single piece of bytes, the head written here (a worker's requests are a few fixed
    headers and a small JSON body). Credentials in the URL (``user:secret@host``) go as basic
    auth with every request, as ``requests`` sends them."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname or _UNSAFE.search(base_url):
            raise ValueError(f"not an http:// or https:// URL with a host: {base_url!r}")
        self.host = parts.hostname
        self.port = parts.port or DEFAULT_PORTS[parts.scheme]
        self.tls = parts.scheme == "https"
        self._base_path = parts.path
        host_header = parts.netloc.rpartition("@")[2]
        fixed = "".join(f"{name}: {value}\r\n" for name, value in FIXED_HEADERS.items())
        self._fixed_head = f"Host: {host_header}\r\n{fixed}{_basic_auth_header(parts.netloc)}"

    def request(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes | None
    ) -> bytes:
        """``method`` to ``path`` (below the API base, query included), with ``headers`` beside
        the fixed ones, and ``body``."""
        head = f"{method} {self._base_path}{path} HTTP/1.1\r\n{self._fixed_head}"
        head += f"{PROCESS_HEADER}: {os.getpid()}\r\n"
        for name, value in headers.items():
            if "\r" in value or "\n" in value:
                raise ValueError(f"header {name} has a line break in its value")
            head += f"{name}: {value}\r\n"
        if body is None:
            return (head + "\r\n").encode("latin-1")
        return (head + f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1") + body


def connect_failure(error: BaseException, where: str, timeout: float) -> str | None:
    """What went wrong connecting to ``where`` (``host:port``), in the words of both
    transports; None when ``error`` is not a failure to connect."""
    if isinstance(error, TimeoutError):
        return f"connecting to {where} timed out ({timeout} s)"
    if isinstance(error, ssl.SSLError):
        return f"TLS with {where} failed: {error}"
    if isinstance(error, OSError):
        return f"cannot connect to {where}: {error}"
    return None


def _basic_auth_header(netloc: str) -> str:
    """``Authorization: Basic ...`` for credentials written in the URL (``user:secret@host``),
    as ``requests`` sends them: behind a basic-auth proxy every request needs them."""
    userinfo, at, _ = netloc.rpartition("@")
    if not at:
        return ""
    user, _, password = userinfo.partition(":")
    token = base64.b64encode(f"{unquote(user)}:{unquote(password)}".encode())  # as 2.0.0
    return f"Authorization: Basic {token.decode('ascii')}\r\n"


class ParsedAnswer(NamedTuple):
    """An answer read whole. ``reusable``: the connection may carry the next request (HTTP/1.1,
    no ``Connection: close``, the body's end known, nothing sent beyond it)."""

    status: int
    reason: str
    body: bytes
    reusable: bool


class _Head(NamedTuple):
    status: int
    reason: str
    http11: bool
    length: int | None  # Content-Length
    chunked: bool
    close: bool  # Connection: close


class AnswerParser:
    """The answer to one ``method`` request, from the bytes received after it was sent.

    ``feed()`` each piece received: it returns the answer once it is whole (interim 1xx
    answers skipped), else ``None``. ``closed()`` when the connection ends first. ``started``
    tells, after a failure, whether a byte of the answer had come (if not, the server cannot
    have taken the request on a connection it closed).
    """

    __slots__ = ("_buffer", "_head", "_parts", "_remaining", "_state", "method", "started")

    def __init__(self, method: str) -> None:
        self.method = method
        self.started = False
        self._buffer = b""  # received, not yet consumed
        self._state = _HEAD
        self._head: _Head | None = None
        self._parts: list[bytes] = []  # the body so far
        self._remaining = 0  # bytes of the body (or of the chunk) still to come

    def feed(self, data: bytes) -> ParsedAnswer | None:
        if data:
            self.started = True
            self._buffer = self._buffer + data if self._buffer else data
        return self._advance()

    def closed(self) -> ParsedAnswer:
        """The connection ended: the answer, if its body was to end with it; else the error."""
        if self._state == _UNTIL_CLOSED:
            self._parts.append(self._buffer)
            self._buffer = b""
            return self._answer(known_end=False)
        if not self.started:
            raise http.client.RemoteDisconnected("Remote end closed connection without response")
        raise http.client.IncompleteRead(b"".join(self._parts), self._remaining or None)

    # -- parsing -----------------------------------------------------------------------------

    def _advance(self) -> ParsedAnswer | None:
        while True:
            state, buffer = self._state, self._buffer
            if state == _HEAD:
                end = buffer.find(_END_OF_HEAD)
                if end < 0:
                    self._check_unended("the answer's head")
                    return None
                self._buffer = buffer[end + 4 :]
                if self._start_body(_parse_head(buffer[:end])):
                    return self._answer(known_end=True)
            elif state in (_LENGTH, _CHUNK):
                if len(buffer) < self._remaining:
                    self._parts.append(buffer)
                    self._remaining -= len(buffer)
                    self._buffer = b""
                    return None
                self._parts.append(buffer[: self._remaining])
                self._buffer = buffer[self._remaining :]
                self._remaining = 0
                if state == _LENGTH:
                    return self._answer(known_end=True)
                self._state = _CHUNK_END
            elif state == _UNTIL_CLOSED:
                self._parts.append(buffer)
                self._buffer = b""
                return None
            else:  # a line: a chunk's size, the end of a chunk, a trailer
                end = buffer.find(_CRLF)
                if end < 0:
                    self._check_unended("a line of the answer")
                    return None
                line, self._buffer = buffer[:end], buffer[end + 2 :]
                if state == _CHUNK_SIZE:
                    self._remaining = _chunk_size(line)
                    self._state = _CHUNK if self._remaining else _TRAILER
                elif state == _CHUNK_END:
                    if line:
                        raise http.client.HTTPException("a chunk of the answer is too long")
                    self._state = _CHUNK_SIZE
                elif not line:  # the empty line after the trailer headers
                    return self._answer(known_end=True)

    def _start_body(self, head: _Head) -> bool:
        """Reads ``head``; says whether the answer has no body (it is whole)."""
        status = head.status
        if 100 <= status < 200 and status != 101:
            return False  # an interim answer: the real one follows
        self._head = head
        if self.method == "HEAD" or status in NO_BODY_STATUSES or status == 101:
            return True
        if head.chunked:
            self._state = _CHUNK_SIZE
        elif head.length is not None:
            self._state, self._remaining = _LENGTH, head.length
        else:
            self._state = _UNTIL_CLOSED
        return False

    def _check_unended(self, what: str) -> None:
        if len(self._buffer) > MAX_HEAD_BYTES:
            raise http.client.HTTPException(f"{what} is too long")

    def _answer(self, *, known_end: bool) -> ParsedAnswer:
        head = self._head
        assert head is not None
        parts = self._parts
        body = parts[0] if len(parts) == 1 else b"".join(parts)
        # Bytes beyond the answer (sent without being asked for): the connection is not reused.
        reusable = known_end and head.http11 and not head.close and not self._buffer
        return ParsedAnswer(head.status, head.reason, body, reusable)


def _parse_head(raw: bytes) -> _Head:
    """The status line and the headers that decide how the body is read."""
    status_line, *lines = raw.decode("latin-1").split("\r\n")
    version, _, rest = status_line.partition(" ")
    code, _, reason = rest.partition(" ")
    if not version.startswith("HTTP/") or len(code) != 3 or not code.isdigit():
        raise http.client.BadStatusLine(status_line)
    length: int | None = None
    chunked = close = False
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon:
            continue  # a folded continuation line: none of the headers read here
        name = name.strip().lower()
        if name == "content-length":
            length = _content_length(value)
        elif name == "transfer-encoding":
            chunked = value.strip().lower().endswith("chunked")
        elif name == "connection":
            close = "close" in value.lower()
    return _Head(int(code), reason.strip(), version == "HTTP/1.1", length, chunked, close)


def _content_length(value: str) -> int:
    text = value.strip()
    if not text.isdigit():
        raise http.client.HTTPException(f"the answer's Content-Length is not a length: {text!r}")
    return int(text)


def _chunk_size(line: bytes) -> int:
    text = line.split(b";", 1)[0].strip()
    try:
        return int(text, 16)
    except ValueError:
        raise http.client.HTTPException(
            f"the answer's chunk size is not a number: {text!r}"
        ) from None
