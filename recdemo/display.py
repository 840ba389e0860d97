"""Text helpers: dataset strings in the dashboard's Markdown, the list's probability bars, and
the Markdown tables the report, benchmark and scale commands print."""

from __future__ import annotations

import html
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


def share_bar_html(fraction: float, label: str | None = None) -> str:
    """A bar filled to `fraction` (clamped to 0-1; not a finite number: empty), under `label`,
    as HTML for `st.markdown(..., unsafe_allow_html=True)`; the page's style block colours the
    `share-*` classes."""
    filled = min(max(fraction, 0.0), 1.0) if math.isfinite(fraction) else 0.0
    text = f"<div class='share-label'>{html.escape(label)}</div>" if label else ""
    return (f"{text}<div class='share-bar' role='meter' aria-valuemin='0' aria-valuemax='100' "
            f"aria-valuenow='{filled * 100:.0f}'><div class='share-fill' "
            f"style='width: {filled * 100:.1f}%'></div></div>")


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
