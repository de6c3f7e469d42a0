"""Event listeners: which methods are called, and what a failing listener does."""

from __future__ import annotations

import logging

import pytest

from conductor.client.event import (
    PollCompleted,
    PollStarted,
    TaskExecutionFailure,
)
from conductor.client.event._publisher import NO_EVENTS, publisher_for


class Recorder:
    def __init__(self) -> None:
        self.events: list[object] = []

    def on_poll_started(self, event: PollStarted) -> None:
        self.events.append(event)

    def on_task_execution_failure(self, event: TaskExecutionFailure) -> None:
        self.events.append(event)


def test_no_listener_means_the_publisher_that_does_nothing() -> None:
    for listeners in (None, [], [object()]):  # the last: nothing it could receive
        publisher = publisher_for(listeners)
        assert publisher is NO_EVENTS and not publisher.active
    NO_EVENTS.publish(PollStarted(task_type="t", worker_id="w", poll_count=1))  # no-op
    assert publisher_for([Recorder()]).active


def test_each_listener_gets_the_events_it_has_a_method_for() -> None:
    first, second = Recorder(), Recorder()
    publisher = publisher_for([first, second])
    assert publisher is not None
    started = PollStarted(task_type="t", worker_id="w", poll_count=3)
    publisher.publish(started)
    publisher.publish(PollCompleted(task_type="t", duration_ms=1.0, tasks_received=0))
    assert first.events == [started] and second.events == [started]
    assert started.timestamp.tzinfo is not None


def test_a_failing_listener_is_logged_once_and_does_not_stop_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Broken:
        def on_poll_started(self, event: PollStarted) -> None:
            raise RuntimeError("listener bug")

    recorder = Recorder()
    publisher = publisher_for([Broken(), recorder])
    assert publisher is not None
    with caplog.at_level(logging.ERROR, logger="conductor.client.event"):
        for _ in range(3):
            publisher.publish(PollStarted(task_type="t", worker_id="w", poll_count=1))
    assert len(recorder.events) == 3
    failures = [r for r in caplog.records if "listener" in r.getMessage()]
    assert len(failures) == 1 and "PollStarted" in failures[0].getMessage()
