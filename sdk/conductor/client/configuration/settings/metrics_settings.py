"""Where worker metrics go, and how often: ``TaskHandler(metrics_settings=MetricsSettings())``.

Metrics need the ``[metrics]`` extra (``prometheus_client``); see
``conductor.client.telemetry.prometheus`` for the metric names.

- ``directory``: where worker processes keep their metric files (``prometheus_client``'s
  multiprocess mode), and where the text file goes; default ``~/tmp`` as conductor-python
  2.0.0. Created when the workers start.
- ``file_name``: the text file rewritten every ``update_interval`` seconds when there is no
  ``http_port``.
- ``update_interval``: seconds between rewrites of the file.
- ``http_port``: serve ``/metrics`` on this port (all interfaces) instead of writing a file;
  0 picks a free port (``TaskHandler.metrics_url`` tells which).
- ``clean_directory``: remove every metric file left in ``directory`` before the workers start
  (the first time in a process, as conductor-python 2.0.0). Files of processes that no longer
  exist are always removed (they would only skew totals), so ``clean_dead_pids`` is on
  whatever it is given.

``clean_metrics_directory()`` does that cleaning; ``TaskHandler`` calls it before starting the
workers, and ``telemetry.metrics_factory.create_metrics_collector_for_parent`` too.
"""

from __future__ import annotations

import contextlib
import glob
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

_DB_FILE = re.compile(r"_(\d+)\.db$")  # prometheus_client's file of a process: <kind>_<pid>.db
_cleaned_directories: set[str] = set()  # cleaned wholesale already, in this process


def default_metrics_directory() -> str:
    return os.path.join(str(Path.home()), "tmp")


@dataclass
class MetricsSettings:
    """Settings of the Prometheus metrics of worker processes (see the module doc)."""

    directory: str | None = None
    file_name: str = "metrics.log"
    update_interval: float = 0.1
    http_port: int | None = None
    clean_directory: bool = False
    clean_dead_pids: bool = True

    def __post_init__(self) -> None:
        if self.directory is None:
            self.directory = default_metrics_directory()
        self.directory = os.fspath(self.directory)
        if not isinstance(self.file_name, str) or not self.file_name or "/" in self.file_name:
            raise ValueError(
                f"MetricsSettings: file_name={self.file_name!r} must be a file name (no folder)"
            )
        interval = self.update_interval
        if (
            isinstance(interval, bool)
            or not isinstance(interval, (int, float))
            or not (0 < interval < math.inf)
        ):
            raise ValueError(
                f"MetricsSettings: update_interval={interval!r} must be a positive number of "
                "seconds"
            )
        port = self.http_port
        if port is not None and (
            isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535
        ):
            raise ValueError(
                f"MetricsSettings: http_port={port!r} must be a port number 0-65535 "
                "(0: any free port), or None to write a file instead"
            )

    @property
    def metrics_directory(self) -> str:
        """The folder of the metric files (the name conductor-python 2.0.0 uses)."""
        assert self.directory is not None
        return self.directory

    def clean_metrics_directory(self) -> None:
        """Creates the directory and removes the metric files of processes that no longer
        exist; with ``clean_directory``, the first call in a process removes every metric
        file (later calls must not wipe what live worker processes started writing).

        Call it only in the process that starts the workers, before they start."""
        directory = self.metrics_directory
        os.makedirs(directory, exist_ok=True)
        wipe = self.clean_directory and directory not in _cleaned_directories
        _cleaned_directories.add(directory)
        for path in glob.glob(os.path.join(directory, "*.db")):
            match = _DB_FILE.search(os.path.basename(path))
            if wipe or (match and not _process_exists(int(match.group(1)))):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(path)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True
