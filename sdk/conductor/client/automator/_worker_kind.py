"""Which runner a worker needs: the asyncio one for ``async def`` code, else the threaded one.

Kept apart from the runners so that deciding costs no import of ``asyncio`` and the async
runner: a process of a plain worker never loads them.
"""

from __future__ import annotations

import inspect

from conductor.client.worker.worker_interface import WorkerInterface

__all__ = ["is_async_worker"]


def is_async_worker(worker: WorkerInterface) -> bool:
    """Whether ``worker`` runs ``async def`` code: its function (or the ``__call__`` of the
    callable object it was given), or a class worker's ``execute``."""
    function = getattr(worker, "execute_function", None)
    if function is not None:
        call_method = type(function).__dict__.get("__call__")
        return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(call_method)
    return inspect.iscoroutinefunction(type(worker).execute)
