"""The memory of the process the fake server runs in (``/fake/stats``, ``"memory"``).

A long run watches it to tell the two apart: what Python holds (its allocated blocks, one per
live object or buffer, which follow the workflows the server holds) and what the process has
from the system (its resident set), which also counts what the allocators keep after objects
are freed. On Linux with glibc, the C allocator's heap is split into the bytes in use and the
bytes free but kept; elsewhere those figures are ``null``.

:func:`limit_c_heap_arenas` keeps the command line's server from spreading its C heap over
many arenas (see there).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from typing import Any

_MB = 1024 * 1024


class _Mallinfo2(ctypes.Structure):
    # glibc's struct mallinfo2 (2.33 and later), every field a size_t.
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def _libc() -> Any:
    """The C library, or None (not Linux, or it cannot be loaded)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


def _load_mallinfo2() -> Any:
    """glibc's ``mallinfo2``, or None (another C library, an older glibc, not Linux)."""
    function = getattr(_libc(), "mallinfo2", None)
    if function is None:
        return None
    function.restype = _Mallinfo2
    function.argtypes = []
    return function


_mallinfo2 = _load_mallinfo2()

# glibc's mallopt parameter for the most arenas its malloc makes (malloc.h's M_ARENA_MAX).
_M_ARENA_MAX = -8
ARENAS = 2


def limit_c_heap_arenas() -> None:
    """At most :data:`ARENAS` glibc malloc arenas in this process and the processes it starts
    (unless ``MALLOC_ARENA_MAX`` is set already): glibc gives each thread that allocates an
    arena of its own, up to eight per core, and the server's many request threads (which run
    Python one at a time, under its lock) each filled one and kept what was freed there, so a
    long run's memory crept up with nothing more held. With two, the C heap stays flat.

    Called by the command line before it serves, so that granian's worker (forked, or started
    with the variable) inherits it; a server in a thread of a program leaves the program's
    allocator alone. A no-op where glibc's malloc is not the allocator."""
    if "MALLOC_ARENA_MAX" in os.environ or not sys.platform.startswith("linux"):
        return
    os.environ["MALLOC_ARENA_MAX"] = str(ARENAS)  # read by a process started afresh
    mallopt = getattr(_libc(), "mallopt", None)
    if mallopt is not None:
        mallopt(_M_ARENA_MAX, ARENAS)  # this process, and the ones it forks


def figures() -> dict[str, Any]:
    """``{"rssMb", "pythonBlocks", "cHeapInUseMb", "cHeapFreeMb"}`` of this process now."""
    c_heap_in_use = c_heap_free = None
    if _mallinfo2 is not None:
        info = _mallinfo2()
        # In use: the chunks handed out from the heap and the blocks mapped on their own.
        c_heap_in_use = round((info.uordblks + info.hblkhd) / _MB, 1)
        c_heap_free = round(info.fordblks / _MB, 1)
    return {
        "rssMb": _rss_mb(),
        "pythonBlocks": sys.getallocatedblocks(),
        "cHeapInUseMb": c_heap_in_use,
        "cHeapFreeMb": c_heap_free,
    }


def _rss_mb() -> float | None:
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return round(pages * os.sysconf("SC_PAGE_SIZE") / _MB, 1)
