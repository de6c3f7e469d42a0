"""Where a workflow goes after a task: the definition read as a tree (Conductor's
``WorkflowDef.getNextTask`` and ``WorkflowTask.next``).

After a task comes the next task of its own list. At the end of a list it depends on what holds
the list: after a SWITCH's case or a FORK_JOIN's branch comes what follows the SWITCH or the
fork (for a fork, its JOIN, which is scheduled with the fork and so is never scheduled twice);
after a DO_WHILE's body comes the DO_WHILE itself, which decides whether to loop again. At the
end of the workflow's own list, and after a TERMINATE, nothing comes.
"""

from __future__ import annotations

from dataclasses import dataclass

from fake_server.engine.definitions import WorkflowDef, WorkflowTaskDef


@dataclass(frozen=True)
class _Place:
    holder: WorkflowTaskDef | None  # the SWITCH, FORK_JOIN or DO_WHILE holding the list
    siblings: tuple[WorkflowTaskDef, ...]
    index: int


def next_task(definition: WorkflowDef, reference_name: str) -> WorkflowTaskDef | None:
    """The workflow task that follows ``reference_name`` (None: nothing, or not in the
    definition, as the tasks of a dynamic fork are not)."""
    places = _places(definition)
    place = places.get(reference_name)
    if place is None or place.siblings[place.index].type == "TERMINATE":
        return None
    return _after(places, reference_name)


def _after(places: dict[str, _Place], reference_name: str) -> WorkflowTaskDef | None:
    place = places[reference_name]
    if place.index + 1 < len(place.siblings):
        return place.siblings[place.index + 1]
    if place.holder is None:
        return None
    if place.holder.type == "DO_WHILE":
        return place.holder
    return _after(places, place.holder.task_reference_name)


def contains(holder: WorkflowTaskDef, reference_name: str) -> bool:
    """Whether ``reference_name`` is ``holder`` or nested in it."""
    cached = _NESTED.get(id(holder))
    if cached is None or cached[0] is not holder:
        if len(_NESTED) >= _CACHE_SIZE:
            _NESTED.clear()
        cached = _NESTED[id(holder)] = (holder, {t.task_reference_name for t in holder.walk()})
    return reference_name in cached[1]


# Definitions are immutable, so their places are worked out once (by identity: a definition
# holds dicts and cannot be hashed). The definition is kept with them so its id stays its own.
_CACHE: dict[int, tuple[WorkflowDef, dict[str, _Place]]] = {}
_NESTED: dict[int, tuple[WorkflowTaskDef, set[str]]] = {}
_CACHE_SIZE = 256


def _places(definition: WorkflowDef) -> dict[str, _Place]:
    cached = _CACHE.get(id(definition))
    if cached is not None and cached[0] is definition:
        return cached[1]
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.clear()
    places: dict[str, _Place] = {}

    def visit(holder: WorkflowTaskDef | None, siblings: tuple[WorkflowTaskDef, ...]) -> None:
        for index, task in enumerate(siblings):
            places[task.task_reference_name] = _Place(holder, siblings, index)
            for branch in task.children():
                visit(task, branch)

    visit(None, definition.tasks)
    _CACHE[id(definition)] = (definition, places)
    return places
