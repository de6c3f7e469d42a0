"""Counters the admin API reports: who polls, how often, and how fast tasks get picked up."""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

# Enough samples for stable percentiles of a large benchmark, bounded so memory stays flat.
MAX_LATENCY_SAMPLES = 100_000


@dataclass
class WorkerStats:
    polls: int = 0
    tasks_handed_out: int = 0
    last_poll_time: int = 0
    # Polls per queue name ("type" or "domain:type"): the domains a worker really polled with.
    polls_by_queue: dict[str, int] = field(default_factory=dict)

    def record_poll(self, queue: str, now: int) -> None:
        self.polls += 1
        self.last_poll_time = now
        self.polls_by_queue[queue] = self.polls_by_queue.get(queue, 0) + 1

    def to_json(self) -> dict[str, Any]:
        return {
            "polls": self.polls,
            "tasksHandedOut": self.tasks_handed_out,
            "lastPollTime": self.last_poll_time,
            "pollsByQueue": dict(self.polls_by_queue),
        }


class PickupLatencies:
    """Milliseconds from a task becoming ready (scheduled, or due after a delay) to being
    handed to a worker, kept per queue: the latest :data:`MAX_LATENCY_SAMPLES`, as machine
    integers (8 bytes a sample, where a list of Python ints above 256 costs 40)."""

    def __init__(self) -> None:
        self._samples: dict[str, array[int]] = {}
        self._recorded: dict[str, int] = {}

    def record(self, queue: str, latency_ms: int) -> None:
        samples = self._samples.get(queue)
        if samples is None:
            samples = self._samples[queue] = array("q")
        recorded = self._recorded.get(queue, 0)
        if recorded < MAX_LATENCY_SAMPLES:
            samples.append(max(0, latency_ms))
        else:  # full: the oldest sample's place takes the newest
            samples[recorded % MAX_LATENCY_SAMPLES] = max(0, latency_ms)
        self._recorded[queue] = recorded + 1

    def to_json(self) -> dict[str, Any]:
        everything = [sample for samples in self._samples.values() for sample in samples]
        return {
            "all": summarize(everything),
            "byQueue": {queue: summarize(samples) for queue, samples in self._samples.items()},
        }


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending, non-empty sequence."""
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def summarize(samples: Iterable[float]) -> dict[str, Any]:
    """``count``, ``p50``, ``p95``, ``p99``, ``max`` and ``mean`` of the samples."""
    ordered = sorted(samples)
    if not ordered:
        return {"count": 0, "p50": None, "p95": None, "p99": None, "max": None, "mean": None}
    return {
        "count": len(ordered),
        "p50": percentile(ordered, 0.50),
        "p95": percentile(ordered, 0.95),
        "p99": percentile(ordered, 0.99),
        "max": ordered[-1],
        "mean": round(sum(ordered) / len(ordered), 3),
    }
