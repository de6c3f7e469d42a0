import time

import pytest

from fake_server import ManualClock, SystemClock


def test_system_clock_reads_the_wall_clock():
    before = int(time.time() * 1000)
    now = SystemClock().now_ms()
    assert before - 5 <= now <= int(time.time() * 1000) + 5
    assert SystemClock.is_manual is False


def test_manual_clock_stands_still_until_advanced():
    clock = ManualClock(start_ms=1_000)
    assert clock.now_ms() == 1_000
    assert clock.now_ms() == 1_000
    assert clock.advance(250) == 1_250
    assert clock.advance_seconds(1.5) == 2_750
    assert clock.now_ms() == 2_750


def test_manual_clock_tells_subscribers_after_each_move():
    clock = ManualClock(start_ms=0)
    seen = []

    def listener():
        seen.append(clock.now_ms())

    clock.subscribe(listener)
    clock.advance(10)
    clock.advance_seconds(1)
    clock.unsubscribe(listener)
    clock.advance(5)
    assert seen == [10, 1010]


def test_manual_clock_refuses_to_go_back():
    with pytest.raises(ValueError, match="forward"):
        ManualClock().advance(-1)
