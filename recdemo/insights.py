"""Explanations and summaries the dashboard shows next to recommendations (no streamlit here).

Every function works on NumPy arrays from a `Recommender` and the dataset, so each is tested
against hand-made inputs.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd


def _unit_rows(table: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(table, axis=1, keepdims=True)
    return table / np.where(norms == 0, 1.0, norms)


def similar_movies(item_table: np.ndarray, movie_id: int, catalogue: np.ndarray,
                   k: int = 10) -> list[tuple[int, float]]:
    """Nearest movies to `movie_id` by cosine similarity in a model's item space.

    Args:
        item_table: `(num_items, dim)` item embeddings.
        movie_id: the anchor movie.
        catalogue: `(num_items,)` bool mask of real movie ids.
        k: how many neighbours.

    Returns:
        `(movie id, similarity)` pairs, the anchor itself excluded, most similar first.
    """
    unit = _unit_rows(item_table)
    similarity = unit @ unit[movie_id]
    similarity[~catalogue] = -np.inf
    similarity[movie_id] = -np.inf
    order = np.argsort(-similarity, kind="stable")[:k]
    return [(int(i), float(similarity[i])) for i in order if np.isfinite(similarity[i])]


def popularity_percentiles(counts: np.ndarray, catalogue: np.ndarray) -> np.ndarray:
    """For every item id, the share of catalogue movies strictly less popular (0-100)."""
    real = np.sort(counts[catalogue])
    return 100.0 * np.searchsorted(real, counts, side="left") / max(len(real), 1)


def genre_names(movies: pd.DataFrame) -> list[str]:
    """Every genre of the catalogue, sorted."""
    return sorted({g for genres in movies["genres"] for g in genres})


def genre_diversity(movies: pd.DataFrame, movie_ids: list[int]) -> int:
    """How many distinct genres a list of movies covers."""
    return len({g for i in movie_ids for g in movies.loc[i, "genres"]})


@dataclasses.dataclass(frozen=True)
class TopKDiff:
    """How a top-k list changed: new and dropped ids, and `(id, old rank, new rank)` moves."""

    new: list[int]
    dropped: list[int]
    moved: list[tuple[int, int, int]]
    unchanged: list[int]


def diff_top_k(before: list[int], after: list[int]) -> TopKDiff:
    """Compare two ranked id lists (ranks are 1-based)."""
    old_rank = {m: r for r, m in enumerate(before, start=1)}
    new_rank = {m: r for r, m in enumerate(after, start=1)}
    return TopKDiff(
        new=[m for m in after if m not in old_rank],
        dropped=[m for m in before if m not in new_rank],
        moved=[(m, old_rank[m], new_rank[m]) for m in after
               if m in old_rank and old_rank[m] != new_rank[m]],
        unchanged=[m for m in after if old_rank.get(m) == new_rank[m]],
    )


def pca_2d(item_table: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, callable]:
    """A 2-D PCA of the given table rows.

    Returns:
        `(coordinates of rows, project)` where `project(vectors)` maps any vectors of the same
        space (a query, say) into the same 2-D plane.
    """
    data = item_table[rows].astype(np.float64)
    mean = data.mean(axis=0)
    _, _, components = np.linalg.svd(data - mean, full_matrices=False)
    basis = components[:2].T

    def project(vectors: np.ndarray) -> np.ndarray:
        return (np.atleast_2d(vectors) - mean) @ basis

    return project(data), project


# Personas are rules over the catalogue (genres, years, popularity), not title lists, so the
# repository never carries MovieLens titles. Only personas whose genre visibly shapes every
# shipped model's top-10 are kept (`tests/test_real_data.py` measures it: film noir, westerns,
# horror, musicals and documentaries did not).
PERSONAS = {
    "90s sci-fi fan": {"genres": ("Sci-Fi",), "years": (1990, 1999), "size": 5},
    "Animated family films": {"genres": ("Animation", "Children's"), "years": None, "size": 5},
    "Romantic comedies": {"genres": ("Romance", "Comedy"), "years": None, "size": 8},
}


def persona_history(name: str, movies: pd.DataFrame, counts: np.ndarray,
                    size: int | None = None) -> list[int]:
    """A starting history for a persona: its most popular matching movies (`size`, else the
    persona's own), oldest release first (so the most recent watch is the newest film)."""
    rule = PERSONAS[name]
    size = size or rule["size"]
    match = movies["genres"].apply(lambda g: all(x in g for x in rule["genres"]))
    if rule["years"]:
        low, high = rule["years"]
        match &= movies["year"].between(low, high)
    ids = movies.index[match].to_numpy()
    popular = ids[np.argsort(-counts[ids], kind="stable")[:size]]
    return [int(i) for i in movies.loc[popular].sort_values("year").index]


def genre_mask(movies: pd.DataFrame, genres: list[str], num_items: int) -> np.ndarray | None:
    """`(num_items,)` bool: True for movies with at least one of `genres` (None: no filter).

    Passed to `Recommender.recommend(candidates=...)`, so a filtered top-10 is the model's own
    ranking restricted to those movies.
    """
    if not genres:
        return None
    wanted = set(genres)
    mask = np.zeros(num_items, dtype=bool)
    keep = movies.index[movies["genres"].apply(lambda g: bool(wanted & set(g)))]
    mask[keep.to_numpy()] = True
    return mask


def agreement(lists: dict[str, list[int]]) -> dict[int, int]:
    """For every movie in any list, in how many lists it appears."""
    votes: dict[int, int] = {}
    for ids in lists.values():
        for movie in set(ids):
            votes[movie] = votes.get(movie, 0) + 1
    return votes


def agreement_level(votes: int, lists: int) -> int:
    """How a movie in `votes` of `lists` lists is shaded: 3 in every list, 2 in more than one
    (but not all), 0 otherwise.

    >>> [agreement_level(v, 4) for v in (1, 2, 3, 4)]
    [0, 2, 2, 3]
    """
    return 3 if votes == lists and lists > 1 else 2 if votes >= 2 else 0


def overlaps(lists: dict[str, list[int]]) -> dict[tuple[str, str], int]:
    """How many movies each pair of lists shares, for every pair in the given order."""
    keys = list(lists)
    return {(a, b): len(set(lists[a]) & set(lists[b]))
            for i, a in enumerate(keys) for b in keys[i + 1:]}


def held_out_ranks(recommender, split, users: np.ndarray) -> np.ndarray:
    """The conservative rank of each user's held-out test movie under one model, computed
    exactly as the evaluation does (history masked, ties against the model)."""
    from recdemo.metrics import target_ranks

    histories = [split.history(int(u)) for u in users]
    scores = recommender.scores([int(u) for u in users], histories)
    return target_ranks(scores, np.array([split.test[int(u)] for u in users]))


def genre_share(movies: pd.DataFrame, movie_ids: list[int], genres: tuple[str, ...]) -> float:
    """The share of `movie_ids` having every one of `genres`."""
    if not movie_ids:
        return 0.0
    return float(np.mean([all(g in movies.loc[m, "genres"] for g in genres) for m in movie_ids]))


def most_popular_top_k(counts: np.ndarray, catalogue: np.ndarray, exclude: list[int],
                       k: int = 10, candidates: np.ndarray | None = None) -> list[int]:
    """The reference list: the k most watched catalogue movies not in `exclude` (and within
    `candidates` if given), ties by lower id."""
    scores = np.where(catalogue, counts.astype(np.float64), -np.inf)
    scores[np.asarray(exclude, dtype=np.int64)] = -np.inf
    if candidates is not None:
        scores[~candidates] = -np.inf
    order = np.argsort(-scores, kind="stable")[:k]
    return [int(i) for i in order if np.isfinite(scores[i])]
