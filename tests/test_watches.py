"""A user's history as the page lists it: each watch with its rating and date, newest first,
and the HTML table that shows any title literally."""

from __future__ import annotations

import datetime

import pandas as pd
from html_cells import TableCells
from hypothesis import given, settings
from hypothesis.strategies import text

from recdemo.data import load
from recdemo.split import leave_one_out
from recdemo.watches import history_html, watches


@settings(max_examples=60, deadline=None)
@given(title=text(min_size=1, max_size=40))
def test_history_html_shows_any_title_literally(title):
    parser = TableCells()
    parser.feed(history_html(pd.DataFrame({
        "movie": [title], "rating": [4], "watched": [datetime.date(1998, 4, 2)]})))
    assert parser.rows[1] == [title, "4 ★", "Apr 1998"]


def test_history_table_keeps_each_watch_of_a_repeated_movie(tmp_path):
    # Custom logs may hold the same item twice: each watch keeps its own rating and date.
    day = 86_400
    log = [("a", "x", 1), ("a", "y", 2), ("a", "x", 3), ("a", "z", 4),
               ("b", "x", 1), ("b", "y", 2), ("b", "z", 3)]
    (tmp_path / "interactions.csv").write_text("user,item,timestamp,rating\n" + "".join(
        f"{user},{item},{days * day},{days}\n" for user, item, days in log))
    dataset = load(f"custom:{tmp_path}")
    split = leave_one_out(dataset)
    user = dataset.user_of("a")
    table = watches(dataset, user, len(split.history(user)))
    # z (day 4) is held out; the rest, newest first.
    assert table["movie"].tolist() == ["x", "y", "x"]
    assert table["rating"].tolist() == [3, 2, 1]
    assert [str(d) for d in table["watched"]] == ["1970-01-04", "1970-01-03", "1970-01-02"]
