"""Metrics settings, accepted for compatibility with the guide's ``TaskHandler`` signature.

The SDK does not collect metrics yet: a ``MetricsSettings`` passed to ``TaskHandler`` is kept,
but no metrics file is written and nothing is measured.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MetricsSettings:
    """Where metrics would be written, and how often. Not acted upon yet (see module doc)."""

    directory: str | None = None
    file_name: str = "metrics.log"
    update_interval: float = 0.1
