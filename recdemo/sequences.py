"""The public sequential benchmarks' format as a dataset (`--dataset sequences:FILE`).

The SASRec, BERT4Rec and pmixer/SASRec.pytorch repositories ship their datasets (Amazon
Beauty, Video Games, Steam, ml-1m, ...) as one text file: one `user item` pair per line, both
non-negative integers separated by spaces or a tab, each user's lines in time order. There are
no timestamps, ratings or titles: a line's position is its time, every interaction counts as a
5-star rating, and an item is shown as `item <id>`.

Ids are mapped to contiguous integers in numeric order (a file whose ids already run 1..N keeps
them), and the `Dataset` keeps the original ids, which the CLI and the dashboard accept and show.
Every error names the file and its line.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from recdemo import RecdemoError
from recdemo.dataset import Dataset, name_slug

PREFIX = "sequences:"
NAME_PREFIX = "sequences-"
# Where the dashboard finds sequence files (separated by os.pathsep); a URL picks one by name.
ENV_VAR = "RECDEMO_SEQUENCE_DATA"
_ID = r"[0-9]{1,18}"
_WELL_FORMED = re.compile(rf"(?:[ \t]*(?:{_ID}[ \t]+{_ID}[ \t]*)?\r?(?:\n|\Z))*")
_LINE = re.compile(rf"[ \t]*({_ID})[ \t]+({_ID})[ \t]*")


def dataset_name(path: str | os.PathLike) -> str:
    """The name a sequence file's artifacts are filed under: `sequences-<file stem>`."""
    return NAME_PREFIX + name_slug(Path(path).expanduser().stem)


def _pairs(path: Path) -> np.ndarray:
    """`(n, 2)` int64 `(user, item)` in file order.

    Raises:
        RecdemoError: unreadable, not UTF-8, empty, or a line that is not two integer ids.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RecdemoError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise RecdemoError(f"{path}, line {line}: not UTF-8 text.") from None
    if _WELL_FORMED.fullmatch(text):
        pairs = np.array(text.split(), dtype=np.int64).reshape(-1, 2)
        if len(pairs):
            return pairs
        raise RecdemoError(f"{path} holds no interactions (expected one `user item` per line).")
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if line.strip() and not _LINE.fullmatch(line):
            fields = line.split()
            what = (f"{len(fields)} field(s)" if len(fields) != 2
                    else "an id that is not a non-negative integer")
            raise RecdemoError(f"{path}, line {number}: expected `user item` (two integer ids), "
                               f"got {what}: {line[:60]!r}.")
    raise RecdemoError(f"{path}: malformed.")  # unreachable: the line loop names the bad line


def read(path: str | os.PathLike, name: str | None = None) -> Dataset:
    """Parse a `user item` sequence file (see the module docstring).

    Raises:
        RecdemoError: a missing, unreadable or malformed file (named with its line).
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise RecdemoError(f"No sequence file at {path} (expected one `user item` per line).")
    pairs = _pairs(path)
    user_ids, user_keys = pd.factorize(pairs[:, 0], sort=True)
    item_ids, item_keys = pd.factorize(pairs[:, 1], sort=True)
    if np.bincount(user_ids).max() < 3:
        raise RecdemoError(f"{path}: no user has 3 interactions, so there is nothing to "
                           f"validate or test on.")
    ratings = pd.DataFrame({"user_id": user_ids + 1, "movie_id": item_ids + 1,
                            "rating": 5, "timestamp": np.arange(len(pairs))}).astype(np.int64)
    item_text = np.asarray(item_keys).astype(str).astype(object)
    movies = pd.DataFrame({"title": [f"item {key}" for key in item_text], "year": np.nan,
                           "genres": [()] * len(item_text)},
                          index=pd.Index(np.arange(1, len(item_text) + 1), name="movie_id"))
    user_text = np.asarray(user_keys).astype(str).astype(object)
    return Dataset(name=name or dataset_name(path), ratings=ratings, movies=movies,
                   directory=path.parent, files=(path.name,),
                   user_keys=np.concatenate([[""], user_text]).astype(object),
                   item_keys=np.concatenate([[""], item_text]).astype(object))
