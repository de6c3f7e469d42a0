"""What worker processes write (stdout, stderr, log records) goes to a file the harness owns.

Under pytest, a worker process would otherwise lose its output: forked, it inherits pytest's
capture objects and log handlers, whose records stay in the child's memory; spawned (as
conductor-python 2.0.0 sets), it writes to whatever descriptor pytest held at that moment. So a
child of ``run_workers(..., output=path)`` points its descriptors 1 and 2, ``sys.stdout`` and
``sys.stderr`` at ``path`` before the SDK runs, and drops pytest's log handlers, so that each SDK
logs as it would outside pytest. This works with either SDK and every start method, without
importing anything of the SDK:

- forked children are redirected by an ``os.register_at_fork`` hook, active while a
  ``redirected_children(path)`` block runs in the parent;
- spawned and forkserver children unpickle the ``Configuration`` that both SDKs pass to each
  worker process; a copy made by ``configuration_redirecting(configuration, path)`` carries an
  attribute whose unpickling redirects the child.
"""

from __future__ import annotations

import copy
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ATTRIBUTE = "harness_worker_output"

# In a parent: where forked children write (set by ``redirected_children``).
_fork_target: str | None = None
# In a child: where it writes already (redirected once per process).
_redirected_to: str | None = None


def redirect_this_process(path: str) -> None:
    """Sends this process's stdout, stderr and log records to ``path`` (appending)."""
    global _redirected_to
    if _redirected_to == path:
        return
    old_streams = {id(sys.stdout), id(sys.stderr), id(sys.__stdout__), id(sys.__stderr__)}
    target = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.dup2(target, 1)
    os.dup2(target, 2)
    os.close(target)
    sys.stdout = open(1, "w", buffering=1, closefd=False, errors="backslashreplace")  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, closefd=False, errors="backslashreplace")  # noqa: SIM115
    root = logging.getLogger()
    for handler in list(root.handlers):
        if type(handler).__module__.startswith("_pytest"):
            root.removeHandler(handler)  # pytest's capture, useless in a child
        elif isinstance(handler, logging.StreamHandler) and id(handler.stream) in old_streams:
            handler.setStream(sys.stderr)
    _redirected_to = path


def _after_fork_in_child() -> None:
    if _fork_target is not None:
        redirect_this_process(_fork_target)


os.register_at_fork(after_in_child=_after_fork_in_child)


@contextmanager
def redirected_children(path: str | Path) -> Iterator[None]:
    """Processes forked while the block runs send their output to ``path``."""
    global _fork_target
    previous, _fork_target = _fork_target, str(path)
    try:
        yield
    finally:
        _fork_target = previous


class _RedirectOnUnpickle:
    """Pickled into a spawned child, it redirects that child as it is unpickled (before the
    SDK's process target runs)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (_redirected_child, (self.path,))


def _redirected_child(path: str) -> _RedirectOnUnpickle:
    redirect_this_process(path)
    return _RedirectOnUnpickle(path)


def configuration_redirecting(configuration: Any, path: str | Path) -> Any:
    """A copy of ``configuration`` whose unpickling in a spawned worker process redirects that
    process's output to ``path``."""
    redirecting = copy.copy(configuration)
    setattr(redirecting, ATTRIBUTE, _RedirectOnUnpickle(str(path)))
    return redirecting


def tail(path: str | Path, lines: int = 200) -> str:
    """The last ``lines`` lines of ``path`` (a note says how many came before), or ''."""
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return ""
    kept = text.splitlines()
    if len(kept) <= lines:
        return text
    return f"({len(kept) - lines} earlier lines not shown)\n" + "\n".join(kept[-lines:]) + "\n"
