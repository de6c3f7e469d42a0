"""Taking a listener off its port under an event loop that watches it with epoll, edge
triggered (as granian's tokio does): the loop hears nothing while it is off, and hears the
next connection once it is back."""

from __future__ import annotations

import select
import socket
from collections.abc import Iterator

import pytest

from fake_server.sockets import Unlisten, epoll_registrations


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        sock.setblocking(False)
        yield sock


@pytest.fixture
def loop(listener: socket.socket) -> Iterator[select.epoll]:
    epoll = select.epoll()
    epoll.register(listener.fileno(), select.EPOLLIN | select.EPOLLRDHUP | select.EPOLLET)
    yield epoll
    epoll.close()


def refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def test_the_loop_hears_nothing_while_the_listener_is_off_and_the_port_refuses(
    listener: socket.socket, loop: select.epoll
) -> None:
    port = listener.getsockname()[1]
    unlisten = Unlisten(listener.fileno())

    unlisten.begin()

    assert refused(port)
    assert loop.poll(0.2) == []  # no hang-up, no wake-up: its accept loop would end on one
    assert epoll_registrations(listener.fileno()) == []
    unlisten.end()


def test_once_back_on_its_port_the_loop_accepts_the_next_connection(
    listener: socket.socket, loop: select.epoll
) -> None:
    port = listener.getsockname()[1]
    watched = epoll_registrations(listener.fileno())
    unlisten = Unlisten(listener.fileno())
    unlisten.begin()

    unlisten.end()
    client = socket.create_connection(("127.0.0.1", port), timeout=2)

    assert loop.poll(2) == [(listener.fileno(), select.EPOLLIN)]
    accepted, _ = listener.accept()
    assert accepted.getsockname()[1] == port
    assert epoll_registrations(listener.fileno()) == watched
    accepted.close()
    client.close()
