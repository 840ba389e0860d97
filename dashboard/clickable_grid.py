"""The compare grid as a table whose cells can be clicked (`recdemo.compare_grid.html`).

Neither of Streamlit's tables fits: `st.table` cannot be clicked, and `st.dataframe`'s cell
selection draws on a canvas that cuts long titles. A small `st.components.v2` component draws
the same HTML table with the theme's colours and reports the clicked cell's movie id.
"""

from __future__ import annotations

import streamlit as st

_CSS = """
table.grid {width: 100%; border-collapse: collapse; table-layout: fixed;
  font-family: var(--st-font); font-size: 0.9rem; line-height: 1.3;
  color: var(--st-text-color);}
th {text-align: left; font-weight: 600; padding: 0.35rem 0.5rem;
  border-bottom: 1px solid rgba(128, 128, 128, 0.45);}
td {padding: 0.3rem 0.5rem; border-bottom: 1px solid rgba(128, 128, 128, 0.2);
  overflow-wrap: anywhere;}
th:first-child, td.rank {width: 2.6rem; text-align: right; opacity: 0.75;}
td.movie {cursor: pointer;}
td.movie:hover {background-image: linear-gradient(rgba(128, 128, 128, 0.18),
  rgba(128, 128, 128, 0.18));}
td.movie:focus-visible, td.selected {outline: none;
  box-shadow: inset 0 0 0 2px var(--st-primary-color);}
td.every {background: rgba(34, 160, 90, 0.30);}
td.some {background: rgba(240, 170, 40, 0.30);}
td.held-out {background: rgba(60, 130, 240, 0.45); font-weight: 700;}
"""

# The HTML comes from `compare_grid.html`, which escapes every title.
_JS = """
export default function ({ parentElement, data, setTriggerValue }) {
  let root = parentElement.querySelector("div.grid-root");
  if (!root) {
    root = document.createElement("div");
    root.className = "grid-root";
    parentElement.appendChild(root);
  }
  root.innerHTML = data.html;
  const pick = (event) => {
    const cell = event.target.closest("td[data-movie]");
    if (cell) {
      event.preventDefault();
      setTriggerValue("clicked", Number(cell.dataset.movie));
    }
  };
  root.onclick = pick;
  root.onkeydown = (event) => {
    if (event.key === "Enter" || event.key === " ") pick(event);
  };
}
"""

_GRID = st.components.v2.component("recdemo.compare_grid", css=_CSS, js=_JS)


def clickable_grid(table_html: str, key: str, clicked_key: str) -> None:
    """Draw `table_html`; a click (or Enter) on a cell puts its movie id in
    `st.session_state[clicked_key]` before the rerun it causes. The id comes from the
    browser: the caller must check it before use."""

    def remember_click() -> None:
        st.session_state[clicked_key] = st.session_state[key].get("clicked")

    _GRID(key=key, data={"html": table_html}, on_clicked_change=remember_click)
