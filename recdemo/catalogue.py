"""Movie look-ups by title for the command line (`--title`)."""

from __future__ import annotations

import difflib

import pandas as pd

from recdemo import RecdemoError


def resolve_title(movies: pd.DataFrame, title: str) -> int:
    """The movie id of a title (case and surrounding spaces ignored).

    Args:
        movies: the dataset's movie frame (indexed by movie id, with a `title` column).
        title: e.g. `"Toy Story (1995)"`; a title without its year works when unambiguous.

    Raises:
        RecdemoError: no such title (with close matches suggested) or an ambiguous one.
    """
    # Command-line bytes that are not UTF-8 arrive as lone surrogates, which pandas' Arrow
    # strings refuse to encode: they become U+FFFD and simply match no title.
    try:
        raw = title.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # surrogates that no undecodable byte produced
        raw = title.encode("utf-8", "surrogatepass")
    title = raw.decode("utf-8", "replace")
    wanted = " ".join(title.split()).casefold()
    if not wanted:
        raise RecdemoError("Empty title.")
    titles = movies["title"].str.casefold()
    exact = movies.index[titles == wanted]
    if len(exact) == 0:
        exact = movies.index[titles.str.replace(r"\s*\(\d{4}\)\s*$", "", regex=True) == wanted]
    if len(exact) == 1:
        return int(exact[0])
    if len(exact) > 1:
        options = "; ".join(movies.loc[exact, "title"].head(5))
        raise RecdemoError(f"Title {title!r} is ambiguous: {options}. Add the year.")
    close = difflib.get_close_matches(title, movies["title"].tolist(), n=3, cutoff=0.6)
    hint = f" Did you mean: {'; '.join(close)}?" if close else ""
    raise RecdemoError(f"Unknown title {title!r}.{hint}")

