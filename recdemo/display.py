"""Text helpers: dataset strings in the dashboard's Markdown, the fill of the list's probability
bars, and the Markdown tables the report, benchmark and scale commands print."""

from __future__ import annotations

import math
import re

# Markdown and Streamlit's own syntax (`:color[...]`, `:material/icon:`, `$math$`): a title such
# as "M*A*S*H (1970)" must render as written.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:])")


def markdown_escape(text: str) -> str:
    """`text` with every Markdown-significant character backslash-escaped.

    Example:
    >>> markdown_escape("M*A*S*H (1970)")
    'M\\\\*A\\\\*S\\\\*H \\\\(1970\\\\)'
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def share_percent(fraction: float) -> int:
    """`fraction` as a whole percentage for a bar: clamped to 0-100, and 0 when it is not a
    finite number.

    Example:
    >>> share_percent(0.426), share_percent(1.7), share_percent(float("nan"))
    (43, 100, 0)
    """
    return round(min(max(fraction, 0.0), 1.0) * 100) if math.isfinite(fraction) else 0


def markdown_table(header: list[str], rows: list[list]) -> str:
    """A Markdown table: the header, its rule, then one line per row (cells `str()`-ed).

    Example:
    >>> print(markdown_table(["model", "s"], [["sasrec", 1.5]]))
    | model | s |
    |---|---|
    | sasrec | 1.5 |
    """
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in rows]
    return "\n".join(lines)
