"""Reading an HTTP/1.1 answer from the bytes received, however the network splits them."""

from __future__ import annotations

import http.client

import pytest

from conductor.client.http._http11 import AnswerParser, ParsedAnswer

LENGTH = b'HTTP/1.1 200 OK\r\nContent-Type: text/json\r\nContent-Length: 11\r\n\r\n{"a": true}'
CHUNKED = (
    b"HTTP/1.1 201 Created\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
    b"6;name=x\r\nfirst \r\nb\r\nsecond part\r\n0\r\nX-Trailer: 1\r\n\r\n"
)
INTERIM = b"HTTP/1.1 100 Continue\r\n\r\n" + LENGTH


def read(*pieces: bytes, method: str = "POST") -> ParsedAnswer | None:
    parser = AnswerParser(method)
    answer = None
    for piece in pieces:
        assert answer is None, "the answer was whole before its last piece"
        answer = parser.feed(piece)
    return answer


def whole(raw: bytes, method: str = "POST") -> ParsedAnswer:
    answer = read(raw, method=method)
    assert answer is not None
    return answer


@pytest.mark.parametrize("raw", [LENGTH, CHUNKED, INTERIM], ids=["length", "chunked", "interim"])
def test_an_answer_split_anywhere_is_read_the_same(raw: bytes) -> None:
    answer = whole(raw)
    assert answer.reusable
    for cut in range(1, len(raw)):
        assert read(raw[:cut], raw[cut:]) == answer
    assert read(*(raw[i : i + 1] for i in range(len(raw)))) == answer


def test_what_the_body_is_and_whether_the_connection_is_kept() -> None:
    assert read(LENGTH) == ParsedAnswer(200, "OK", b'{"a": true}', True)
    assert read(CHUNKED) == ParsedAnswer(201, "Created", b"first second part", True)
    assert read(INTERIM) == read(LENGTH)  # the interim answer is skipped
    assert read(b"HTTP/1.1 204 No Content\r\n\r\n") == ParsedAnswer(204, "No Content", b"", True)
    closing = LENGTH.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")
    assert read(closing) == ParsedAnswer(200, "OK", b'{"a": true}', False)
    assert not whole(LENGTH.replace(b"HTTP/1.1", b"HTTP/1.0"), method="GET").reusable
    assert not whole(LENGTH + b"HTTP/1.1 200 OK").reusable  # bytes nobody asked for
    assert read(b"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n") == ParsedAnswer(200, "", b"", True)


def test_a_body_without_length_ends_with_the_connection() -> None:
    parser = AnswerParser("GET")
    assert parser.feed(b"HTTP/1.1 200 OK\r\n\r\nall ") is None
    assert parser.feed(b"of it") is None
    assert parser.closed() == ParsedAnswer(200, "OK", b"all of it", False)


def test_a_connection_that_ends_early_says_whether_any_answer_came() -> None:
    silent = AnswerParser("POST")
    with pytest.raises(http.client.RemoteDisconnected):
        silent.closed()
    assert not silent.started
    cut = AnswerParser("POST")
    assert cut.feed(LENGTH[:-3]) is None
    with pytest.raises(http.client.IncompleteRead):
        cut.closed()
    assert cut.started


@pytest.mark.parametrize(
    "raw",
    [
        b"SSH-2.0-OpenSSH_9.2\r\n\r\n",
        b"HTTP/1.1 2000 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
    ],
    ids=["not-http", "bad-status", "bad-length", "bad-chunk-size", "long-chunk"],
)
def test_what_is_not_http_is_an_error(raw: bytes) -> None:
    with pytest.raises(http.client.HTTPException):
        read(raw)


def test_a_head_without_an_end_is_not_read_for_ever() -> None:
    parser = AnswerParser("GET")
    parser.feed(b"HTTP/1.1 200 OK\r\n")
    with pytest.raises(http.client.HTTPException, match="too long"):
        for _ in range(10_000):
            parser.feed(b"X-Padding: " + b"x" * 100 + b"\r\n")
