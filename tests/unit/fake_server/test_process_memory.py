"""The limit the command line puts on glibc's malloc arenas (checked in a process of its own:
the limit is process-wide). The memory figures are tested through ``/fake/stats``."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

LIMIT_AND_SHOW = (
    "import os; from fake_server import process_memory as m; m.limit_c_heap_arenas(); "
    "print(os.environ.get('MALLOC_ARENA_MAX'))"
)


def limited_arenas(**environment: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"} | environment
    done = subprocess.run(
        [sys.executable, "-c", LIMIT_AND_SHOW], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_the_server_process_keeps_two_malloc_arenas_unless_told_otherwise():
    assert limited_arenas() == "2"  # and granian's worker, started from it, inherits it
    assert limited_arenas(MALLOC_ARENA_MAX="4") == "4"  # the user's setting wins
