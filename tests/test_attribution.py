"""Leave-one-out attribution against the model run once per removal (the reference)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from recdemo.attribution import leave_one_out, leave_one_out_many, uses_history
from recdemo.metrics import target_ranks
from recdemo.serving import load_recommender


@pytest.fixture(scope="module", params=["two_tower", "gru4rec", "sasrec"])
def recommender(request, synthetic_artifacts, synthetic_data):
    return load_recommender(request.param, *synthetic_data, root=synthetic_artifacts)


def reference_rank(recommender, history, movie, allowed) -> tuple[float, int]:
    """The movie's score and rank from one unbatched query on `history`."""
    scores = recommender.raw_scores(None, [np.asarray(history, dtype=np.int64)])
    masked = np.where(allowed, scores, -np.inf)
    return float(scores[0, movie]), int(target_ranks(masked, np.array([movie]))[0])


def test_each_removal_matches_the_model_run_without_that_movie(recommender):
    history = np.array([3, 8, 15, 4, 22, 9])
    recs = recommender.recommend(history=history.tolist(), k=3)
    found = leave_one_out(recommender, history, [r.movie_id for r in recs])
    allowed = recommender.catalogue.copy()
    allowed[history] = False
    for rank, rec in enumerate(recs, start=1):
        removals = found[rec.movie_id]
        assert sorted(r.removed for r in removals) == sorted(history.tolist())
        full_score, full_rank = reference_rank(recommender, history, rec.movie_id, allowed)
        assert full_rank == rank
        for removal in removals:
            score, rank_without = reference_rank(
                recommender, history[history != removal.removed], rec.movie_id, allowed)
            assert removal.rank == rank and removal.rank_without == rank_without
            assert removal.score_change == pytest.approx(score - full_score, abs=1e-4)
        # The movie listed first is the one whose removal lowers the score the most.
        changes = [reference_rank(recommender, history[history != m], rec.movie_id, allowed)[0]
                   for m in history]
        assert removals[0].removed == history[int(np.argmin(changes))]


def test_a_history_longer_than_the_window_matches_the_model_run_without_each_movie(recommender):
    # 9 distinct movies, one watched twice, past a sequence model's 6-movie window: removing a
    # movie older than the window leaves the model's input as it was.
    history = np.array([3, 8, 15, 4, 22, 9, 8, 30, 11, 17])
    recs = recommender.recommend(history=history.tolist(), k=2)
    found = leave_one_out(recommender, history, [r.movie_id for r in recs])
    allowed = recommender.catalogue.copy()
    allowed[history] = False
    window = len(recommender.model.query_window(history))
    for rec in recs:
        full_score, _ = reference_rank(recommender, history, rec.movie_id, allowed)
        for removal in found[rec.movie_id]:
            without = history[history != removal.removed]
            score, rank_without = reference_rank(recommender, without, rec.movie_id, allowed)
            assert removal.rank_without == rank_without
            assert removal.score_change == pytest.approx(score - full_score, abs=1e-4)
            if removal.removed not in history[-window:]:
                assert removal.score_change == 0.0 and removal.rank_without == removal.rank


@given(st.lists(st.integers(1, 6), max_size=14), st.integers(1, 7), st.integers(1, 8))
def test_a_query_window_without_a_movie_is_the_window_of_the_history_without_it(
        items, movie, max_len):
    from recdemo.models.base import RetrievalModel, SequenceModel

    history = np.array(items, dtype=np.int64)
    sequence = SequenceModel.__new__(SequenceModel)
    sequence.max_len = max_len
    expected = [m for m in items if m != movie][-max_len:]
    assert sequence.query_window(history, without=movie).tolist() == expected
    assert sequence.query_window(history).tolist() == items[-max_len:]
    whole = RetrievalModel.query_window(None, history, without=movie)
    assert whole.tolist() == [m for m in items if m != movie]


def test_a_genre_filter_ranks_among_the_same_candidates(recommender):
    history = np.array([5, 6, 7])
    candidates = np.zeros(len(recommender.catalogue), dtype=bool)
    candidates[10:40] = True
    recs = recommender.recommend(history=history.tolist(), k=2, candidates=candidates)
    found = leave_one_out(recommender, history, [r.movie_id for r in recs],
                          candidates=candidates)
    assert [found[r.movie_id][0].rank for r in recs] == [1, 2]
    assert all(r.rank_without <= candidates.sum() for r in found[recs[0].movie_id])


def test_a_known_two_tower_user_is_not_explained_by_the_history(recommender):
    user = int(recommender.split.users[0])
    expected = recommender.model.query_shape != ()
    assert uses_history(recommender, user) is expected
    assert uses_history(recommender, None)


def test_a_pick_rests_on_the_biggest_score_drop_among_removals_that_push_it_down():
    from recdemo.attribution import Removal, rests_on

    removals = [Removal(removed=7, score_change=-0.9, rank=4, rank_without=3),  # rises
                Removal(removed=8, score_change=-0.4, rank=4, rank_without=9),
                Removal(removed=9, score_change=-0.1, rank=4, rank_without=12),
                Removal(removed=5, score_change=0.2, rank=4, rank_without=5)]
    assert rests_on(removals).removed == 8
    assert rests_on(removals[:1]) is None and rests_on([]) is None and rests_on(None) is None
    # A lower rank with a higher score (others fell further) is not resting on it either.
    assert rests_on([Removal(removed=5, score_change=0.2, rank=4, rank_without=5)]) is None


def test_many_requests_in_one_call_explain_each_as_alone(recommender):
    # Histories of different lengths (one a single movie: its removal scores on nothing),
    # each with its own picks: the batched call must keep every request's rows apart.
    requests = [(np.array([3, 8, 15, 4]), [5, 6]), (np.array([22]), [7]),
                (np.array([9, 8, 30, 11, 17, 12, 13, 14]), [2, 3, 20])]
    together = leave_one_out_many(recommender, requests)
    assert len(together) == len(requests)
    for (history, movies), found in zip(requests, together):
        alone = leave_one_out(recommender, history, movies)
        assert list(found) == movies
        for movie in movies:
            assert [(r.removed, r.rank, r.rank_without) for r in found[movie]] == [
                (r.removed, r.rank, r.rank_without) for r in alone[movie]]
            np.testing.assert_allclose([r.score_change for r in found[movie]],
                                       [r.score_change for r in alone[movie]], atol=1e-5)
