"""What an outage does to the sockets of the process that serves, whichever HTTP server owns
them (waitress or granian): found among the process's descriptors, acted on with system calls,
so that both servers fail the network the same way (see :mod:`fake_server.outage`).

- :func:`reset_connections` resets (TCP RST) every connection open to the server's port, with
  ``connect(AF_UNSPEC)``, which leaves the descriptor to the server (it then closes it itself).
- :class:`Unlisten` takes the server's listening socket off its port for a while, so that
  connections are refused, and puts the same socket back on the same port afterwards. The
  server's event loop never sees it go: while it is off, the server's descriptor holds a
  stand-in listener that nothing reaches, and the listener is out of every epoll set of the
  process (granian's tokio registers it edge-triggered, and a listener that stops listening
  under it would end its accept loop); its registrations are put back as they were.

Linux only (``/proc/self/fd``, ``/proc/self/fdinfo``).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import platform
import socket
from dataclasses import dataclass
from typing import Any

# A listener taken back listens with this backlog (both servers ask for 1024, the kernel caps
# it at net.core.somaxconn).
BACKLOG = 1024

_EPOLL_CTL_ADD = 1
_EPOLL_CTL_DEL = 2
_EVENTPOLL = "anon_inode:[eventpoll]"


class _SockAddr(ctypes.Structure):
    _fields_ = [("sa_family", ctypes.c_ushort), ("sa_data", ctypes.c_char * 14)]


class _EpollEvent(ctypes.Structure):
    # struct epoll_event is packed on x86-64 only.
    _pack_ = 1 if platform.machine() in ("x86_64", "AMD64") else 0
    _fields_ = [("events", ctypes.c_uint32), ("data", ctypes.c_uint64)]


def _libc() -> Any:
    return ctypes.CDLL(None, use_errno=True)


def descriptors() -> list[int]:
    """This process's open descriptors."""
    try:
        return [int(name) for name in os.listdir("/dev/fd")]
    except OSError:
        return []


def _inspect(descriptor: int) -> socket.socket | None:
    """A socket object on ``descriptor`` (to be ``detach()``-ed, never closed), if it is a TCP
    socket."""
    try:
        sock = socket.socket(fileno=descriptor)
    except OSError:
        return None
    if sock.family not in (socket.AF_INET, socket.AF_INET6) or sock.type != socket.SOCK_STREAM:
        sock.detach()
        return None
    return sock


def listening_address(descriptor: int) -> tuple[Any, ...] | None:
    """The address ``descriptor`` listens on, if it is a listening TCP socket."""
    sock = _inspect(descriptor)
    if sock is None:
        return None
    try:
        if not sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
            return None
        address: tuple[Any, ...] = sock.getsockname()
        return address
    except OSError:
        return None
    finally:
        sock.detach()  # the descriptor stays open, and the server's


def find_listener() -> tuple[int, tuple[Any, ...]] | None:
    """The descriptor and address of a listening TCP socket of this process, if it has one."""
    for descriptor in descriptors():
        address = listening_address(descriptor)
        if address is not None:
            return descriptor, address
    return None


def reset_connections(port: int) -> int:
    """Resets every established TCP connection of this process whose local port is ``port``
    (the server's side of its clients' connections); returns how many."""
    libc = _libc()
    unspecified = _SockAddr(socket.AF_UNSPEC)
    count = 0
    for descriptor in descriptors():
        if _is_connection_on(descriptor, port):
            # connect() with AF_UNSPEC disconnects a TCP socket, sending RST to the peer.
            libc.connect(descriptor, ctypes.byref(unspecified), ctypes.sizeof(unspecified))
            count += 1
    return count


def _is_connection_on(descriptor: int, port: int) -> bool:
    sock = _inspect(descriptor)
    if sock is None:
        return False
    try:
        if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
            return False
        sock.getpeername()  # raises when not connected
        return bool(sock.getsockname()[1] == port)
    except OSError:
        return False
    finally:
        sock.detach()


@dataclass(frozen=True)
class EpollRegistration:
    """One epoll set's interest in a descriptor, as ``/proc/self/fdinfo`` shows it."""

    epoll: int  # the epoll set's descriptor
    events: int
    data: int  # the event loop's token, given back with every event


def epoll_registrations(descriptor: int) -> list[EpollRegistration]:
    """Every epoll set of this process that watches the socket ``descriptor`` refers to."""
    inode = os.fstat(descriptor).st_ino
    found = []
    for epoll in descriptors():
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/self/fd/{epoll}") != _EVENTPOLL:
                continue
            with open(f"/proc/self/fdinfo/{epoll}") as info:
                lines = info.read().splitlines()
            for line in lines:
                fields = dict(_pairs(line.split()))
                if fields.get("tfd:") == str(descriptor) and fields.get("ino") == f"{inode:x}":
                    found.append(
                        EpollRegistration(
                            epoll, int(fields["events:"], 16), int(fields["data:"], 16)
                        )
                    )
    return found


def _pairs(words: list[str]) -> list[tuple[str, str]]:
    """``tfd: 14 events: 19 data: 7f... pos:0 ino:1a2b sdev:8`` as pairs."""
    pairs = []
    for index, word in enumerate(words):
        if word.endswith(":") and index + 1 < len(words):
            pairs.append((word, words[index + 1]))
        elif ":" in word and not word.endswith(":"):
            key, _, value = word.partition(":")
            pairs.append((key, value))
    return pairs


def _epoll_ctl(operation: int, registration: EpollRegistration, descriptor: int) -> bool:
    """Adds or deletes ``registration``; False when the set already had it (ADD) or no longer
    had it (DEL): an event loop may hold one epoll set under two descriptors."""
    event = _EpollEvent(registration.events, registration.data)
    if _libc().epoll_ctl(registration.epoll, operation, descriptor, ctypes.byref(event)) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EEXIST, errno.ENOENT):
        return False
    raise OSError(code, f"epoll_ctl: {os.strerror(code)}")


class Unlisten:
    """Takes the listening socket on ``descriptor`` off its port (:meth:`begin`): connections
    are refused, those waiting to be accepted are reset; :meth:`end` puts it back on the same
    port (see the module docstring)."""

    def __init__(self, descriptor: int) -> None:
        self.descriptor = descriptor
        self._listener: socket.socket | None = None  # the server's, while it is off
        self._stand_in: socket.socket | None = None  # in the server's descriptor meanwhile
        self._reserved: socket.socket | None = None  # keeps the port from anyone else
        self._address: tuple[Any, ...] = ()
        self._registrations: list[EpollRegistration] = []

    def begin(self) -> None:
        listener = socket.socket(fileno=os.dup(self.descriptor))
        self._address = listener.getsockname()
        stand_in = _stand_in(listener.family)
        self._registrations = []
        try:
            for registration in epoll_registrations(self.descriptor):
                if _epoll_ctl(_EPOLL_CTL_DEL, registration, self.descriptor):
                    self._registrations.append(registration)
        except OSError:
            for registration in self._registrations:
                _epoll_ctl(_EPOLL_CTL_ADD, registration, self.descriptor)
            listener.close()
            stand_in.close()
            raise
        os.dup2(stand_in.fileno(), self.descriptor)
        self._listener, self._stand_in = listener, stand_in
        # Stops listening in every process holding it (forked worker processes of a test hold
        # it too), resetting the connections not accepted yet; a port the kernel picked is
        # freed with it, so it is taken at once, bound but not listening: still refused.
        listener.shutdown(socket.SHUT_RD)
        self._reserved = _bound_only(listener.family, self._address)

    def end(self) -> None:
        """Listens again on the same port and gives the server its socket back. Raises
        ``OSError`` when the port cannot be bound again."""
        listener, stand_in = self._listener, self._stand_in
        if listener is None or stand_in is None:
            return
        self._listener = self._stand_in = None
        try:
            if self._holds(stand_in):  # else the server closed it: it is stopping
                self._listen_again(listener)
                os.dup2(listener.fileno(), self.descriptor)
                for registration in self._registrations:
                    _epoll_ctl(_EPOLL_CTL_ADD, registration, self.descriptor)
        finally:
            if self._reserved is not None:
                self._reserved.close()
            listener.close()
            stand_in.close()

    def _listen_again(self, listener: socket.socket) -> None:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind(self._address)
        except OSError as error:
            if error.errno != errno.EINVAL:  # EINVAL: still bound (a port given at start)
                raise
        if self._reserved is not None:
            self._reserved.close()
        listener.listen(BACKLOG)

    def server_stopped(self) -> bool:
        """Whether the server closed its descriptor while the listener was off."""
        stand_in = self._stand_in
        return stand_in is not None and not self._holds(stand_in)

    def _holds(self, stand_in: socket.socket) -> bool:
        """Whether the server's descriptor still holds ``stand_in``."""
        try:
            return os.fstat(self.descriptor).st_ino == os.fstat(stand_in.fileno()).st_ino
        except OSError:
            return False


def _stand_in(family: int) -> socket.socket:
    """A listener on a free loopback port that nothing connects to, never readable: the
    server's event loop waits on it without a wake-up."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.bind(("::1" if family == socket.AF_INET6 else "127.0.0.1", 0))
    sock.listen(1)
    return sock


def _bound_only(family: int, address: tuple[Any, ...]) -> socket.socket | None:
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError:  # still bound by the listener (a port given at start): nothing to keep
        sock.close()
        return None
    return sock
