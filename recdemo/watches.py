"""A user's history as the dashboard lists it: each watch with its rating and date, most
recent first, and that list as the HTML table the page draws."""

from __future__ import annotations

import html

import pandas as pd

from recdemo.dataset import Dataset


def watches(dataset: Dataset, user: int, length: int) -> pd.DataFrame:
    """The first `length` movies a user watched (their history), most recent first, with
    rating and date.

    The split orders a user's rows by a stable sort on time and holds out the last, so the
    history lines up with those rows by position, repeated movies included.
    """
    rows = dataset.ratings[dataset.ratings["user_id"] == user].sort_values(
        "timestamp", kind="stable").iloc[:length].iloc[::-1]
    return pd.DataFrame({
        "movie": dataset.movies.loc[rows["movie_id"], "title"].to_numpy(),
        "rating": rows["rating"].to_numpy(dtype=int),
        "watched": pd.to_datetime(rows["timestamp"], unit="s").dt.date.to_numpy()})


def history_html(table: pd.DataFrame) -> str:
    """`watches` as an HTML table (titles escaped; stars and month-year dates).

    The history is the first thing a visitor reads, so it is plain HTML rather than one of
    Streamlit's tables: `st.dataframe` shows a grey placeholder until the browser has fetched
    its grid's code, and `st.table` (tried in the same scrolling container) drew the rows only
    seconds later, with the first top-10. The page's stylesheet (`dashboard.stylesheet`)
    styles the `history` class.
    """
    rows = "".join(
        f"<tr><td>{html.escape(str(movie))}</td><td class='number'>{int(rating)} ★</td>"
        f"<td class='number'>{watched:%b %Y}</td></tr>"
        for movie, rating, watched in zip(table["movie"], table["rating"], table["watched"]))
    return ("<table class='history'><thead><tr><th>movie</th><th class='number'>rating</th>"
            f"<th class='number'>watched</th></tr></thead><tbody>{rows}</tbody></table>")
