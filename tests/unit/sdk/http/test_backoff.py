"""The SDK's one retry policy: waits that double up to a cap with jitter, one log line at each
end of a streak of failures."""

from __future__ import annotations

import logging
import threading

import pytest

from conductor.client.http._backoff import CAP_SECONDS, Backoff
from conductor.client.http.errors import ConductorApiError

logger = logging.getLogger("conductor.client.test_backoff")
DOWN = ConductorApiError("connection refused", transient=True)


def test_waits_double_from_the_base_up_to_the_cap() -> None:
    ceilings = [Backoff("x", logger, jitter=lambda: 1.0).delay(n) for n in range(12)]
    assert ceilings[:4] == [0.1, 0.2, 0.4, 0.8]
    assert ceilings[-1] == CAP_SECONDS and max(ceilings) == CAP_SECONDS


def test_a_very_long_streak_stays_at_the_cap() -> None:
    assert Backoff("x", logger, jitter=lambda: 1.0).delay(10_000) == CAP_SECONDS


@pytest.mark.parametrize(("draw", "expected"), [(0.0, 0.0), (0.5, 0.4), (0.999, 0.7992)])
def test_the_wait_is_a_random_part_of_the_ceiling(draw, expected) -> None:
    assert Backoff("x", logger, jitter=lambda: draw).delay(3) == pytest.approx(expected)


def test_base_and_cap_can_be_chosen() -> None:
    waits = [Backoff("x", logger, base=1.0, cap=3.0, jitter=lambda: 1.0).delay(n) for n in range(4)]
    assert waits == [1.0, 2.0, 3.0, 3.0]


def test_a_streak_is_logged_when_it_starts_and_when_it_ends(caplog) -> None:
    backoff = Backoff("Worker greet: polling", logger)
    with caplog.at_level(logging.INFO, logger=logger.name):
        backoff.succeeded()  # nothing failed: nothing to say
        for _ in range(3):
            backoff.failed(DOWN)
        assert backoff.failures == 3
        backoff.succeeded()
        backoff.succeeded()
        backoff.failed(DOWN)
    messages = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert len(messages) == 3
    assert messages[0][0] == logging.WARNING
    assert messages[0][1].startswith("Worker greet: polling failed, retrying")
    assert "connection refused" in messages[0][1]
    assert messages[1][0] == logging.INFO
    assert "Worker greet: polling works again after 3 failed attempts" in messages[1][1]
    assert messages[2][0] == logging.WARNING
    assert backoff.failures == 1


def test_an_unexpected_error_is_logged_with_its_traceback(caplog) -> None:
    backoff = Backoff("Worker greet: polling", logger)
    with caplog.at_level(logging.WARNING, logger=logger.name):
        backoff.failed(DOWN)
        backoff.succeeded()
        try:
            raise RuntimeError("a bug")
        except RuntimeError as error:
            backoff.failed(error)
    server_error, bug = caplog.records
    assert server_error.exc_info is None
    assert bug.exc_info is not None and bug.exc_info[0] is RuntimeError


def test_threads_failing_together_share_one_streak(caplog) -> None:
    backoff = Backoff("Delivering task results", logger)
    start = threading.Barrier(8)

    def fail() -> None:
        start.wait()
        for _ in range(50):
            backoff.failed(DOWN)

    with caplog.at_level(logging.INFO, logger=logger.name):
        threads = [threading.Thread(target=fail) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        backoff.succeeded()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    endings = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert len(warnings) == 1
    assert len(endings) == 1 and "after 400 failed attempts" in endings[0]
