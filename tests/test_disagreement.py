"""Agreement between two models' lists, against hand-made lists and a NumPy softmax."""

from __future__ import annotations

import numpy as np
import pytest

from recdemo.disagreement import (
    all_top_k,
    distribution,
    most_different,
    overlap_counts,
    standing,
)


def test_overlap_counts_and_their_distribution():
    a = np.array([[1, 2, 3], [4, 5, 6], [7, 8, -1]])
    b = np.array([[3, 2, 1], [9, 5, 10], [11, 12, -1]])
    overlaps = overlap_counts(a, b)
    assert overlaps.tolist() == [3, 1, 0]  # order does not matter; -1 (missing) never counts
    assert distribution(overlaps, k=3).tolist() == [1, 1, 0, 1]
    assert most_different(np.array([30, 20, 10]), overlaps, limit=2) == [10, 20]
    assert most_different(np.array([5, 6, 7]), np.array([2, 2, 2]), limit=2) == [5, 6]


def test_lists_and_standings_agree_with_recommend(synthetic_artifacts, synthetic_data):
    from recdemo.serving import load_recommender

    recommender = load_recommender("sasrec", *synthetic_data, synthetic_artifacts)
    users = recommender.split.users[:5]
    lists = all_top_k(recommender, users, k=4)
    for user, row in zip(users, lists):
        shown = recommender.recommend(user_id=int(user), k=4)
        assert row.tolist() == [item.movie_id for item in shown]
        for rank, item in enumerate(shown, start=1):
            where = standing(recommender, item.movie_id, user_id=int(user))
            assert where.rank == rank
            assert where.probability == pytest.approx(item.probability, rel=1e-4)
    watched = int(recommender.split.history(int(users[0]))[0])
    assert standing(recommender, watched, user_id=int(users[0])).rank is None
