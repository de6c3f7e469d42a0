"""How the harness's waits report server time against real time."""

import pytest

from harness.wait_timing import ServerTimeSpan, WaitResult, format_duration


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.04, "0.0 s"),
        (0.4, "0.4 s"),
        (3600, "1 h"),
        (7503.2, "2 h 5 min 3.2 s"),
        (3 * 86400 + 3600, "3 d 1 h"),
    ],
)
def test_durations_read_as_people_write_them(seconds, text):
    assert format_duration(seconds) == text


def clocks(*readings):
    """A stand-in for GET /fake/clock answering ``readings`` in turn."""
    answers = iter(readings)
    return lambda: next(answers)


def test_a_result_is_the_answer_with_both_durations():
    span = ServerTimeSpan(clocks({"now": 1_000}, {"now": 7_201_000}))
    result = span.result({"status": "COMPLETED"})
    assert result == {"status": "COMPLETED"}
    assert isinstance(result, WaitResult)
    assert result.server_seconds == 7200
    assert 0 <= result.real_seconds < 5


def test_against_a_server_without_a_fake_clock_only_real_time_is_known():
    span = ServerTimeSpan(lambda: None)
    assert span.result({}).server_seconds is None
    assert span.note() == ""


def test_a_timeout_note_says_what_time_skipping_waits_for():
    skipping = {
        "enabled": True,
        "underWay": "1 task(s) of queue slow in progress with workers",
        "nextTimer": {"dueTime": 0, "what": "the retry delay (3600 s) of task t in queue a"},
    }
    span = ServerTimeSpan(clocks({"now": 0}, {"now": 2_500, "timeSkipping": skipping}))
    assert span.note() == (
        "; the server's clock moved 2.5 s meanwhile; time skipping waits for: 1 task(s) of "
        "queue slow in progress with workers (next timer: the retry delay (3600 s) of task t "
        "in queue a)"
    )


@pytest.mark.parametrize(
    ("skipping", "ending"),
    [
        (None, "moved 1 h meanwhile"),
        ({"enabled": False}, "(time skipping is switched off)"),
        ({"enabled": True, "underWay": None, "nextTimer": None}, "; no timer is pending"),
    ],
    ids=["no-skipping", "switched-off", "nothing-pending"],
)
def test_other_timeout_notes(skipping, ending):
    later = {"now": 3_600_000} if skipping is None else {"now": 3_600_000, "timeSkipping": skipping}
    span = ServerTimeSpan(clocks({"now": 0}, later))
    assert span.note().endswith(ending)
