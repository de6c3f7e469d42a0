"""The one reading of yes/no text in the SDK (internal): environment variables and
``worker.ini`` values alike."""

from __future__ import annotations

TRUE = frozenset({"true", "yes", "on", "1"})
FALSE = frozenset({"false", "no", "off", "0"})
NOT_YES_NO = "is not a yes/no value (true/false, yes/no, on/off, 1/0)"


def parse_yes_no(text: str) -> bool:
    """``True`` for true/yes/on/1, ``False`` for false/no/off/0 (any case, spaces around
    ignored); ``ValueError`` saying what is allowed for anything else."""
    word = text.strip().lower()
    if word in TRUE:
        return True
    if word in FALSE:
        return False
    raise ValueError(NOT_YES_NO)
