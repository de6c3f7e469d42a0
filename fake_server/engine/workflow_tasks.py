"""A workflow's tasks in scheduling order, indexed by what the decider looks them up by.

After every change the decider asks the same questions: which tasks it has still to act on,
the latest task of a reference name, the tasks of one iteration of a loop. Walking every task
of the workflow for each made a long workflow (a loop of thousands of iterations) quadratic;
these indexes answer them from the tasks concerned, and are kept as tasks are added and removed
(only through :meth:`WorkflowTasks.add` and :meth:`WorkflowTasks.remove`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fake_server.engine.models import Task


class WorkflowTasks:
    """The tasks of one workflow, oldest first."""

    def __init__(self) -> None:
        self.ids: list[str] = []  # in scheduling order (what the workflow's JSON lists)
        self._tasks: dict[str, Task] = {}  # by id, in scheduling order
        self._by_name: dict[str, list[Task]] = {}  # by reference name, each list oldest first
        self._by_base: dict[str, list[Task]] = {}  # by base_reference_name, oldest first
        # The tasks the decider may still act on: every task but those retried and those
        # that ended and were acted on (see :meth:`unsettled`); kept in scheduling order,
        # except that a task reopened goes to the end until the next walk sorts them.
        self._unsettled: dict[str, Task] = {}
        self._unsettled_in_order = True
        self._place: dict[str, int] = {}  # task id -> its place in scheduling order
        self._added = 0

    def __iter__(self) -> Iterator[Task]:
        return iter(self._tasks.values())

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, task: Task) -> None:
        """``task`` joins the workflow, after every task there."""
        task_id = task.task_id
        self.ids.append(task_id)
        self._tasks[task_id] = task
        self._by_name.setdefault(task.reference_task_name, []).append(task)
        self._by_base.setdefault(task.base_reference_name, []).append(task)
        self._unsettled[task_id] = task
        self._place[task_id] = self._added
        self._added += 1

    def remove(self, task_ids: Iterable[str]) -> None:
        """The tasks ``task_ids`` leave the workflow (a restart, a rerun, ``keepLastN``)."""
        gone = [self._tasks.pop(task_id) for task_id in task_ids]
        if not gone:
            return
        gone_ids = {task.task_id for task in gone}
        self.ids[:] = [task_id for task_id in self.ids if task_id not in gone_ids]
        for task in gone:
            self._unsettled.pop(task.task_id, None)
            del self._place[task.task_id]
        for name in {task.reference_task_name for task in gone}:
            _drop(self._by_name, name, gone_ids)
        for base in {task.base_reference_name for task in gone}:
            _drop(self._by_base, base, gone_ids)

    def reopened(self, task: Task) -> None:
        """``task`` is open again after it ended (a retry in place, a rerun): the decider
        looks at it again."""
        if task.task_id in self._tasks and task.task_id not in self._unsettled:
            self._unsettled[task.task_id] = task
            self._unsettled_in_order = False

    def unsettled(self) -> list[Task]:
        """In scheduling order, every task the decider may still act on (to move on after
        it, to run it): all but those retried, and those that ended and were acted on."""
        if not self._unsettled:
            return []  # every task settled: the last pass of most decides
        if not self._unsettled_in_order:
            ordered = sorted(self._unsettled.values(), key=lambda t: self._place[t.task_id])
            self._unsettled = {task.task_id: task for task in ordered}
            self._unsettled_in_order = True
        # One walk: the decider asks several times per change, mostly with nothing settled.
        open_tasks = [
            task
            for task in self._unsettled.values()
            if not (task.retried or (task.executed and task.is_terminal))
        ]
        if len(open_tasks) != len(self._unsettled):
            self._unsettled = {task.task_id: task for task in open_tasks}
        return open_tasks

    def named(self, reference_name: str) -> list[Task]:
        """The tasks (attempts) with exactly that reference name, oldest first."""
        return self._by_name.get(reference_name, [])

    def latest(self, reference_name: str) -> Task | None:
        """The last task with exactly that reference name."""
        tasks = self._by_name.get(reference_name)
        return tasks[-1] if tasks else None

    def with_base(self, base_name: str) -> list[Task]:
        """The tasks whose reference name is ``base_name``, alone or with a loop iteration's
        suffix (every iteration and attempt), oldest first."""
        return self._by_base.get(base_name, [])

    def place(self, task: Task) -> int:
        """Where ``task`` stands in scheduling order (only the order of two places means
        anything)."""
        return self._place[task.task_id]


def _drop(index: dict[str, list[Task]], key: str, gone_ids: set[str]) -> None:
    kept = [task for task in index.get(key, ()) if task.task_id not in gone_ids]
    if kept:
        index[key] = kept
    else:
        index.pop(key, None)
