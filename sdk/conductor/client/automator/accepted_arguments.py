"""conductor-python 2.0.0 arguments that are accepted and kept, but not acted upon yet.

Code written for 2.0.0 passes them; refusing them would break it, and ignoring them silently
would hide that something it asks for does not happen. So each one that asks for something is
logged as a warning naming the argument, by the object it was given to. The values are kept
on the objects under their 2.0.0 names (``TaskHandler.event_listeners``,
``TaskRunner.metrics_settings``, ...).
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)

# What each argument would do, for the warning.
NOT_ACTED_UPON = {
    "metrics_settings": "no metrics are collected",
    "event_listeners": "no events are sent to listeners",
    "monitor_processes": "worker processes are not monitored",
    "restart_on_failure": "worker processes that die are not restarted",
    "monitor_interval_seconds": "worker processes are not monitored",
    "restart_backoff_seconds": "worker processes that die are not restarted",
    "restart_backoff_max_seconds": "worker processes that die are not restarted",
    "restart_max_attempts": "worker processes that die are not restarted",
    "lease_extend_enabled": "task leases are not extended: a task that runs longer than its "
    "responseTimeoutSeconds is timed out by the server",
}


def warn_runtime_arguments(owner: str, **arguments: Any) -> None:
    """Warns about each argument that asks for something not built yet.

    An argument asks for something when it is given and not ``None``, ``False`` or empty.
    """
    for name, value in arguments.items():
        if value is None or value is False or value == []:
            continue
        warn_not_acted_upon(owner, name, value)


def warn_not_acted_upon(owner: str, argument: str, value: Any) -> None:
    logger.warning(
        "%s(%s=%r) is accepted but not acted upon yet: %s",
        owner,
        argument,
        value,
        NOT_ACTED_UPON[argument],
    )
