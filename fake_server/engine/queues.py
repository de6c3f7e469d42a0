"""Task queues: per queue name, the waiting tasks, handed out by priority once ready.

A task waits until its ready time (a start delay, a retry delay, a callback, a postponement);
among the tasks that are ready, the one of the highest workflow ``priority`` goes first, then
the one ready the longest, then the one queued first (Conductor's database queues order ready
messages by priority and delivery time).
"""

from __future__ import annotations

import heapq
import itertools

# A waiting entry: (ready ms, token, task id, priority); a ready one: (-priority, ready ms,
# token, task id). Tokens order ties in queueing order and mark which entry is current.
_Waiting = tuple[int, int, str, int]
_Ready = tuple[int, int, int, str]


class TaskQueues:
    """Queues of task ids. A task is in at most one queue; it leaves by :meth:`pop_ready` or
    :meth:`remove`. Removal is lazy: stale heap entries are skipped when they surface."""

    def __init__(self) -> None:
        self._waiting: dict[str, list[_Waiting]] = {}
        self._ready: dict[str, list[_Ready]] = {}
        self._members: dict[str, dict[str, int]] = {}  # queue -> task id -> entry token
        self._tokens = itertools.count()
        # Queues whose heaps hold entries of tasks :meth:`remove` took out (see drop_left_behind).
        self._left_behind: set[str] = set()

    def push(self, queue: str, task_id: str, ready_ms: int, priority: int = 0) -> None:
        token = next(self._tokens)
        self._members.setdefault(queue, {})[task_id] = token
        heapq.heappush(self._waiting.setdefault(queue, []), (ready_ms, token, task_id, priority))

    def remove(self, queue: str, task_id: str) -> None:
        members = self._members.get(queue)
        if members is not None and members.pop(task_id, None) is not None:
            if not members:
                self._waiting[queue].clear()
                self._ready.get(queue, []).clear()
            else:
                self._left_behind.add(queue)

    def drop_left_behind(self) -> None:
        """Rebuild the heaps that hold entries of removed tasks without them: they would
        otherwise stay until they surface, for ever in a queue nobody polls."""
        for queue in self._left_behind:
            members = self._members.get(queue, {})
            waiting = [e for e in self._waiting.get(queue, []) if members.get(e[2]) == e[1]]
            ready = [e for e in self._ready.get(queue, []) if members.get(e[3]) == e[2]]
            heapq.heapify(waiting)
            heapq.heapify(ready)
            self._waiting[queue], self._ready[queue] = waiting, ready
        self._left_behind.clear()

    def pop_ready(self, queue: str, now_ms: int, limit: int) -> list[str]:
        """Up to ``limit`` ids of tasks ready at ``now_ms``, in hand-out order."""
        taken: list[str] = []
        members = self._members.get(queue)
        if not members:
            return taken
        self._promote(queue, now_ms)
        ready = self._ready.get(queue, [])
        while ready and len(taken) < limit:
            _, _, token, task_id = heapq.heappop(ready)
            if members.get(task_id) == token:
                del members[task_id]
                taken.append(task_id)
        return taken

    def _promote(self, queue: str, now_ms: int) -> None:
        """Move the entries that became ready from the waiting heap to the ready heap."""
        waiting = self._waiting.get(queue, [])
        members = self._members[queue]
        while waiting and waiting[0][0] <= now_ms:
            ready_ms, token, task_id, priority = heapq.heappop(waiting)
            if members.get(task_id) == token:
                entry = (-priority, ready_ms, token, task_id)
                heapq.heappush(self._ready.setdefault(queue, []), entry)

    def next_ready_ms(self, queue: str) -> int | None:
        """When the earliest task of ``queue`` becomes (or became) ready; None when empty."""
        earliest = self.earliest(queue)
        return earliest[0] if earliest is not None else None

    def earliest(self, queue: str) -> tuple[int, str] | None:
        """The ready time and id of the task of ``queue`` that is ready first (a ready one if
        any: its time is in the past); None when the queue is empty."""
        members = self._members.get(queue)
        if not members:
            return None
        ready = self._ready.get(queue, [])
        while ready and members.get(ready[0][3]) != ready[0][2]:
            heapq.heappop(ready)
        if ready:
            return ready[0][1], ready[0][3]
        waiting = self._waiting.get(queue, [])
        while waiting and members.get(waiting[0][2]) != waiting[0][1]:
            heapq.heappop(waiting)
        return (waiting[0][0], waiting[0][2]) if waiting else None

    def names(self) -> list[str]:
        """The queues that hold a task now."""
        return [queue for queue, members in self._members.items() if members]

    def size(self, queue: str) -> int:
        """Tasks waiting in ``queue``, ready or not yet (as Conductor counts them)."""
        return len(self._members.get(queue, ()))

    def sizes(self) -> dict[str, int]:
        return {queue: len(members) for queue, members in self._members.items()}

    def contents(self, queue: str) -> list[str]:
        """The waiting task ids in the order they would be handed out (ready ones first)."""
        members = self._members.get(queue, {})
        ready = sorted(e for e in self._ready.get(queue, []) if members.get(e[3]) == e[2])
        waiting = sorted(e for e in self._waiting.get(queue, []) if members.get(e[2]) == e[1])
        return [e[3] for e in ready] + [e[2] for e in waiting]
