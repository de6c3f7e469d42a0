"""WAIT: hold the workflow until a time, or until an update from outside.

With ``duration`` (``"30s"``, ``"1h"``, ``"2 days"``) or ``until`` (``"2026-12-01 10:00 UTC"``)
the task completes by itself once the engine's clock gets there (a test moves a manual clock
forward instead of waiting); ``callbackAfterSeconds`` says how long is left. With neither, it
waits for an update: ``POST /tasks`` with the task id, as for a HUMAN task. Both at once, or a
value that cannot be read, fails it for good.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fake_server.engine.durations import parse_duration_seconds, parse_until_ms
from fake_server.engine.tasks.base import Runtime, SystemTask

if TYPE_CHECKING:
    from fake_server.engine.models import Task, Workflow

FOREVER_SECONDS = 2**31 - 1  # Conductor's Integer.MAX_VALUE callback for a WAIT without end


class Wait(SystemTask):
    task_type = "WAIT"

    def start(self, rt: Runtime, workflow: Workflow, task: Task) -> None:
        duration = str(task.input_data.get("duration") or "").strip()
        until = str(task.input_data.get("until") or "").strip()
        now = rt.now_ms()
        if duration and until:
            reason = "Both 'duration' and 'until' specified. Please provide only one input"
            self.finish(rt, task, "FAILED_WITH_TERMINAL_ERROR", reason)
            return
        try:
            if duration:
                seconds = parse_duration_seconds(duration)
                task.wait_until_ms = now + seconds * 1000
                task.callback_after_seconds = seconds
            elif until:
                task.wait_until_ms = parse_until_ms(until)
                task.callback_after_seconds = max(0, (task.wait_until_ms - now) // 1000)
            else:
                task.callback_after_seconds = FOREVER_SECONDS
                return
        except ValueError:
            kind = "Wait Until" if until else "Wait duration"
            reason = f"Invalid/Unsupported {kind} format.  Provided: {until or duration}"
            self.finish(rt, task, "FAILED_WITH_TERMINAL_ERROR", reason)
            return
        rt.decide_at(workflow, task.wait_until_ms)

    def execute(self, rt: Runtime, workflow: Workflow, task: Task) -> bool:
        if task.wait_until_ms and rt.now_ms() >= task.wait_until_ms:
            return self.finish(rt, task, "COMPLETED")
        return False

    def wakes_at_ms(self, task: Task) -> int | None:
        return task.wait_until_ms or None
