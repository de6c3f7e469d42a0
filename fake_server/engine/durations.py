"""WAIT's ``duration`` and ``until`` inputs, read as Conductor reads them.

A duration is days, hours, minutes and seconds in that order, each optional (``"1h"``,
``"2 days 3 hours"``, ``"90 secs"``, ``"5m 30s"``). ``until`` is ``yyyy-MM-dd HH:mm``,
``yyyy-MM-dd HH:mm z`` (a zone such as ``UTC``, ``GMT``, ``+0200``) or ``yyyy-MM-dd``; a time
without a zone is read as UTC (the real server reads it in its own time zone).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

_DURATION = re.compile(
    r"\s*(?:(\d+)\s*(?:days?|d))?"
    r"\s*(?:(\d+)\s*(?:hours?|hrs?|h))?"
    r"\s*(?:(\d+)\s*(?:minutes?|mins?|m))?"
    r"\s*(?:(\d+)\s*(?:seconds?|secs?|s))?\s*",
    re.IGNORECASE,
)


def parse_duration_seconds(text: str) -> int:
    """Seconds in ``text``; ValueError when it is not a duration."""
    match = _DURATION.fullmatch(text)
    if match is None:
        raise ValueError(f"Not valid duration: {text}")
    days, hours, minutes, seconds = (int(group or 0) for group in match.groups())
    return days * 86400 + (hours * 60 + minutes) * 60 + seconds


def parse_until_ms(text: str) -> int:
    """Epoch milliseconds of ``text``; ValueError when no accepted format fits."""
    text = text.strip()
    zone_match = re.fullmatch(r"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}) (\S+)", text)
    if zone_match:
        moment = datetime.strptime(zone_match.group(1), "%Y-%m-%d %H:%M")
        return _epoch_ms(moment, _zone(zone_match.group(2), text))
    for pattern in ("%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return _epoch_ms(datetime.strptime(text, pattern), timezone.utc)
        except ValueError:
            continue
    raise ValueError(f"Unable to parse the date: {text}")


def _zone(name: str, text: str) -> timezone:
    if name.upper() in ("UTC", "GMT", "Z"):
        return timezone.utc
    try:
        return datetime.strptime(name, "%z").tzinfo  # type: ignore[return-value]
    except ValueError:
        raise ValueError(f"Unable to parse the date: {text} (zone {name})") from None


def _epoch_ms(moment: datetime, zone: timezone) -> int:
    return int(moment.replace(tzinfo=zone).timestamp() * 1000)
