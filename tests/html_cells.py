"""Reading an HTML table's cells as a browser shows them (for the history table's and the
compare grid's tests)."""

from __future__ import annotations

from html.parser import HTMLParser


class TableCells(HTMLParser):
    """The text of every table cell, row by row (entities decoded, as a browser shows them),
    and each cell's attributes in `attributes`, in the same rows."""

    def __init__(self):
        super().__init__()
        self.rows, self.attributes, self._cell = [], [], None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
            self.attributes.append([])
        elif tag in ("td", "th"):
            self._cell = ""
            self.attributes[-1].append(dict(attrs))

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.rows[-1].append(self._cell)
            self._cell = None
