"""Plain-text tables for the demo and the benchmark (no dependency needed for this)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def format_table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], *, left: int | None = None
) -> str:
    """Text columns with a rule under the header: columns of numbers right-aligned, the others
    left-aligned; or, with ``left`` (for numbers already written as text), the first ``left``
    columns left-aligned and the others right-aligned."""
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    if left is None:
        right = [
            bool(rows) and all(isinstance(row[i], int | float) for row in rows)
            for i in range(len(headers))
        ]
    else:
        right = [i >= left for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        parts = [
            value.rjust(width) if is_right else value.ljust(width)
            for value, width, is_right in zip(row, widths, right, strict=True)
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)
