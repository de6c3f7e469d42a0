"""The project's Markdown pages and the code blocks in them, for the tests that keep them true."""

from __future__ import annotations

import re
from pathlib import Path

from tests.paths import REPO


def pages() -> list[Path]:
    """Every page a reader is sent to: the README, the contributing guide, the changelog, the
    examples' README and docs/ (generated references included)."""
    names = ("README.md", "CONTRIBUTING.md", "CHANGELOG.md", "examples/README.md")
    top = [REPO / name for name in names]
    return [page for page in top if page.exists()] + sorted((REPO / "docs").rglob("*.md"))


def blocks(page: Path, language: str) -> list[str]:
    """The fenced blocks of ``language`` in ``page``, each as its text."""
    return re.findall(rf"^```{language}\n(.*?)^```", page.read_text(), flags=re.S | re.M)
