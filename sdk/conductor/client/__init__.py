"""The worker SDK (distribution ``conductor-workers``).

At import it warns, once, when conductor-python's files share this ``conductor/client`` folder:
both distributions install under the same import paths, so installing one over the other
overwrites files of the other, and uninstalling either deletes files the other needs.
"""

from __future__ import annotations

import os
import warnings

OFFICIAL_DISTRIBUTION = "conductor-python"
THIS_DISTRIBUTION = "conductor-workers"


class SharedFolderWarning(UserWarning):
    """This SDK and conductor-python were installed into the same ``conductor/client`` folder."""


def _official_version_owning(folder: str) -> str | None:
    """The version of the conductor-python installed beside ``folder``'s package whose record
    lists this folder's ``__init__.py``, else None. Reads one directory listing and at most one
    RECORD file (importlib.metadata would cost tens of milliseconds at every import)."""
    site = os.path.dirname(os.path.dirname(folder))
    prefix = OFFICIAL_DISTRIBUTION.replace("-", "_") + "-"
    try:
        names = [n for n in os.listdir(site) if n.startswith(prefix) and n.endswith(".dist-info")]
    except OSError:
        return None
    for name in names:
        try:
            with open(os.path.join(site, name, "RECORD"), encoding="utf-8") as record:
                if any(line.startswith("conductor/client/__init__.py,") for line in record):
                    return name[len(prefix) : -len(".dist-info")]
        except OSError:
            continue
    return None


def _warn_if_conductor_python_shares_this_folder() -> None:
    folder = os.path.dirname(os.path.realpath(__file__))
    version = _official_version_owning(folder)
    if version is None:
        return
    warnings.warn(
        f"{folder} holds files of two distributions: {THIS_DISTRIBUTION} (this worker SDK) and "
        f"{OFFICIAL_DISTRIBUTION} {version}, which overwrote each other's files (either may now "
        "fail to import, and uninstalling one deletes files of the other). Keep one: "
        f"pip uninstall -y {THIS_DISTRIBUTION} {OFFICIAL_DISTRIBUTION}, then pip install "
        f"{OFFICIAL_DISTRIBUTION} (or pip install ./sdk for this SDK); the testing tools "
        "(pip install . at the repository root) work with either",
        SharedFolderWarning,
        stacklevel=2,
    )


_warn_if_conductor_python_shares_this_folder()
