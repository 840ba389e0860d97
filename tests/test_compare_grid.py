"""The compare grid's table, shades and clickable HTML, against hand-made grids."""

from __future__ import annotations

import pandas as pd
from html_cells import TableCells

from recdemo import compare_grid

TITLES = pd.Series({1: "Toy Story (1995)", 2: "Seven (Se7en) (1995)", 3: "1984 (1984)",
                    4: "Film (1999) Remake", 5: "<b>Bold</b> & Co (2000)", 6: "Heat (1995)"})


def test_the_grid_has_a_rank_column_and_year_free_titles_per_list():
    frame = compare_grid.frame({"A": [1, 2, 3], "Most popular": [4, 1]}, TITLES)
    assert frame.columns.tolist() == ["rank", "A", "Most popular"]
    assert frame["rank"].tolist() == [1, 2, 3]
    assert frame["A"].tolist() == ["Toy Story", "Seven (Se7en)", "1984"]
    assert frame["Most popular"].tolist()[:2] == ["Film (1999) Remake", "Toy Story"]
    assert pd.isna(frame["Most popular"][2])


def test_shades_count_models_only_and_mark_the_held_out_movie_only_when_given():
    columns = {"A": [1, 2, 3], "B": [2, 1, 4], "C": [2, 5, 6], "Most popular": [2, 1, 6]}
    hidden = compare_grid.shades(columns, ["A", "B", "C"], held_out=None)
    # 2 is in every model's list, 1 in two of them, 6 only in C (the baseline does not vote).
    assert hidden["A"].tolist() == [2, 3, 0]
    assert hidden["B"].tolist() == [3, 2, 0]
    assert hidden["C"].tolist() == [3, 0, 0]
    assert hidden["Most popular"].tolist() == [0, 0, 0]
    revealed = compare_grid.shades(columns, ["A", "B", "C"], held_out=6)
    assert revealed["C"].tolist() == [3, 0, compare_grid.HELD_OUT]
    assert revealed["Most popular"].tolist() == [0, 0, compare_grid.HELD_OUT]
    assert (revealed[["A", "B"]] == hidden[["A", "B"]]).all().all()


def _cells(markup: str) -> list[dict]:
    """Each body cell's attributes and its text (`text`), row by row."""
    table = TableCells()
    table.feed(markup)
    body = zip(table.rows[1:], table.attributes[1:])
    return [dict(attributes, text=text) for texts, row in body
            for attributes, text in zip(row, texts)]


def test_each_title_cell_carries_its_movie_its_shade_and_the_selection():
    columns = {"A": [5, 1], "B": [1], "Most popular": [6, 5]}
    table = compare_grid.frame(columns, TITLES)
    shades = compare_grid.shades(columns, ["A", "B"], held_out=6)
    cells = _cells(compare_grid.html(table, columns, shades, selected=5))
    by_row = [cells[:4], cells[4:]]
    assert [c["text"] for c in by_row[0]] == ["1", "<b>Bold</b> & Co", "Toy Story", "Heat"]
    assert [c.get("data-movie") for c in by_row[0]] == [None, "5", "1", "6"]
    assert by_row[0][1]["class"].split() == ["movie", "selected"]
    assert by_row[0][2]["class"].split() == ["movie", "every"]
    assert by_row[1][1]["class"].split() == ["movie", "every"]
    assert by_row[0][3]["class"].split() == ["movie", "held-out"]
    # B's list is one shorter: an empty cell a click cannot pick.
    assert by_row[1][2] == {"text": ""}
    assert by_row[1][3]["class"].split() == ["movie", "selected"]


def test_titles_cannot_inject_markup():
    columns = {"A": [5]}
    table = compare_grid.frame(columns, TITLES)
    markup = compare_grid.html(table, columns, compare_grid.shades(columns, ["A"], None))
    assert "<b>" not in markup and "&lt;b&gt;Bold&lt;/b&gt; &amp; Co" in markup
