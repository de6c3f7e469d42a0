"""LeaseSchedule: when extensions and overrun warnings fall due (a clock moved by hand)."""

from __future__ import annotations

from conductor.client.automator._leases import LeaseSchedule


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_extensions_fall_due_every_80_percent_of_the_response_timeout() -> None:
    clock = Clock()
    schedule = LeaseSchedule(True, clock)
    schedule.started("t", "w", 10)
    assert schedule.due().extend == [] and schedule.due().next_check == 101.0  # looks each second
    clock.now = 108.0
    [entry] = schedule.due().extend
    assert schedule.due().extend == []  # not twice while the first attempt is on its way
    clock.now = 108.25
    assert schedule.due().extend == [entry]  # no answer: tried again soon
    schedule.extended(entry)
    assert schedule.due().next_check == 108.25 + 1.0
    clock.now = 108.25 + 8.0
    assert schedule.due().extend == [entry]
    assert schedule.finished("t") is entry and len(schedule) == 0


def test_without_extension_an_overrun_is_reported_once() -> None:
    clock = Clock()
    schedule = LeaseSchedule(False, clock)
    schedule.started("t", "w", 2)
    schedule.started("no-timeout", "w", None)  # nothing to watch
    clock.now = 102.0
    [entry] = schedule.due().overrun
    clock.now = 110.0
    assert schedule.due().overrun == []
    finished = schedule.finished("t")
    assert finished is not None and finished.overran


def test_a_task_due_before_the_next_look_wakes_the_watcher() -> None:
    clock = Clock()
    schedule = LeaseSchedule(True, clock)
    woken: list[str] = []
    schedule.on_earlier_due = lambda: woken.append("woken")
    assert schedule.due().next_check == float("inf")  # nothing runs: the watcher sleeps
    schedule.started("first", "w", 60)  # any task wakes a sleeping watcher
    schedule.due()  # the watcher plans to look again at 101.0
    schedule.started("slow", "w", 60)  # due at 148: no need to wake it
    schedule.started("fast", "w", 1)  # due at 100.8
    assert woken == ["woken", "woken"]


def test_short_tasks_back_to_back_do_not_wake_the_watcher_each_time() -> None:
    clock = Clock()
    schedule = LeaseSchedule(False, clock)
    woken: list[str] = []
    schedule.on_earlier_due = lambda: woken.append("woken")
    schedule.started("t1", "w", 60)  # wakes the sleeping watcher...
    schedule.finished("t1")
    clock.now = 100.5
    assert schedule.due().next_check == 101.5  # ...which finds none running, and looks again
    for number in range(2, 100):  # tasks that end before the watcher looks: no more wake-ups
        schedule.started(f"t{number}", "w", 60)
        schedule.finished(f"t{number}")
    assert woken == ["woken"]
    clock.now = 102.0  # a second with no task started: it sleeps until the next one
    assert schedule.due().next_check == float("inf")
    schedule.started("later", "w", 60)
    assert woken == ["woken", "woken"]
