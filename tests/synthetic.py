"""Tiny MovieLens-format files written by the tests themselves (never the real dataset)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from recdemo.movielens import ML100K_GENRES

NUM_MOVIES = 30
NUM_USERS = 12


def movie_title(movie_id: int) -> str:
    """Synthetic title of a movie id, with a year so title look-ups can be tested."""
    return f"Film {movie_id:02d} ({1980 + movie_id % 20})"


def synthetic_ratings(seed: int = 0) -> list[tuple[int, int, int, int]]:
    """`(user, movie, rating, timestamp)` rows in file order; users follow a cyclic taste so
    sequence models have something to learn, and some timestamps tie."""
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(1, NUM_USERS + 1):
        start = int(rng.integers(1, NUM_MOVIES + 1))
        count = int(rng.integers(8, 16))
        movies = [(start + step - 1) % NUM_MOVIES + 1 for step in range(count)]
        for step, movie in enumerate(movies):
            rows.append((user, movie, int(rng.integers(1, 6)), 880000000 + 100 * (step // 2)))
    rows.append((NUM_USERS + 1, 1, 4, 880000000))  # a user with too few ratings for a split
    order = np.random.default_rng(seed + 1).permutation(len(rows))
    return [rows[i] for i in order]


def write_ml100k(folder: Path, ratings=None) -> Path:
    """Write `u.data` and `u.item` in the ml-100k layout into `folder/ml-100k`."""
    target = folder / "ml-100k"
    target.mkdir(parents=True, exist_ok=True)
    ratings = synthetic_ratings() if ratings is None else ratings
    (target / "u.data").write_text("".join(f"{u}\t{m}\t{r}\t{t}\n" for u, m, r, t in ratings))
    lines = []
    for movie in range(1, NUM_MOVIES + 1):
        flags = ["0"] * len(ML100K_GENRES)
        flags[1 + movie % (len(ML100K_GENRES) - 1)] = "1"
        lines.append("|".join([str(movie), movie_title(movie), "01-Jan-1995", "",
                               "http://example.invalid", *flags]))
    (target / "u.item").write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    return target


def write_ml1m(folder: Path) -> Path:
    """Write `ratings.dat` and `movies.dat` in the ml-1m layout into `folder/ml-1m`."""
    target = folder / "ml-1m"
    target.mkdir(parents=True, exist_ok=True)
    (target / "ratings.dat").write_text(
        "".join(f"{u}::{m}::{r}::{t}\n" for u, m, r, t in synthetic_ratings()))
    # Gaps in the ids (as in the real ml-1m) and a latin-1 title.
    lines = [f"{m}::{movie_title(m)}::Comedy|Drama" for m in range(1, NUM_MOVIES + 1)]
    lines.append("40::Amélie (2001)::Romance")
    (target / "movies.dat").write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    return target


def custom_user(user: int) -> str:
    """A custom dataset's user id: any string (here with a space and a slash)."""
    return f"user {user:02d}/x"


def custom_item(movie: int) -> str:
    """A custom dataset's item id (sorted differently from the numbers on purpose)."""
    return f"sku-{movie * 7 % 31}-{movie}"


def write_custom(folder: Path, fmt: str = "csv", titles: bool = True) -> Path:
    """The synthetic ratings as custom data with string ids and ISO date-times: an
    `interactions` file and (with `titles`) an `items` file where every third item has no
    title, in `folder/shop`."""
    import pandas as pd

    target = folder / "shop"
    target.mkdir(parents=True, exist_ok=True)
    rows = synthetic_ratings()
    interactions = pd.DataFrame({
        "user": [custom_user(u) for u, _, _, _ in rows],
        "item": [custom_item(m) for _, m, _, _ in rows],
        "timestamp": [pd.Timestamp(t, unit="s", tz="UTC").isoformat() for *_, t in rows],
        "rating": [r for _, _, r, _ in rows]})
    items = pd.DataFrame({
        "item": [custom_item(m) for m in range(1, NUM_MOVIES + 1)],
        "title": [movie_title(m) if m % 3 else "" for m in range(1, NUM_MOVIES + 1)],
        "genres": ["Comedy|Drama" if m % 2 else "" for m in range(1, NUM_MOVIES + 1)]})
    for name, frame in (("interactions", interactions), ("items", items)):
        if name == "items" and not titles:
            continue
        if fmt == "parquet":
            frame.to_parquet(target / f"{name}.parquet", index=False)
        else:
            frame.to_csv(target / f"{name}.csv", index=False)
    return target


# The smallest models the CLI trains in a second: one epoch of the quick preset.
TINY_TRAINING = ["--preset", "quick", "--epochs", "1", "--embedding-dim", "8", "--max-len", "6",
                 "--num-heads", "1"]
