"""What the engine is waiting for: work under way, and the next timer of each kind.

One question, asked by a time-skipping engine (:mod:`.skipping`) after every change: *is
anything under way, and if not, when is the next timer due?* Each kind of thing the engine
waits for answers it through the same small interface, :class:`TimerSource`:

- tasks held by workers (IN_PROGRESS worker tasks): under way, they keep real time;
- task queues: a task ready to hand out is under way (a worker is about to get it); a task
  that waits in its queue (a retry delay, a callback, a start delay, a rate or concurrency
  limit's push-back) is a timer;
- calls to the outside (HTTP tasks): under way while pending or in flight;
- deadlines (:mod:`.timeouts`): task timeouts (``timeoutSeconds``, ``responseTimeoutSeconds``,
  ``pollTimeoutSeconds``), workflow timeouts, and the decider's appointments with the clock
  that system tasks make (a WAIT's ``duration`` or ``until``, an HTTP retry's delay; a task
  type says when in ``wakes_at_ms``).

A new kind of timer plugs in as one more source in :data:`TIMER_SOURCES`. Nothing here changes
the engine's state, except that deadlines that would change nothing are dropped on the way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from fake_server.engine import timeouts
from fake_server.engine.domains import queue_name
from fake_server.engine.models import Task
from fake_server.engine.state import EngineState
from fake_server.engine.tasks import SYSTEM_TASKS


@dataclass(frozen=True)
class Timer:
    """Something that happens by itself at ``due_ms``: ``what`` says what, for people."""

    due_ms: int
    what: str


class TimerSource(Protocol):
    """One kind of thing the engine waits for."""

    def under_way(self, state: EngineState, now: int) -> str | None:
        """What of this kind is under way or ready now (real time must run for it), in
        words; None when nothing is."""

    def next_timer(self, state: EngineState, now: int) -> Timer | None:
        """The earliest timer of this kind due after ``now``; None when there is none."""


class WorkerTasks:
    """Tasks held by workers: under way until their worker reports. Their response timeouts
    are deadlines, which a time-skipping engine never reaches while they are held."""

    def under_way(self, state: EngineState, now: int) -> str | None:
        for queue, counts in state.queue_counts.items():
            held = counts["inProgress"]
            if held and queue.rpartition(":")[2] not in SYSTEM_TASKS:
                return f"{held} task(s) of queue {queue} in progress with workers"
        return None

    def next_timer(self, state: EngineState, now: int) -> Timer | None:
        return None


class QueuedTasks:
    """Tasks in their queues: ready ones are about to be handed out; waiting ones are timers."""

    def under_way(self, state: EngineState, now: int) -> str | None:
        for queue in state.queues.names():
            earliest = state.queues.earliest(queue)
            if earliest is not None and earliest[0] <= now:
                return f"task {earliest[1]} ready to hand out in queue {queue}"
        return None

    def next_timer(self, state: EngineState, now: int) -> Timer | None:
        soonest: tuple[int, str] | None = None
        for queue in state.queues.names():
            earliest = state.queues.earliest(queue)
            if earliest is not None and earliest[0] > now:
                soonest = earliest if soonest is None else min(soonest, earliest)
        if soonest is None:
            return None
        task = state.tasks[soonest[1]]
        queue = queue_name(task.task_type, task.domain)
        return Timer(soonest[0], f"{_why_waiting(task)} of task {task.task_id} in queue {queue}")


def _why_waiting(task: Task) -> str:
    """Why a queued task is not ready yet (the order of :mod:`.diagnosis`)."""
    if task.postponed_by:
        return f"the {task.postponed_by} push-back"
    if task.poll_count:
        return f"the callback ({task.callback_after_seconds} s)"
    if task.retried_task_id:
        return f"the retry delay ({task.start_delay_in_seconds} s)"
    return f"the start delay ({task.start_delay_in_seconds} s)"


class OutsideCalls:
    """Calls of HTTP tasks, made outside the engine's lock: under way until answered."""

    def under_way(self, state: EngineState, now: int) -> str | None:
        calls = len(state.outside_calls) + state.outside_calls_in_flight
        return f"{calls} HTTP task call(s) pending or in flight" if calls else None

    def next_timer(self, state: EngineState, now: int) -> Timer | None:
        return None


class Deadlines:
    """Timeouts and the decider's appointments with the clock (see :mod:`.timeouts`)."""

    def under_way(self, state: EngineState, now: int) -> str | None:
        deadline = timeouts.next_deadline(state)
        return deadline[1] if deadline is not None and deadline[0] <= now else None

    def next_timer(self, state: EngineState, now: int) -> Timer | None:
        deadline = timeouts.next_deadline(state)
        return Timer(*deadline) if deadline is not None and deadline[0] > now else None


TIMER_SOURCES: tuple[TimerSource, ...] = (WorkerTasks(), QueuedTasks(), OutsideCalls(), Deadlines())


@dataclass(frozen=True)
class Outlook:
    """What the engine waits for at ``now``: what is under way (None: nothing), and the next
    timer (None: none)."""

    now: int
    under_way: str | None
    next_timer: Timer | None

    def to_json(self) -> dict[str, object]:
        timer = self.next_timer
        return {
            "underWay": self.under_way,
            "nextTimer": {"dueTime": timer.due_ms, "what": timer.what} if timer else None,
        }


def under_way(state: EngineState, now: int) -> str | None:
    """The first thing under way that a source reports; None when nothing is."""
    for source in TIMER_SOURCES:
        what = source.under_way(state, now)
        if what is not None:
            return what
    return None


def next_timer(state: EngineState, now: int) -> Timer | None:
    """The earliest timer of all sources (the first source's on a tie)."""
    timers = [t for source in TIMER_SOURCES if (t := source.next_timer(state, now)) is not None]
    return min(timers, key=lambda t: t.due_ms, default=None)


def outlook(state: EngineState, now: int) -> Outlook:
    return Outlook(now, under_way(state, now), next_timer(state, now))
