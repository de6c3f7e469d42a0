"""Reading one HTTP/1.1 answer from a socket: the status, the body, and whether the connection
may carry the next request (internal to ``conductor.client.http._transport``).

Why not ``http.client.HTTPResponse``: it parses the head with the ``email`` package and wraps
the socket in a buffered file for every answer, about 30 us of CPU per answer; at full load a
worker reads one answer per task, and its whole client side costs a few times that. What a
worker's client needs of an answer is small: the status line, three headers
(``Content-Length``, ``Transfer-Encoding``, ``Connection``) and the body, which comes with a
length, in chunks, or up to the end of the connection.

Errors are ``http.client``'s, raised where it raises them, so that the transport treats them
alike: ``RemoteDisconnected`` when the connection closed before a byte of the answer came,
``IncompleteRead`` when it closed in the middle, ``BadStatusLine`` or ``HTTPException`` for
what is not HTTP; the socket's own ``OSError``s (``TimeoutError``, ``ConnectionResetError``)
pass through.
"""

from __future__ import annotations

import http.client
import socket
from typing import NamedTuple

__all__ = ["AnswerReader", "ParsedAnswer"]

RECEIVE_BYTES = 65536
MAX_HEAD_BYTES = 65536 + 100 * 1024  # about http.client's limits: a line of 64 KiB, 100 lines
NO_BODY_STATUSES = frozenset({204, 304})
_END_OF_HEAD = b"\r\n\r\n"
_CRLF = b"\r\n"


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


class AnswerReader:
    """Reads the answer to the request just sent on ``sock``; ``started`` tells, after a
    failure, whether a byte of the answer had come (if not, the server cannot have taken the
    request on a connection it closed)."""

    __slots__ = ("buffer", "sock", "started")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""  # received, not yet consumed
        self.started = False

    def read(self, method: str) -> ParsedAnswer:
        """The answer to a ``method`` request, whole (interim 1xx answers skipped)."""
        while True:
            head = _parse_head(self.head())
            if not 100 <= head.status < 200 or head.status == 101:
                break
        if method == "HEAD" or head.status in NO_BODY_STATUSES or 100 <= head.status < 200:
            body, known_end = b"", True
        elif head.chunked:
            body, known_end = self.chunked_body(), True
        elif head.length is not None:
            body, known_end = self.exactly(head.length), True
        else:
            body, known_end = self.until_closed(), False
        # Bytes beyond the answer (sent without being asked for): the connection is not reused.
        reusable = known_end and head.http11 and not head.close and not self.buffer
        return ParsedAnswer(head.status, head.reason, body, reusable)

    def _receive(self) -> bytes:
        data = self.sock.recv(RECEIVE_BYTES)
        if data:
            self.started = True
        return data

    def head(self) -> bytes:
        """The status line and headers, without the empty line that ends them."""
        buffer, searched = self.buffer, 0
        while True:
            end = buffer.find(_END_OF_HEAD, searched)
            if end >= 0:
                self.buffer = buffer[end + 4 :]
                return buffer[:end]
            if len(buffer) > MAX_HEAD_BYTES:
                raise http.client.HTTPException("the answer's head is too long")
            searched = max(0, len(buffer) - 3)
            data = self._receive()
            if not data:
                if not self.started:
                    raise http.client.RemoteDisconnected(
                        "Remote end closed connection without response"
                    )
                raise http.client.IncompleteRead(buffer)
            buffer += data

    def exactly(self, length: int) -> bytes:
        """The next ``length`` bytes."""
        buffer = self.buffer
        if len(buffer) >= length:
            self.buffer = buffer[length:]
            return buffer[:length]
        parts, have = [buffer], len(buffer)
        while have < length:
            data = self._receive()
            if not data:
                raise http.client.IncompleteRead(b"".join(parts), length - have)
            parts.append(data)
            have += len(data)
        whole = b"".join(parts)
        self.buffer = whole[length:]
        return whole[:length]

    def line(self) -> bytes:
        """The next line, without its CRLF."""
        buffer = self.buffer
        while True:
            end = buffer.find(_CRLF)
            if end >= 0:
                self.buffer = buffer[end + 2 :]
                return buffer[:end]
            if len(buffer) > MAX_HEAD_BYTES:
                raise http.client.HTTPException("a line of the answer is too long")
            data = self._receive()
            if not data:
                raise http.client.IncompleteRead(buffer)
            buffer += data

    def chunked_body(self) -> bytes:
        parts = []
        while True:
            size_text = self.line().split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise http.client.HTTPException(
                    f"the answer's chunk size is not a number: {size_text!r}"
                ) from None
            if size == 0:
                break
            parts.append(self.exactly(size))
            if self.exactly(2) != _CRLF:
                raise http.client.HTTPException("a chunk of the answer does not end with CRLF")
        while self.line():  # trailer headers, up to the empty line
            pass
        return b"".join(parts)

    def until_closed(self) -> bytes:
        parts = [self.buffer]
        self.buffer = b""
        while data := self._receive():
            parts.append(data)
        return b"".join(parts)
