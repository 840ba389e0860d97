"""The compare grid: every model's top-K side by side, each cell shaded by how many models'
lists hold its movie, and the held-out movie marked once revealed. One table and one set of
shades feed the page's clickable grid (`html`) and the slide (`slides.table_chart`)."""

from __future__ import annotations

import html as html_text

import pandas as pd

from recdemo import insights

HELD_OUT = -1
# Shade -> CSS class of a cell (`insights.agreement_level`: 3 every list, 2 more than one).
CELL_CLASSES = {HELD_OUT: "held-out", 2: "some", 3: "every"}


def frame(columns: dict[str, list[int]], titles: pd.Series) -> pd.DataFrame:
    """The grid as a table: a `rank` column, then one column of titles per list (`columns`:
    name -> movie ids, best first; a shorter list leaves empty cells). Titles lose their
    release year, so that four title columns fit a projector-width grid."""
    short = titles.str.replace(r"\s*\(\d{4}\)\s*$", "", regex=True)
    table = pd.DataFrame({name: pd.Series([short[m] for m in ids], dtype="object")
                          for name, ids in columns.items()})
    table.insert(0, "rank", range(1, len(table) + 1))
    return table


def shades(columns: dict[str, list[int]], models: list[str],
           held_out: int | None) -> pd.DataFrame:
    """Each cell's shade, same shape as `columns`: `HELD_OUT` for the held-out movie (pass
    None until it is revealed), else the movie's agreement level over the `models` columns
    (3 in every one, 2 in more than one, 0 otherwise). A column not in `models` (the
    most-popular baseline) is shaded only for the held-out movie."""
    votes = insights.agreement({name: columns[name] for name in models})
    length = max(len(ids) for ids in columns.values())
    return pd.DataFrame({name: [
        HELD_OUT if movie == held_out
        else insights.agreement_level(votes[movie], len(models)) if name in models else 0
        for movie in ids] + [0] * (length - len(ids)) for name, ids in columns.items()})


def html(table: pd.DataFrame, columns: dict[str, list[int]], cell_shades: pd.DataFrame,
         selected: int | None = None) -> str:
    """`table` (from `frame`) as an HTML table whose title cells carry their movie id
    (`data-movie`), a shade class (`CELL_CLASSES`) and, for the `selected` movie, the class
    `selected`; titles and headers are escaped."""
    head = "".join(f"<th>{html_text.escape(str(name))}</th>" for name in table.columns)
    rows = []
    for row in range(len(table)):
        cells = [f"<td class='rank'>{int(table['rank'].iloc[row])}</td>"]
        for name, ids in columns.items():
            if row >= len(ids):
                cells.append("<td></td>")
                continue
            movie = int(ids[row])
            classes = " ".join(filter(None, (
                "movie", CELL_CLASSES.get(int(cell_shades[name].iloc[row])),
                "selected" if movie == selected else None)))
            cells.append(f"<td class='{classes}' data-movie='{movie}' tabindex='0'>"
                         f"{html_text.escape(str(table[name].iloc[row]))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f"<table class='grid'><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")
