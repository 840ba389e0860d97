"""Your own interaction logs as a recdemo dataset (`--dataset custom:PATH`).

Layout (CSV with a header row, or Parquet), in a folder `PATH` or as the file `PATH` itself:

- `interactions.csv` / `interactions.parquet`, one row per interaction:
  - `user`, `item`: any non-empty strings (numbers are read as text);
  - `timestamp`: an integer (seconds, or any increasing counter) or an ISO 8601 date-time;
  - `rating` (optional): an integer 1-5; without the column every interaction counts as 5.
- `items.csv` / `items.parquet` (optional), one row per item:
  - `item` (required), `title` and `genres` (optional; genres separated by `|`).
  An item without a title is shown by its id; rows for items nobody interacted with are
  ignored.

Ids are mapped to contiguous integers inside (users and items in sorted order from 1; item 0
stays padding), and the `Dataset` keeps both directions, so the CLI, the batch format and the
dashboard accept and show the original ids. Every error names the file and its line (CSV: the
line in the file, header = line 1) or row (Parquet).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from recdemo import RecdemoError
from recdemo.dataset import Dataset, name_slug, year_of

PREFIX = "custom:"
NAME_PREFIX = "custom-"
INTERACTIONS = ("interactions.csv", "interactions.parquet")
ITEMS = ("items.csv", "items.parquet")
# Where the dashboard finds custom datasets: folders (or files) separated by os.pathsep. Only
# these are offered; a URL can pick one by name, never name a path.
ENV_VAR = "RECDEMO_CUSTOM_DATA"
_INTEGER = re.compile(r"-?[0-9]{1,18}")


def files_of(path: str | os.PathLike) -> tuple[Path, Path | None]:
    """`(interactions file, items file or None)` of a custom dataset folder or file.

    Raises:
        RecdemoError: no interactions file there.
    """
    path = Path(path).expanduser()
    if path.is_file():
        return path, None
    found = [path / name for name in INTERACTIONS if (path / name).is_file()]
    if not found:
        raise RecdemoError(f"No {' or '.join(INTERACTIONS)} in {path} (see docs/data.md "
                           f"for the layout).")
    items = [path / name for name in ITEMS if (path / name).is_file()]
    return found[0], items[0] if items else None


def dataset_name(path: str | os.PathLike) -> str:
    """The name a custom dataset's artifacts are filed under: `custom-<folder name>`."""
    path = Path(path).expanduser().resolve()
    if path.is_file():
        stem = path.parent.name if path.name in INTERACTIONS else path.stem
    else:
        stem = path.name
    return NAME_PREFIX + name_slug(stem)


def _read_table(path: Path) -> tuple[pd.DataFrame, str]:
    """The file as strings, and how to name a row in errors (`line` for CSV, `row` Parquet)."""
    try:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
            return frame.astype(str).where(frame.notna(), ""), "row"
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False,
                            skip_blank_lines=True, encoding="utf-8")
        return frame, "line"
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise RecdemoError(f"Cannot read {path}: {str(exc).splitlines()[0][:160]}") from None
    except Exception as exc:  # noqa: BLE001 - pyarrow raises its own types for a bad file
        raise RecdemoError(f"Cannot read {path}: {exc.__class__.__name__}.") from None


def _where(path: Path, unit: str, row: int) -> str:
    """`file, line N` (CSV rows start at line 2, after the header) or `file, row N`."""
    return f"{path}, {unit} {row + 2 if unit == 'line' else row + 1}"


def _require(frame: pd.DataFrame, path: Path, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        # repr: a header cell may hold a quoted line break, and the error stays one line.
        found = ", ".join(repr(str(c)) for c in frame.columns)[:120]
        raise RecdemoError(f"{path}: missing column(s) {', '.join(missing)} (found: {found}).")


def _ids(frame: pd.DataFrame, column: str, path: Path, unit: str) -> pd.Series:
    values = frame[column].str.strip()
    empty = np.flatnonzero((values == "").to_numpy())
    if len(empty):
        raise RecdemoError(f"{_where(path, unit, int(empty[0]))}: empty {column} id.")
    return values


def _timestamps(values: pd.Series, path: Path, unit: str) -> np.ndarray:
    """Integer timestamps, or ISO 8601 date-times as Unix seconds."""
    values = values.str.strip()
    integer = values.str.fullmatch(_INTEGER.pattern).to_numpy()
    if integer.all():
        return values.to_numpy().astype(np.int64)
    dates = pd.to_datetime(values.where(~integer), format="ISO8601", utc=True, errors="coerce")
    bad = np.flatnonzero(~integer & dates.isna().to_numpy())
    if len(bad):
        raise RecdemoError(f"{_where(path, unit, int(bad[0]))}: timestamp "
                           f"{values.iloc[bad[0]][:40]!r} is neither an integer nor an ISO "
                           f"8601 date-time.")
    seconds = (dates - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
    return np.where(integer, pd.to_numeric(values.where(integer, "0")),
                    seconds.fillna(0).to_numpy()).astype(np.int64)


def _ratings(frame: pd.DataFrame, path: Path, unit: str) -> np.ndarray:
    if "rating" not in frame.columns:
        return np.full(len(frame), 5, dtype=np.int64)
    values = frame["rating"].str.strip()
    ok = values.isin(["1", "2", "3", "4", "5"]).to_numpy()
    if not ok.all():
        bad = int(np.flatnonzero(~ok)[0])
        raise RecdemoError(f"{_where(path, unit, bad)}: rating {values.iloc[bad][:20]!r} "
                           f"should be an integer 1-5.")
    return values.to_numpy().astype(np.int64)


def read(path: str | os.PathLike, name: str | None = None) -> Dataset:
    """Parse a custom dataset (see the module docstring for the layout).

    Returns:
        A `Dataset` whose ids are contiguous integers and whose `user_keys` /
        `item_keys` give back the original ids.

    Raises:
        RecdemoError: a missing file or column, or a bad value (named with its line or row).
    """
    interactions_file, items_file = files_of(path)
    frame, unit = _read_table(interactions_file)
    _require(frame, interactions_file, ("user", "item", "timestamp"))
    if frame.empty:
        raise RecdemoError(f"{interactions_file} holds no interactions.")
    users = _ids(frame, "user", interactions_file, unit)
    items = _ids(frame, "item", interactions_file, unit)
    stamps = _timestamps(frame["timestamp"], interactions_file, unit)
    stars = _ratings(frame, interactions_file, unit)
    # Sorted codes by hashing (`np.unique` on 2M strings sorts Python objects: 5x slower).
    user_ids, user_keys = pd.factorize(users, sort=True)
    item_ids, item_keys = pd.factorize(items, sort=True)
    user_keys, item_keys = np.asarray(user_keys, object), np.asarray(item_keys, object)
    if np.bincount(user_ids).max() < 3:
        raise RecdemoError(f"{interactions_file}: no user has 3 interactions, so there is "
                           f"nothing to validate or test on.")
    ratings = pd.DataFrame({"user_id": user_ids + 1, "movie_id": item_ids + 1,
                            "rating": stars, "timestamp": stamps}).astype(np.int64)
    movies = pd.DataFrame({"title": item_keys.astype(object), "year": np.nan,
                           "genres": [()] * len(item_keys)},
                          index=pd.Index(np.arange(1, len(item_keys) + 1), name="movie_id"))
    if items_file is not None:
        _merge_items(movies, item_keys, items_file)
    movies["year"] = [year_of(title) for title in movies["title"]]
    files = tuple(f.name for f in (interactions_file, items_file) if f is not None)
    return Dataset(name=name or dataset_name(path), ratings=ratings, movies=movies,
                   directory=interactions_file.parent, files=files,
                   user_keys=np.concatenate([[""], user_keys]).astype(object),
                   item_keys=np.concatenate([[""], item_keys]).astype(object))


def _merge_items(movies: pd.DataFrame, item_keys: np.ndarray, path: Path) -> None:
    """Titles and genres from the items file into `movies` (in place)."""
    frame, unit = _read_table(path)
    _require(frame, path, ("item",))
    keys = _ids(frame, "item", path, unit)
    duplicated = np.flatnonzero(keys.duplicated().to_numpy())
    if len(duplicated):
        raise RecdemoError(f"{_where(path, unit, int(duplicated[0]))}: item "
                           f"{keys.iloc[duplicated[0]][:40]!r} appears twice.")
    position = np.searchsorted(item_keys, keys.to_numpy())
    known = (position < len(item_keys)) & (item_keys[np.minimum(position, len(item_keys) - 1)]
                                           == keys.to_numpy())
    ids = position[known] + 1
    if "title" in frame.columns:
        titles = frame["title"].str.strip().to_numpy()[known]
        has_title = titles != ""
        movies.loc[ids[has_title], "title"] = titles[has_title]
    if "genres" in frame.columns:
        genres = [tuple(g.strip() for g in text.split("|") if g.strip())
                  for text in frame["genres"].to_numpy()[known]]
        movies.loc[ids, "genres"] = pd.Series(genres, index=ids, dtype=object)
