"""Any dataset by name: MovieLens (`ml-100k`, `ml-1m`), your own log (`custom:PATH`) or a
benchmark sequence file (`sequences:FILE`), and the names the dashboard offers.

Custom folders and sequence files listed in `$RECDEMO_CUSTOM_DATA` / `$RECDEMO_SEQUENCE_DATA`
(separated by `os.pathsep`) are offered by name (`custom-<folder>`, `sequences-<file>`): a URL
can pick one by name, never name a path.
"""

from __future__ import annotations

import os
from pathlib import Path

from recdemo import RecdemoError, custom, movielens, sequences
from recdemo.dataset import Dataset

# The readers of data a person brings: each has PREFIX, NAME_PREFIX, ENV_VAR, dataset_name, read.
READERS = (custom, sequences)


def reader_of(name: str):
    """The reader module of `custom:`/`sequences:` paths and their registered names, else None."""
    for reader in READERS:
        if name.startswith(reader.PREFIX) or name.startswith(reader.NAME_PREFIX):
            return reader
    return None


def is_own_data(name: str) -> bool:
    """Whether a dataset name is data a person brought (not MovieLens)."""
    return reader_of(name) is not None


def registered() -> dict[str, Path]:
    """`{name: path}` of the datasets listed in the readers' environment variables."""
    found = {}
    for reader in READERS:
        for path in os.environ.get(reader.ENV_VAR, "").split(os.pathsep):
            if path.strip():
                found[reader.dataset_name(path)] = Path(path).expanduser()
    return found


def path_of(name: str) -> Path:
    """The path behind `custom:PATH`, `sequences:FILE` or a registered name.

    Raises:
        RecdemoError: a registered-style name that no environment variable lists.
    """
    reader = reader_of(name)
    if reader is not None and name.startswith(reader.PREFIX):
        return Path(name[len(reader.PREFIX):]).expanduser()
    known = registered()
    if name not in known:
        raise RecdemoError(f"Unknown dataset {name!r}: give custom:PATH or sequences:FILE, or "
                           f"list it in {custom.ENV_VAR} / {sequences.ENV_VAR}.")
    return known[name]


def load(name: str = "ml-100k", data_dir: str | os.PathLike | None = None,
         download: bool = True) -> Dataset:
    """Read a dataset by name. MovieLens is located as `movielens.locate` describes (`data_dir`
    first); for a registered own-data name, `data_dir`, if given, is the path."""
    reader = reader_of(name)
    if reader is None:
        return movielens.read_folder(movielens.locate(name, data_dir, download), name)
    explicit = name.startswith(reader.PREFIX)
    path = Path(data_dir) if data_dir is not None and not explicit else path_of(name)
    return reader.read(path, None if explicit else name)


def available() -> tuple[str, ...]:
    """The dataset names to offer: MovieLens', then the registered own data."""
    return (*movielens.DATASETS, *registered())
