"""The fake server's clocks (system, manual, time-skipping): its own, mirroring no Conductor
class."""

import time

import pytest

from fake_server import ManualClock, SkippingClock, SystemClock


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


def test_skipping_clock_runs_with_its_base_plus_what_was_skipped():
    base = ManualClock(start_ms=1_000)
    clock = SkippingClock(base)
    assert clock.now_ms() == 1_000
    base.advance(500)
    assert clock.now_ms() == 1_500
    assert clock.jump_to(10_000) == 10_000
    base.advance(1)
    assert (clock.now_ms(), clock.skipped_ms) == (10_001, 8_500)


def test_skipping_clock_jumps_only_forward_and_silently():
    clock = SkippingClock(ManualClock(start_ms=5_000))
    seen = []
    clock.subscribe(lambda: seen.append(clock.now_ms()))
    assert clock.jump_to(4_000) == 5_000  # behind: no move
    clock.jump_to(6_000)
    assert seen == []  # the engine that jumps fires what came due itself


def test_skipping_clock_advance_and_base_moves_tell_subscribers():
    base = ManualClock(start_ms=0)
    clock = SkippingClock(base)
    seen = []
    clock.subscribe(lambda: seen.append(clock.now_ms()))
    assert clock.advance(100) == 100
    base.advance(10)
    assert seen == [100, 110]
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)


def test_skipping_clock_on_the_wall_clock_keeps_its_pace():
    clock = SkippingClock()
    clock.advance(3_600_000)
    assert abs(clock.now_ms() - 3_600_000 - SystemClock().now_ms()) < 1_000
