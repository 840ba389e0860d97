"""A dataset in memory, whatever it was read from, and the helpers every reader shares.

Readers (`recdemo.movielens`, `recdemo.custom`, `recdemo.sequences`) build a `Dataset`;
`recdemo.data.load` picks the reader from a dataset's name.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from recdemo import RecdemoError

_TITLE_YEAR = re.compile(r"\(([0-9]{4})\)\s*$")


@dataclasses.dataclass(frozen=True)
class Dataset:
    """One dataset in memory: interactions, item metadata, and the ids as the data spells them.

    Attributes:
        name: `"ml-100k"`, `"ml-1m"`, `"custom-<folder>"` or `"sequences-<file>"`.
        ratings: one row per rating in file order, columns `user_id`, `movie_id`, `rating`,
            `timestamp` (all int64).
        movies: indexed by `movie_id`, columns `title` (str), `year` (float, NaN if unknown),
            `genres` (tuple of str).
        directory: the folder the files were read from.
        files: the data files' names in `directory` (their sha256 goes into provenance).
        user_keys, item_keys: for custom data, the original id of each internal id (index 0
            unused); None when the ids are the dataset's own numbers (MovieLens).
    """

    name: str
    ratings: pd.DataFrame
    movies: pd.DataFrame
    directory: Path
    files: tuple[str, ...] = ()
    user_keys: np.ndarray | None = None
    item_keys: np.ndarray | None = None

    @property
    def num_items(self) -> int:
        """Size of the item id space: the largest movie id + 1 (id 0 is padding)."""
        return int(self.movies.index.max()) + 1

    @property
    def num_users(self) -> int:
        """Size of the user id space: the largest user id + 1."""
        return int(self.ratings["user_id"].max()) + 1

    @functools.cached_property
    def _checksums(self) -> dict[str, str]:
        return {f: sha256_of(self.directory / f) for f in self.files}

    @functools.cached_property
    def _internal(self) -> tuple[dict, dict]:
        return ({key: i for i, key in enumerate(self.user_keys) if i},
                {key: i for i, key in enumerate(self.item_keys) if i})

    def user_of(self, key) -> int:
        """The internal user id of an id as the data spells it (`"42"`, or a custom string).

        Raises:
            RecdemoError: not an id of this dataset (MovieLens: not an integer; whether the
                user exists is checked where it is used).
        """
        return self._lookup(key, "user", 0)

    def item_of(self, key) -> int:
        """The internal item id of an id as the data spells it."""
        return self._lookup(key, "item", 1)

    def _lookup(self, key, what: str, which: int) -> int:
        if self.user_keys is None:
            text = str(key).strip()
            if isinstance(key, bool) or not isinstance(key, (int, str)) or not re.fullmatch(
                    "[0-9]{1,18}", text):
                raise RecdemoError(f"{what.capitalize()} ids of {self.name} are integers. "
                                   f"Received: {str(key)[:40]!r}.")
            return int(text)
        found = self._internal[which].get(str(key)) if isinstance(key, (int, str)) else None
        if found is None or isinstance(key, bool):
            raise RecdemoError(f"Unknown {what} id {str(key)[:40]!r} in {self.name}.")
        return found

    def user_key(self, user_id: int) -> str:
        """The user's id as the data spells it."""
        return str(user_id) if self.user_keys is None else str(self.user_keys[user_id])

    def item_key(self, movie_id: int) -> str:
        """The item's id as the data spells it."""
        return str(movie_id) if self.item_keys is None else str(self.item_keys[movie_id])

    def file_checksums(self) -> dict[str, str]:
        """sha256 of each data file this dataset was read from (computed once)."""
        return dict(self._checksums)


def name_slug(text: str) -> str:
    """A file or folder name as a dataset name may hold it: letters, digits, `_` and `-`, at
    most 50 characters (`"data"` if nothing is left)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-_")[:50] or "data"


def catalogue_mask(dataset: Dataset, num_items: int) -> np.ndarray:
    """`(num_items,)` bool: True for real movie ids (False for padding id 0 and id gaps)."""
    mask = np.zeros(num_items, dtype=bool)
    mask[dataset.movies.index.to_numpy()] = True
    return mask


def sha256_of(path: Path) -> str:
    """The hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def cache_dir() -> Path:
    """Where downloaded datasets live: `$RECDEMO_CACHE_DIR` or `~/.cache/recdemo`."""
    return Path(os.environ.get("RECDEMO_CACHE_DIR", Path.home() / ".cache" / "recdemo"))


def year_of(title: str, release_date: str = "") -> float:
    """The year in a title's trailing `(YYYY)`, else a release date's, else NaN."""
    match = _TITLE_YEAR.search(title)
    if match:
        return float(match.group(1))
    tail = release_date.strip()[-4:]
    return float(tail) if re.fullmatch("[0-9]{4}", tail) else float("nan")
