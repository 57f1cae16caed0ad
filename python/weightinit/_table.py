"""Text of the experiments' output: Markdown tables that also read as aligned columns on a
terminal, and counts of things."""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Sequence

__all__ = ["counted", "either", "markdown", "respell"]


def markdown(header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool] = ()) -> str:
    """A Markdown table with every column padded to its widest cell. Columns whose ``right``
    entry is true (numbers) are right-aligned, with ``---:`` in the rule line; the rest are
    left-aligned. A ``|`` in a cell is escaped (``\\|``), and each line break is a space."""
    cols = len(header)
    if any(len(r) != cols for r in rows):
        raise ValueError(f"every row needs {cols} cells")

    def cell(text: str) -> str:
        return " ".join(text.splitlines()).replace("|", "\\|")

    header = [cell(h) for h in header]
    rows = [[cell(c) for c in r] for r in rows]
    flags = list(right) + [False] * (cols - len(right))
    widths = [max([3, len(header[c])] + [len(r[c]) for r in rows]) for c in range(cols)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(s.rjust(w) if f else s.ljust(w)
                                 for s, w, f in zip(cells, widths, flags)) + " |"

    rule = "|" + "|".join("-" * (w + 1) + ":" if f else "-" * (w + 2) for w, f in zip(widths, flags)) + "|"
    return "\n".join([line(header), rule] + [line(r) for r in rows])


def respell(text: str, spellings: Dict[str, str]) -> str:
    """``text`` with each key of ``spellings`` replaced by its value, and every table that
    :func:`markdown` wrote in it padded again (``±`` spelled ``+-`` on an ASCII terminal
    widened some rows of a column but not others)."""
    for old, new in spellings.items():
        text = text.replace(old, new)
    lines, out = text.split("\n"), []
    k = 0
    while k < len(lines):
        head = _cells(lines[k])
        rule = lines[k + 1] if k + 1 < len(lines) else ""
        if head is None or not _RULE.fullmatch(rule) or rule.count("|") != len(head) + 1:
            out.append(lines[k])
            k += 1
            continue
        rows: List[List[str]] = []
        end = k + 2
        while end < len(lines):
            row = _cells(lines[end])
            if row is None or len(row) != len(head):
                break
            rows.append(row)
            end += 1
        out.append(markdown(head, rows, [r.endswith(":") for r in rule[1:-1].split("|")]))
        k = end
    return "\n".join(out)


_RULE = re.compile(r"\|(-+:?\|)+")  # a rule line as markdown() writes it


def _cells(line: str) -> Optional[List[str]]:
    """The cells of a row as markdown() writes it ("| a | b |"), unescaped; None for other lines."""
    if not (line.startswith("| ") and line.endswith(" |")):
        return None
    return [c.strip().replace("\\|", "|") for c in line[2:-2].split(" | ")]


def either(items: Sequence[str]) -> str:
    """``a, b or c`` (``a`` alone for one item)."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def counted(n: int, noun: str) -> str:
    """``1 seed``, ``2 seeds``: n and the noun, plural unless n is 1."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
