"""DO_WHILE: run the ``loopOver`` tasks, then again while ``loopCondition`` holds.

The loop runs its body at least once. Each iteration's tasks carry the iteration in their
reference name (``ref__1``, ``ref__2``, ...) and in their ``iteration`` field, which workers
see; expressions name them without the suffix (``${ref.output}`` is the latest iteration).
When every task of an iteration has ended, its outputs are kept in the DO_WHILE's output under
the iteration's number (``{"1": {"ref": {...}}, "iteration": 1}``) and the condition is
evaluated in JavaScript, with ``$`` holding the DO_WHILE's input, ``$.<loop ref>`` its output
and ``$.<task ref>`` the latest output of each task of the body: true (or a number above 0)
loops again.

With ``items`` (or an ``_items`` input), the loop runs once per item (``loopItem``,
``loopIndex`` in its output; the condition, if any, must hold too); an empty list runs it zero
times. ``keepLastN`` in the input keeps only the last N iterations' tasks and outputs. A
condition that cannot be evaluated fails the loop for good (FAILED_WITH_TERMINAL_ERROR).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fake_server.engine import blueprint, scripts
from fake_server.engine.models import LOOP_DELIMITER
from fake_server.engine.tasks.base import Runtime, SystemTask

if TYPE_CHECKING:
    from fake_server.engine.definitions import WorkflowTaskDef
    from fake_server.engine.models import Task, Workflow


class DoWhile(SystemTask):
    task_type = "DO_WHILE"
    built_in = True

    def map(
        self,
        rt: Runtime,
        workflow: Workflow,
        workflow_task: WorkflowTaskDef,
        task_input: dict[str, Any],
        retry_count: int,
    ) -> list[Task]:
        existing = rt.latest(workflow, workflow_task.task_reference_name)
        if existing is not None and existing.is_terminal:
            return []
        return super().map(rt, workflow, workflow_task, task_input, retry_count)

    def execute(self, rt: Runtime, workflow: Workflow, task: Task) -> bool:
        loop = task.workflow_task_def
        assert loop is not None
        current = self._iteration_tasks(workflow, task, loop)
        if not current:
            if _items_mode(loop) and not self._items(rt, workflow, loop):
                task.output_data = {**task.output_data, "iteration": 0}
                return self.finish(rt, task, "COMPLETED")
            return self._next_iteration(rt, workflow, task, loop)
        outputs: dict[str, Any] = {}
        failures = []
        for body_task in current:
            outputs[body_task.base_reference_name] = body_task.output_data
            if not body_task.is_successful:
                failures.append(body_task.reason_for_incompletion or "")
                break
        task.output_data = {**task.output_data, str(task.iteration): outputs}
        self._keep_last(rt, workflow, task, loop)
        if failures:
            return self.finish(rt, task, "FAILED", " ".join(failures) + " ")
        if not self._iteration_done(rt, workflow, task, loop, current):
            return False
        try:
            again = self._condition_holds(rt, workflow, task, loop)
        except scripts.ScriptError as error:
            reason = (
                f"Unable to evaluate condition {loop.loop_condition}, exception {error.message}"
            )
            return self.finish(rt, task, "FAILED_WITH_TERMINAL_ERROR", reason)
        if again:
            return self._next_iteration(rt, workflow, task, loop)
        return self.finish(rt, task, "COMPLETED")

    @staticmethod
    def _iteration_tasks(workflow: Workflow, task: Task, loop: WorkflowTaskDef) -> list[Task]:
        """The latest attempt of each body task of the current iteration, in order."""
        latest: dict[str, Task] = {}
        for other in _candidates(workflow, task, loop):
            if (
                other is not task
                and other.iteration == task.iteration
                and other.base_reference_name != loop.task_reference_name
                and blueprint.contains(loop, other.base_reference_name)
            ):
                known = latest.get(other.reference_task_name)
                if known is None or other.retry_count >= known.retry_count:
                    latest[other.reference_task_name] = other
        return list(latest.values())

    def _iteration_done(
        self,
        rt: Runtime,
        workflow: Workflow,
        task: Task,
        loop: WorkflowTaskDef,
        current: list[Task],
    ) -> bool:
        by_ref = {t.reference_task_name: t for t in current}
        suffix = f"__{task.iteration}"
        for body in loop.loop_over:
            body_task = by_ref.get(body.task_reference_name + suffix)
            if body_task is None or not body_task.is_terminal:
                return False
        if any(not t.is_terminal for t in current):
            return False
        for body_task in current:
            following = _next_in_loop(workflow, loop, body_task.base_reference_name)
            missing = following is not None and following.task_reference_name + suffix not in by_ref
            if missing and not _skipped_case(body_task):
                return False
        return True

    def _condition_holds(
        self, rt: Runtime, workflow: Workflow, task: Task, loop: WorkflowTaskDef
    ) -> bool:
        data = rt.evaluate(loop.input_parameters, workflow)
        data[task.reference_task_name] = task.output_data
        data.update(_latest_outputs(workflow, task, loop))
        if _items_mode(loop):
            items = self._items(rt, workflow, loop)
            index = task.iteration - 1
            data["loopIndex"] = index
            if 0 <= index < len(items):
                data["loopItem"] = items[index]
            more = index < len(items) - 1
            if loop.loop_condition and loop.loop_condition.strip():
                return scripts.as_boolean(scripts.evaluate(loop.loop_condition, data)) and more
            return more
        return scripts.as_boolean(scripts.evaluate(loop.loop_condition or "false", data))

    def _next_iteration(
        self, rt: Runtime, workflow: Workflow, task: Task, loop: WorkflowTaskDef
    ) -> bool:
        task.iteration += 1
        output = {**task.output_data, "iteration": task.iteration}
        if _items_mode(loop):
            items = self._items(rt, workflow, loop)
            index = task.iteration - 1
            output["loopIndex"] = index
            if index < len(items):
                output["loopItem"] = items[index]
        task.output_data = output
        first = rt.map_tasks(workflow, loop.loop_over[0], task.retry_count)
        rt.schedule(workflow, rt.in_iteration(workflow, first, task.iteration))
        return True

    @staticmethod
    def _items(rt: Runtime, workflow: Workflow, loop: WorkflowTaskDef) -> list[Any]:
        if loop.items and loop.items.strip():
            value = rt.evaluate({"items": loop.items}, workflow).get("items")
        else:
            value = rt.evaluate(loop.input_parameters, workflow).get("_items")
        if value is None:
            return []
        return list(value) if isinstance(value, list) else [value]

    @staticmethod
    def _keep_last(rt: Runtime, workflow: Workflow, task: Task, loop: WorkflowTaskDef) -> None:
        keep = loop.input_parameters.get("keepLastN")
        if not isinstance(keep, int) or isinstance(keep, bool) or task.iteration <= keep:
            return
        dropped = task.iteration - keep
        output = {k: v for k, v in task.output_data.items() if not _is_iteration_key(k, dropped)}
        task.output_data = output
        old = [
            other
            for other in workflow.tasks
            if other is not task
            and 0 < other.iteration <= dropped
            and blueprint.contains(loop, other.base_reference_name)
        ]
        for other in old:
            rt.state.dequeue(other)
            del rt.state.tasks[other.task_id]
        workflow.tasks.remove(other.task_id for other in old)


def _candidates(workflow: Workflow, task: Task, loop: WorkflowTaskDef) -> list[Task]:
    """The tasks that may belong to ``task``'s current iteration, in scheduling order: those
    named ``<body task>__<iteration>`` and, as a nested DO_WHILE's own iteration moves on
    with its loop, every task of a nested DO_WHILE."""
    tasks = workflow.tasks
    found: dict[str, Task] = {}
    for body in loop.walk():
        if body is loop:
            continue
        named = tasks.named(f"{body.task_reference_name}{LOOP_DELIMITER}{task.iteration}")
        found.update((t.task_id, t) for t in named)
        if body.type == "DO_WHILE":
            found.update((t.task_id, t) for t in tasks.with_base(body.task_reference_name))
    return sorted(found.values(), key=tasks.place)


def _latest_outputs(workflow: Workflow, task: Task, loop: WorkflowTaskDef) -> dict[str, Any]:
    """The output of the latest task of each name in the loop (iteration suffix left out),
    the loop itself aside; the names in the order they first appear in the workflow."""
    tasks = workflow.tasks
    firsts: list[tuple[int, str, Task]] = []
    for body in loop.walk():
        attempts = tasks.with_base(body.task_reference_name)
        first = next((t for t in attempts if t is not task), None)
        if first is not None:
            last = next(t for t in reversed(attempts) if t is not task)
            firsts.append((tasks.place(first), body.task_reference_name, last))
    firsts.sort(key=lambda entry: entry[0])
    return {name: last.output_data for _, name, last in firsts}


def _items_mode(loop: WorkflowTaskDef) -> bool:
    if loop.items and loop.items.strip():
        return True
    value = loop.input_parameters.get("_items")
    return bool(value.strip()) if isinstance(value, str) else isinstance(value, list)


def _next_in_loop(
    workflow: Workflow, loop: WorkflowTaskDef, reference_name: str
) -> WorkflowTaskDef | None:
    """The task after ``reference_name`` inside the loop's body (None at the body's end)."""
    following = blueprint.next_task(workflow.definition, reference_name)
    if (
        following is None
        or following is loop
        or not blueprint.contains(loop, following.task_reference_name)
    ):
        return None
    return following


def _skipped_case(task: Task) -> bool:
    """A SWITCH whose case ran leads on from the case, not from itself."""
    return task.task_type in ("SWITCH", "DECISION") and bool(task.input_data.get("hasChildren"))


def _is_iteration_key(key: str, dropped: int) -> bool:
    return key.isdigit() and 1 <= int(key) <= dropped
