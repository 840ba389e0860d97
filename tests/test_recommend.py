"""The single inference path: validation, masking, threads, agreement with the evaluation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp
from threads import run_in_threads

from recdemo import RecdemoError
from recdemo.evaluation import evaluate
from recdemo.foldin import fold_in
from recdemo.scoring import device_top_k
from recdemo.serving import load_recommender


@pytest.fixture(scope="module", params=["two_tower", "gru4rec", "sasrec"])
def recommender(request, synthetic_artifacts, synthetic_data):
    return load_recommender(request.param, *synthetic_data, root=synthetic_artifacts)


def test_scores_match_a_numpy_reference(recommender):
    model, split = recommender.model, recommender.split
    history = split.history(3)
    if model.refits_on_validation:  # the two-tower: queries are user ids
        query = np.asarray(model.user_embedding.embeddings)[3]
    else:
        from recdemo.models.padding import pad_right

        query = np.asarray(model.query_embeddings(pad_right([history], model.max_len)))[0]
    scores = np.asarray(model.item_embeddings()) @ query
    scores[0] = -np.inf
    scores[history] = -np.inf
    expected = [int(i) for i in np.argsort(-scores, kind="stable")[:5]]
    got = recommender.recommend(user_id=3, k=5)
    assert [r.movie_id for r in got] == expected
    np.testing.assert_allclose([r.score for r in got], scores[expected], rtol=1e-4, atol=1e-5)


def test_exclude_seen_and_include_seen(recommender):
    history = [int(i) for i in recommender.split.history(4)]
    unseen = recommender.recommend(user_id=4, k=30)
    assert not {r.movie_id for r in unseen} & set(history)
    everything = recommender.recommend(user_id=4, k=30, exclude_seen=False)
    assert len(everything) == 30  # the whole synthetic catalogue, watched movies included
    assert {r.movie_id for r in everything} == set(range(1, 31))
    assert len(unseen) == 30 - len(set(history))


@pytest.mark.parametrize("bad, message", [
    ({"user_id": 9999}, "Unknown user id 9999"),
    ({"user_id": "7"}, "should be an integer"),
    ({"history": []}, "empty"),
    ({"history": [1, 0]}, "Unknown movie id 0"),
    ({"history": [-3]}, "Unknown movie id -3"),
    ({"history": [31]}, "Unknown movie id 31"),
    ({"history": [2.5]}, "integers"),
    ({"history": [True]}, "integers"),
    ({"user_id": 1, "history": [2]}, "exactly one"),
    ({}, "exactly one"),
    ({"user_id": 1, "k": 0}, "k should be a positive integer"),
])
def test_bad_inputs_are_rejected_before_the_model(recommender, bad, message):
    with pytest.raises(RecdemoError, match=message):
        recommender.recommend(**bad)


def test_history_queries_work_for_every_model(recommender):
    result = recommender.recommend(history=[5, 6, 7], k=10)
    assert len(result) == 10 and not {5, 6, 7} & {r.movie_id for r in result}
    assert all(np.isfinite(r.score) for r in result)
    assert [r.score for r in result] == sorted((r.score for r in result), reverse=True)


def test_many_threads_get_the_single_threaded_answers(recommender):
    queries = [{"user_id": u} for u in range(1, 13)]
    queries += [{"history": [u, u + 1]} for u in range(1, 9)]
    expected = [recommender.recommend(**q) for q in queries]
    failures, results = [], {}

    def worker(index):
        try:
            for _ in range(5):
                for i, q in enumerate(queries):
                    results[(index, i)] = recommender.recommend(**q)
                with pytest.raises(RecdemoError):
                    recommender.recommend(history=[10**6])  # a bad call in the middle
        except Exception as exc:  # noqa: BLE001 - collected and re-raised below
            failures.append(exc)

    run_in_threads(worker, 8)
    assert not failures
    for (_, i), got in results.items():
        assert [r.movie_id for r in got] == [r.movie_id for r in expected[i]]
    assert recommender.recommend(user_id=1) == expected[0]  # nothing got purged


def test_evaluation_agrees_with_recommend(recommender):
    users, _, targets = recommender.split.cases("test")
    hits = [int(t) in {r.movie_id for r in recommender.recommend(user_id=int(u), k=10)}
            for u, t in zip(users, targets)]
    assert evaluate(recommender, "test")["hr@10"] == pytest.approx(np.mean(hits))


def test_fold_in_solves_its_objective():
    rng = np.random.default_rng(0)
    table = rng.normal(size=(40, 6)).astype(np.float32)
    history = np.array([3, 7, 7, 12])
    query = fold_in(table, history, l2=0.01)

    def loss(q):
        logits = table @ q
        log_norm = np.log(np.exp(logits - logits.max()).sum()) + logits.max()
        return np.mean(log_norm - logits[history]) + 0.01 * q @ q

    # The optimum: no small step in any direction lowers the objective.
    base = loss(query.astype(np.float64))
    for direction in np.eye(6):
        for step in (1e-3, -1e-3):
            assert loss(query + step * direction) >= base - 1e-7
    with pytest.raises(ValueError, match="empty"):
        fold_in(table, np.array([], dtype=int))


def test_fold_in_stays_sane_on_a_short_history_with_little_regularisation():
    rng = np.random.default_rng(1)
    table = rng.normal(size=(60, 8)).astype(np.float32)
    history = np.array([4, 9, 30])
    query = fold_in(table, history, l2=1e-4)

    def loss(q):
        logits = table.astype(np.float64) @ q
        return (np.log(np.exp(logits - logits.max()).sum()) + logits.max()
                - logits[history].mean() + 1e-4 * q @ q)

    assert np.all(np.isfinite(query))
    assert loss(query.astype(np.float64)) < loss(np.zeros(8)) - 0.5
    scores = table @ query
    assert set(np.argsort(-scores)[:3]) == set(history)  # it explains the history it was fit to


def test_fold_in_many_matches_one_at_a_time():
    from recdemo.foldin import fold_in_many

    rng = np.random.default_rng(3)
    table = rng.normal(size=(40, 6)).astype(np.float32)
    histories = [rng.integers(1, 40, size=n) for n in (1, 3, 9, 2, 14, 5, 7, 4, 2)]
    batched = fold_in_many(table, histories)
    for row, history in enumerate(histories):
        np.testing.assert_allclose(batched[row], fold_in(table, history), rtol=1e-3, atol=1e-3)


def _drawn_scoring_case(data):
    """`(queries, table, allowed, seen)` for the device scoring functions: small integer
    embeddings (exact ties are common), NaN item rows, a random catalogue mask, and histories
    of 3 ids that may repeat or be the padding id."""
    rows, items, dim = data.draw(st.integers(1, 4)), data.draw(st.integers(2, 12)), 2
    values = st.integers(-2, 2).map(float)
    queries = np.array(data.draw(st.lists(values, min_size=rows * dim, max_size=rows * dim)),
                       np.float32).reshape(rows, dim)
    table = np.array(data.draw(st.lists(values, min_size=items * dim, max_size=items * dim)),
                     np.float32).reshape(items, dim)
    table[data.draw(st.lists(st.integers(0, items - 1), max_size=2))] = np.nan
    allowed = np.array(data.draw(st.lists(st.booleans(), min_size=items, max_size=items)))
    seen = np.array(data.draw(st.lists(st.lists(st.integers(0, items - 1), min_size=3,
                                                 max_size=3), min_size=rows, max_size=rows)),
                    np.int32)
    return queries, table, allowed, seen


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_device_top_k_matches_a_numpy_stable_sort(data):
    """Ties to the lower id, NaN and masked ids never ranked, fewer than k when few remain."""
    queries, table, allowed, seen = _drawn_scoring_case(data)
    rows, items = len(queries), len(table)
    k = data.draw(st.integers(1, items))

    best, ids, log_total = (np.asarray(a) for a in
                            device_top_k(queries, table, allowed, seen, k=k))
    for row in range(rows):
        scores = queries[row] @ table.T
        keep = allowed.copy()
        keep[seen[row]] = False
        keep &= np.isfinite(scores)
        order = [int(i) for i in np.argsort(-scores, kind="stable") if keep[i]][:k]
        assert [int(i) for i, s in zip(ids[row], best[row]) if np.isfinite(s)] == order
        np.testing.assert_allclose(best[row][: len(order)], scores[order], rtol=1e-6, atol=1e-6)
        if keep.any():
            # float32 on the device: relative error is meaningless near 0, hence atol too.
            np.testing.assert_allclose(log_total[row], logsumexp(scores[keep]), rtol=1e-5,
                                       atol=1e-5)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_device_target_ranks_match_the_numpy_definition(data):
    """Ties and NaN against the model, repeated and padded history ids, a target in the
    history or outside the catalogue: the ranks `metrics.target_ranks` gives on masked
    scores, and the unmasked softmax loss."""
    from recdemo.metrics import target_ranks
    from recdemo.recommend import mask_scores
    from recdemo.scoring import device_target_ranks

    queries, table, allowed, seen = _drawn_scoring_case(data)
    rows, items = len(queries), len(table)
    targets = np.array(data.draw(st.lists(st.integers(0, items - 1), min_size=rows,
                                          max_size=rows)), np.int32)

    ranks, losses = (np.asarray(a) for a in
                     device_target_ranks(queries, table, allowed, seen, targets))
    raw = queries @ table.T
    expected = target_ranks(mask_scores(raw.copy(), allowed, list(seen)), targets)
    np.testing.assert_array_equal(ranks, expected)
    finite = np.isfinite(raw).all(axis=1)
    np.testing.assert_allclose(losses[finite], (logsumexp(raw, axis=1)
                                                - raw[np.arange(rows), targets])[finite],
                               rtol=1e-5, atol=1e-5)
