"""Where the repository is, for tests that read its files (docs, examples, tools) wherever
their own folder sits in the tree."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
