"""Task queues: per queue name, the waiting tasks ordered by the time they become ready."""

from __future__ import annotations

import heapq
import itertools


class TaskQueues:
    """Queues of task ids. A task is in at most one queue; it leaves by :meth:`pop_ready` or
    :meth:`remove`. Removal is lazy: stale heap entries are skipped when they surface."""

    def __init__(self) -> None:
        self._heaps: dict[str, list[tuple[int, int, str]]] = {}
        self._members: dict[str, dict[str, int]] = {}  # queue -> task id -> entry token
        self._tokens = itertools.count()

    def push(self, queue: str, task_id: str, ready_ms: int) -> None:
        token = next(self._tokens)
        self._members.setdefault(queue, {})[task_id] = token
        heapq.heappush(self._heaps.setdefault(queue, []), (ready_ms, token, task_id))

    def remove(self, queue: str, task_id: str) -> None:
        members = self._members.get(queue)
        if members is not None:
            members.pop(task_id, None)
            if not members:
                self._heaps[queue].clear()

    def pop_ready(self, queue: str, now_ms: int, limit: int) -> list[str]:
        """Up to ``limit`` ids of tasks ready at ``now_ms``, earliest first (FIFO on ties)."""
        heap = self._heaps.get(queue)
        taken: list[str] = []
        if not heap:
            return taken
        members = self._members[queue]
        while heap and len(taken) < limit:
            ready_ms, token, task_id = heap[0]
            if members.get(task_id) != token:
                heapq.heappop(heap)
            elif ready_ms > now_ms:
                break
            else:
                heapq.heappop(heap)
                del members[task_id]
                taken.append(task_id)
        return taken

    def next_ready_ms(self, queue: str) -> int | None:
        """When the earliest task of ``queue`` becomes (or became) ready; None when empty."""
        heap = self._heaps.get(queue)
        if not heap:
            return None
        members = self._members[queue]
        while heap and members.get(heap[0][2]) != heap[0][1]:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def size(self, queue: str) -> int:
        """Tasks waiting in ``queue``, ready or not yet (as Conductor counts them)."""
        return len(self._members.get(queue, ()))

    def sizes(self) -> dict[str, int]:
        return {queue: len(members) for queue, members in self._members.items()}

    def contents(self, queue: str) -> list[str]:
        """The waiting task ids in the order they would be handed out."""
        members = self._members.get(queue, {})
        entries = sorted(e for e in self._heaps.get(queue, []) if members.get(e[2]) == e[1])
        return [task_id for _, _, task_id in entries]
