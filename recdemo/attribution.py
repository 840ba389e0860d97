"""Why is a movie recommended? Leave-one-out attribution over the history.

For each history movie, the model is run again on the history without it, and the recommended
movie's score and rank are read off: what the model computes, not a similarity guess. All the
histories go through the single inference path in one batched call.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np

from recdemo.metrics import target_ranks


class Removal(NamedTuple):
    """What removing one history movie does to one recommended movie (a tuple: the stored
    lists build one for every history movie of every pick of every user).

    Attributes:
        removed: the history movie taken out.
        score_change: the recommended movie's score without it minus with it (negative: the
            history movie was holding it up).
        rank: the recommended movie's rank with the whole history.
        rank_without: its rank without `removed`, among the same candidates.
    """

    removed: int
    score_change: float
    rank: int
    rank_without: int


def rests_on(removals: list[Removal] | None) -> Removal | None:
    """What a pick *rests on*: of the history movies whose removal pushes it down the list,
    the one whose removal lowers its score the most; None when no single removal pushes it
    down. A removal can lower a pick's score and still raise its rank (it lowers the others'
    more): that movie is not what the pick rests on.

    Args:
        removals: one recommended movie's `leave_one_out` list (most negative change first).
    """
    return next((r for r in removals or () if r.score_change < 0 and r.rank_without > r.rank),
                None)


def uses_history(recommender, user_id: int | None) -> bool:
    """Whether the query is computed from the history at all: a known user of a user-id model
    (two-tower) is served from a learned vector that no history edit changes."""
    return user_id is None or recommender.model.query_shape != ()


def leave_one_out(recommender, history: np.ndarray, movie_ids: list[int],
                  exclude_seen: bool = True,
                  candidates: np.ndarray | None = None) -> dict[int, list[Removal]]:
    """Each recommended movie's score and rank without each history movie.

    Args:
        recommender: a `recdemo.recommend.Recommender`.
        history: the validated history, oldest first (a repeated movie is removed with all
            its watches).
        movie_ids: the recommended movies to explain.
        exclude_seen: whether the list excludes the history (ranks count the same candidates
            the list was drawn from).
        candidates: the list's optional `(num_items,)` candidate mask (genre filter).

    Returns:
        movie id -> one `Removal` per distinct history movie, the most negative score change
        first (ties in history order, most recent first).
    """
    return leave_one_out_many(recommender, [(history, movie_ids)], exclude_seen,
                              candidates)[0]


def leave_one_out_many(recommender, requests: list[tuple[np.ndarray, list[int]]],
                       exclude_seen: bool = True, candidates: np.ndarray | None = None
                       ) -> list[dict[int, list[Removal]]]:
    """`leave_one_out` for many `(history, movie_ids)` requests, every model input of all of
    them in one batched call (the stored lists explain every user's list this way)."""
    plans = [_removals_plan(recommender.model, np.asarray(h, dtype=np.int64))
             for h, _ in requests]
    inputs = [w for plan in plans for w in plan.distinct]
    computed = (recommender.raw_scores([None] * len(inputs), inputs) if inputs
                else np.empty((0, len(recommender.catalogue)), np.float32))
    out, start = [], 0
    for plan, (_, movie_ids) in zip(plans, requests):
        rows = computed[start: start + len(plan.distinct)]
        start += len(plan.distinct)
        out.append(_removals(recommender, plan, rows, movie_ids, exclude_seen, candidates))
    return out


@dataclasses.dataclass(frozen=True)
class _Plan:
    """One history's removals: the distinct model inputs to run, and which input each of
    [the whole history, without removed[0], without removed[1], ...] reads (-1: none)."""

    history: np.ndarray
    removed: list[int]
    distinct: list[np.ndarray]
    row_of: np.ndarray


def _removals_plan(model, history: np.ndarray) -> _Plan:
    removed = list(dict.fromkeys(history[::-1].tolist()))
    # The model runs once per distinct input it reads: a sequence model reads only the last
    # `max_len` movies, so removing an older one leaves the very input of the whole history
    # (its score change is exactly 0). A history of one movie has nothing left without it:
    # that row is scored on nothing (NaN).
    windows = [model.query_window(history)] + [model.query_window(history, without=movie)
                                               for movie in removed]
    distinct = {w.tobytes(): w for w in windows if len(w)}  # in the order first seen
    row = {key: i for i, key in enumerate(distinct)}
    row_of = np.array([row[w.tobytes()] if len(w) else -1 for w in windows])
    return _Plan(history, removed, list(distinct.values()), row_of)


def _removals(recommender, plan: _Plan, rows: np.ndarray, movie_ids: list[int],
              exclude_seen: bool, candidates: np.ndarray | None) -> dict[int, list[Removal]]:
    computed = np.full((len(rows) + 1, rows.shape[1]), np.nan)
    computed[:-1] = rows
    scores = computed[plan.row_of]  # row -1: the NaN row
    allowed = recommender.catalogue.copy()
    if candidates is not None:
        allowed &= candidates
    if exclude_seen:
        allowed[plan.history] = False
    masked = np.where(allowed, computed, -np.inf)
    out = {}
    for movie in movie_ids:
        ranks = target_ranks(masked, np.full(len(masked), movie))[plan.row_of]
        changes = scores[1:, movie] - scores[0, movie]
        order = np.argsort(np.nan_to_num(changes, nan=np.inf), kind="stable").tolist()
        rank, without, change = int(ranks[0]), ranks[1:].tolist(), changes.tolist()
        out[int(movie)] = [Removal(plan.removed[i], change[i], rank, without[i])
                           for i in order]
    return out
