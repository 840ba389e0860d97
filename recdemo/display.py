"""Text helpers for showing dataset strings in the dashboard's Markdown safely."""

from __future__ import annotations

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
