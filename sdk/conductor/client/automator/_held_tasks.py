"""Which tasks a worker process holds (received, result not yet delivered), readable by the
process that supervises it even after it died.

The supervising ``TaskHandler`` makes one ``HeldTasks`` per worker process, in shared memory,
with a slot per task the process can hold at once (its ``thread_count``). The worker writes a
task's ids into a slot when the task arrives and clears it once the result is delivered: a few
bytes copied, no system call, nothing sent. When the process dies (``kill -9``, a crash in
native code, killed after the stop timeout), the parent reads the slots and gives those tasks
back to the server at once, so they run again within seconds instead of after their response
timeout. A slot's state byte is written last when filled and first when cleared, so a process
killed mid-write leaves either the old state or a complete entry.

A runner used on its own (outside ``TaskHandler``) gets a private ``HeldTasks`` with the same
interface, in ordinary memory.
"""

from __future__ import annotations

import multiprocessing.sharedctypes
import threading
from typing import Any

ID_BYTES = 96  # ids longer than this (Conductor's are 36-character UUIDs) are not recorded
_FREE, _HELD = 0, 1  # a slot's state byte
# Layout of one slot: state, task id length, workflow id length, task id, workflow id.
_SLOT_BYTES = 3 + 2 * ID_BYTES


class HeldTasks:
    """``capacity`` slots of (task id, workflow id); see the module doc."""

    def __init__(self, capacity: int, *, shared: bool = True) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, not {capacity}")
        self.capacity = capacity
        size = capacity * _SLOT_BYTES
        self._memory: Any = (
            multiprocessing.sharedctypes.RawArray("c", size) if shared else bytearray(size)
        )
        self._free = list(range(capacity - 1, -1, -1))
        self._lock = threading.Lock()
        self._bytes = _bytes_of(self._memory)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_lock"], state["_bytes"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()
        self._bytes = _bytes_of(self._memory)

    # -- the worker process ------------------------------------------------------------------

    def claim(self, task_id: str | None, workflow_id: str | None) -> int:
        """Records a task that just arrived; returns its slot (-1 when none is free)."""
        with self._lock:
            if not self._free:
                return -1
            slot = self._free.pop()
        self.replace(slot, task_id, workflow_id)
        return slot

    def replace(self, slot: int, task_id: str | None, workflow_id: str | None) -> None:
        """Records the task now held in ``slot`` (the next one of a chain)."""
        if slot < 0:
            return
        start = slot * _SLOT_BYTES
        memory = self._bytes
        memory[start] = _FREE
        task = (task_id or "").encode()
        workflow = (workflow_id or "").encode()
        if not task or len(task) > ID_BYTES or len(workflow) > ID_BYTES:
            return  # not recordable: the server's response timeout will recover it
        memory[start + 1] = len(task)
        memory[start + 2] = len(workflow)
        memory[start + 3 : start + 3 + len(task)] = task
        memory[start + 3 + ID_BYTES : start + 3 + ID_BYTES + len(workflow)] = workflow
        memory[start] = _HELD

    def release(self, slot: int) -> None:
        """The slot's task was delivered (or given back): forget it."""
        if slot < 0:
            return
        self._bytes[slot * _SLOT_BYTES] = _FREE
        with self._lock:
            self._free.append(slot)

    # -- the supervising process -------------------------------------------------------------

    def held(self) -> list[tuple[str, str]]:
        """(task id, workflow id) of every task recorded as held."""
        found = []
        data = bytes(self._bytes)
        for slot in range(self.capacity):
            start = slot * _SLOT_BYTES
            if data[start] != _HELD:
                continue
            task_len, workflow_len = data[start + 1], data[start + 2]
            task = data[start + 3 : start + 3 + task_len].decode()
            workflow = data[start + 3 + ID_BYTES : start + 3 + ID_BYTES + workflow_len].decode()
            found.append((task, workflow))
        return found

    def clear(self) -> None:
        """Forgets everything (before a new process takes these slots over)."""
        self._bytes[:] = bytes(len(self._bytes))
        with self._lock:
            self._free = list(range(self.capacity - 1, -1, -1))


def _bytes_of(memory: Any) -> memoryview:
    """The slots as unsigned bytes: written through a memoryview, a slot costs a few list-like
    assignments (the ``ctypes`` array's own slicing is several times slower)."""
    return memoryview(memory).cast("B")
