"""Do two models agree? Their top-10 lists over every user, how much the lists overlap, the
users where they differ most, and where one movie stands under each model.

Every list comes from `Recommender.recommend_many` (the one inference path) with the user's
history masked, as the dashboard shows it.
"""

from __future__ import annotations

import dataclasses

import numpy as np


def all_top_k(recommender, users: np.ndarray, k: int = 10) -> np.ndarray:
    """`(users, k)` top-k movie ids of every user (one batched call; -1 where fewer remain)."""
    lists = recommender.recommend_many([(int(u), None) for u in users], k=k)
    out = np.full((len(users), k), -1, np.int64)
    for row, items in enumerate(lists):
        out[row, : len(items)] = [item.movie_id for item in items]
    return out


def overlap_counts(lists_a: np.ndarray, lists_b: np.ndarray) -> np.ndarray:
    """Per row, how many movies two top-k lists share (0 to k)."""
    return np.array([len(set(a[a >= 0]) & set(b[b >= 0])) for a, b in zip(lists_a, lists_b)])


def distribution(overlaps: np.ndarray, k: int = 10) -> np.ndarray:
    """`(k + 1,)` how many users share 0, 1, ..., k movies."""
    return np.bincount(overlaps, minlength=k + 1)[: k + 1]


def most_different(users: np.ndarray, overlaps: np.ndarray, limit: int = 8) -> list[int]:
    """The users whose two lists share the fewest movies (lower user id first on ties)."""
    order = np.lexsort((users, overlaps))
    return [int(u) for u in users[order[:limit]]]


@dataclasses.dataclass(frozen=True)
class Standing:
    """Where one movie stands for one query under one model.

    Attributes:
        rank: its rank among the movies the model may recommend (1 is first; ties against
            it), or None when it is masked (already watched, or filtered out).
        probability: the model's probability for it over those movies (None when masked).
    """

    rank: int | None
    probability: float | None


def standing(recommender, movie_id: int, user_id: int | None = None,
             history: list[int] | None = None, exclude_seen: bool = True,
             candidates: np.ndarray | None = None) -> Standing:
    """The rank and probability of `movie_id` for one query, as `recommend` would rank it."""
    user, resolved = recommender.resolve(user_id, history)
    scores = recommender.scores([user], [resolved], exclude_seen=exclude_seen)[0]
    if candidates is not None:
        scores = np.where(candidates, scores, -np.inf)
    score = scores[movie_id]
    allowed = np.isfinite(scores)
    if not np.isfinite(score):
        return Standing(None, None)
    ranked = scores[allowed]
    rank = int((ranked >= score).sum())
    top = ranked.max()
    return Standing(rank, float(np.exp(score - top) / np.exp(ranked - top).sum()))
