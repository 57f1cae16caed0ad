"""Text of the experiments' output: Markdown tables that also read as aligned columns on a
terminal, and counts of things."""

from __future__ import annotations

from typing import Sequence

__all__ = ["counted", "markdown"]


def markdown(header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool] = ()) -> str:
    """A Markdown table with every column padded to its widest cell. Columns whose ``right``
    entry is true (numbers) are right-aligned, with ``---:`` in the rule line; the rest are
    left-aligned."""
    cols = len(header)
    if any(len(r) != cols for r in rows):
        raise ValueError(f"every row needs {cols} cells")
    flags = list(right) + [False] * (cols - len(right))
    widths = [max([3, len(header[c])] + [len(r[c]) for r in rows]) for c in range(cols)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(s.rjust(w) if f else s.ljust(w)
                                 for s, w, f in zip(cells, widths, flags)) + " |"

    rule = "|" + "|".join("-" * (w + 1) + ":" if f else "-" * (w + 2) for w, f in zip(widths, flags)) + "|"
    return "\n".join([line(header), rule] + [line(r) for r in rows])


def counted(n: int, noun: str) -> str:
    """``1 seed``, ``2 seeds``: n and the noun, plural unless n is 1."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
