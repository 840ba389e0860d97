"""MovieLens: where the files come from, and parsing them into one `Dataset`.

The dataset is never shipped with recdemo (its licence forbids redistribution). It is found, in
order, in an explicit directory, in `$RECDEMO_DATA_DIR`, in the cache directory, or downloaded
from GroupLens with its official sha256 verified.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from recdemo import RecdemoError
from recdemo.dataset import Dataset, cache_dir, year_of

GROUPLENS_URL = "https://files.grouplens.org/datasets/movielens/{name}.zip"
OFFICIAL_SHA256 = {
    "ml-100k": "50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229",
    "ml-1m": "a6898adb50b9ca05aa231689da44c217cb524e7ebd39d264c56e2832f2c54e20",
}
DATASETS = tuple(OFFICIAL_SHA256)
# The files each layout needs; their sha256 goes into every artifact's provenance.
DATA_FILES = {"ml-100k": ("u.data", "u.item"), "ml-1m": ("ratings.dat", "movies.dat")}
ML100K_GENRES = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
    "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance",
    "Sci-Fi", "Thriller", "War", "Western",
)
_ASCII_INT = re.compile(r"-?[0-9]{1,18}")


def _int(text: str) -> int:
    """A strict ASCII integer (`int` also takes "1_000", " 7" and non-ASCII digits)."""
    if not _ASCII_INT.fullmatch(text):
        raise ValueError(text)
    return int(text)


def check_name(name: str) -> None:
    if name not in OFFICIAL_SHA256:
        raise RecdemoError(f"Unknown dataset {name!r}; choose one of {', '.join(DATASETS)}.")


def _extracted_in(root: Path, name: str) -> Path | None:
    """`root/name` or `root` itself if it holds the files of `name`, else None."""
    for candidate in (root / name, root):
        if all((candidate / f).is_file() for f in DATA_FILES[name]):
            return candidate
    return None


def how_to_provide(name: str) -> str:
    """One line telling a person how to make `name` available offline."""
    return (
        f"MovieLens {name} is not available: download {GROUPLENS_URL.format(name=name)}, "
        f"extract it so that DIR/{name}/{DATA_FILES[name][0]} exists, and set "
        f"RECDEMO_DATA_DIR=DIR (or put it under {cache_dir()})."
    )


def locate(name: str = "ml-100k", data_dir: str | os.PathLike | None = None,
           download: bool = True) -> Path:
    """Find the extracted folder of a MovieLens dataset, downloading it if allowed.

    Order: `data_dir`, then `$RECDEMO_DATA_DIR`, then the cache, then (if allowed) a download.

    Args:
        name: `"ml-100k"` or `"ml-1m"`.
        data_dir: an explicit folder holding `name/` (or the files themselves); wins over all.
        download: whether to fetch the official zip (sha256-verified) when no copy is found.

    Returns:
        The folder that holds the dataset's files.

    Raises:
        RecdemoError: unknown name, a named folder without the files, or no copy and no download.
    """
    check_name(name)
    if data_dir is not None:
        found = _extracted_in(Path(data_dir), name)
        if found is None:
            raise RecdemoError(f"No {name} files in {data_dir}. " + how_to_provide(name))
        return found
    env_dir = os.environ.get("RECDEMO_DATA_DIR")
    found = _extracted_in(Path(env_dir), name) if env_dir else None
    found = found or _in_cache(name)
    if found is not None:
        return found
    if not download:
        where = f"RECDEMO_DATA_DIR={env_dir} has no {name} files. " if env_dir else ""
        raise RecdemoError(where + how_to_provide(name))
    return fetch(name)


def _in_cache(name: str) -> Path | None:
    # A copy put there by hand (`<cache>/<name>/`) or by `keras.utils.get_file`, which extracts
    # `<name>.zip` into `<cache>/<name>_extracted/<name>/`.
    for root in (cache_dir(), cache_dir() / f"{name}_extracted"):
        found = _extracted_in(root, name)
        if found is not None:
            return found
    return None


def fetch(name: str) -> Path:
    """Download the official zip of `name` into the cache, verify its sha256, extract it.

    Returns:
        The extracted folder.

    Raises:
        RecdemoError: offline, refused, a bad checksum, or an unexpected archive.
    """
    check_name(name)
    import keras  # Deferred: only a download needs keras' file utilities.

    target = cache_dir()
    target.mkdir(parents=True, exist_ok=True)
    try:
        keras.utils.get_file(
            fname=f"{name}.zip", origin=GROUPLENS_URL.format(name=name),
            file_hash=OFFICIAL_SHA256[name], hash_algorithm="sha256",
            cache_dir=str(target), cache_subdir=".", extract=True)
    except Exception as exc:  # Offline, refused, or a bad checksum: all say the same to a person.
        raise RecdemoError(f"Could not download {name} ({exc.__class__.__name__}). "
                           + how_to_provide(name)) from None
    found = _in_cache(name)
    if found is not None:
        return found
    raise RecdemoError(f"The {name} download did not contain the expected files. "
                       + how_to_provide(name))


def _read_lines(path: Path) -> list[str]:
    # Split on newlines only: `str.splitlines` also splits on U+0085 and other separators that
    # are valid latin-1 bytes inside a title.
    try:
        text = path.read_text(encoding="latin-1")
    except OSError as exc:
        raise RecdemoError(f"Cannot read {path}: {exc.strerror}.") from None
    return [line.removesuffix("\r") for line in text.split("\n")]


_PLAIN_RATINGS = re.compile(r"[0-9\t\n]*")


def _ratings_fast(lines: list[str], separator: str) -> pd.DataFrame | None:
    """Parse well-formed rating lines with pandas' C reader; None if anything is not plainly
    valid (the strict line-by-line parser then finds and names the line). About ten times
    faster on ml-100k, which matters for the dashboard's cold start."""
    text = "\n".join(lines)
    if not lines or "\t" in text and separator != "\t":
        return None
    text = text.replace(separator, "\t")
    if not _PLAIN_RATINGS.fullmatch(text) or text.count("\t") != 3 * len(lines):
        return None  # signs, spaces, non-ASCII digits, missing or extra fields
    try:
        frame = pd.read_csv(io.StringIO(text), sep="\t", header=None, dtype=np.int64,
                            names=["user_id", "movie_id", "rating", "timestamp"])
    except (ValueError, pd.errors.ParserError):
        return None
    values = frame.to_numpy()
    if len(frame) != len(lines) or (values[:, :2] <= 0).any() or (
            (values[:, 2] < 1) | (values[:, 2] > 5)).any() or (values > 10**17).any():
        return None
    return frame


def _parse_ratings(path: Path, separator: str) -> pd.DataFrame:
    lines = _read_lines(path)
    fast = _ratings_fast([line for line in lines if line.strip()], separator)
    if fast is not None:
        return fast
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        fields = line.split(separator) if separator else line.split()
        try:
            if len(fields) != 4:
                raise ValueError
            user, movie, rating, stamp = (_int(f) for f in fields)
            if user <= 0 or movie <= 0 or not 1 <= rating <= 5 or stamp < 0:
                raise ValueError
        except ValueError:
            raise RecdemoError(
                f"{path}, line {number}: expected user id > 0, movie id > 0, rating 1-5 and "
                f"timestamp >= 0 (integers), got {line[:80]!r}.") from None
        rows.append((user, movie, rating, stamp))
    if not rows:
        raise RecdemoError(f"{path} holds no ratings.")
    return pd.DataFrame(rows, columns=["user_id", "movie_id", "rating", "timestamp"],
                        dtype=np.int64)


def _movie_frame(rows: list[tuple], path: Path) -> pd.DataFrame:
    if not rows:
        raise RecdemoError(f"{path} holds no movies.")
    frame = pd.DataFrame(rows, columns=["movie_id", "title", "year", "genres"])
    if frame["movie_id"].duplicated().any():
        dup = int(frame.loc[frame["movie_id"].duplicated(), "movie_id"].iloc[0])
        raise RecdemoError(f"{path}: movie id {dup} appears twice.")
    return frame.set_index("movie_id").sort_index()


def _parse_ml100k_items(path: Path) -> pd.DataFrame:
    rows = []
    for number, line in enumerate(_read_lines(path), start=1):
        if not line.strip():
            continue
        fields = line.split("|")
        try:
            if len(fields) != 5 + len(ML100K_GENRES):
                raise ValueError
            movie = _int(fields[0])
            flags = [_int(f) for f in fields[5:]]
            if movie <= 0 or any(f not in (0, 1) for f in flags):
                raise ValueError
        except ValueError:
            raise RecdemoError(
                f"{path}, line {number}: expected id|title|date|video date|url|19 genre flags, "
                f"got {line[:80]!r}.") from None
        genres = tuple(g for g, on in zip(ML100K_GENRES, flags) if on)
        rows.append((movie, fields[1], year_of(fields[1], fields[2]), genres))
    return _movie_frame(rows, path)


def _parse_ml1m_movies(path: Path) -> pd.DataFrame:
    rows = []
    for number, line in enumerate(_read_lines(path), start=1):
        if not line.strip():
            continue
        fields = line.split("::")
        try:
            if len(fields) != 3:
                raise ValueError
            movie = _int(fields[0])
            if movie <= 0:
                raise ValueError
        except ValueError:
            raise RecdemoError(
                f"{path}, line {number}: expected id::title::genres, got {line[:80]!r}.") from None
        genres = tuple(g for g in fields[2].split("|") if g)
        rows.append((movie, fields[1], year_of(fields[1]), genres))
    return _movie_frame(rows, path)


def read_folder(directory: str | os.PathLike, name: str) -> Dataset:
    """Parse an extracted MovieLens folder.

    Args:
        directory: folder holding the dataset's files (e.g. `u.data`, `u.item`).
        name: `"ml-100k"` or `"ml-1m"` (decides the layout).

    Returns:
        The parsed `Dataset`.

    Raises:
        RecdemoError: a missing or unreadable file, or a malformed line (named with its number).
    """
    check_name(name)
    directory = Path(directory)
    ratings_file, movies_file = (directory / f for f in DATA_FILES[name])
    if name == "ml-100k":
        ratings = _parse_ratings(ratings_file, "\t")
        movies = _parse_ml100k_items(movies_file)
    else:
        ratings = _parse_ratings(ratings_file, "::")
        movies = _parse_ml1m_movies(movies_file)
    unknown = ~ratings["movie_id"].isin(movies.index)
    if unknown.any():
        row = int(np.flatnonzero(unknown.to_numpy())[0])
        raise RecdemoError(f"{ratings_file}, line {row + 1}: movie id "
                           f"{int(ratings['movie_id'].iloc[row])} is not in {movies_file.name}.")
    return Dataset(name=name, ratings=ratings, movies=movies, directory=directory,
                   files=DATA_FILES[name])
