"""Ranking metrics against an independent reference with hand-made ties."""

from __future__ import annotations

import numpy as np
import pytest

from recdemo.metrics import ranking_metrics, target_ranks


def test_conservative_ties_count_against_the_target():
    scores = np.array([
        [-np.inf, 0.5, 0.9, 0.5, 0.1],   # target 1 ties with item 3; item 2 is above
        [-np.inf, 0.2, 0.2, 0.2, 0.2],   # everything ties: worst possible rank
        [-np.inf, 0.1, 0.3, -np.inf, 0.7],  # target 4 is best; masked items never count
    ])
    ranks = target_ranks(scores, np.array([1, 3, 4]))
    assert list(ranks) == [3, 4, 1]


def test_metrics_match_a_reference_loop():
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 5, size=(50, 40)).astype(float)  # many ties on purpose
    scores[:, 0] = -np.inf
    targets = rng.integers(1, 40, size=50)
    ranks = target_ranks(scores, targets)
    hr = ndcg = mrr = 0.0
    for row, target in zip(scores, targets):
        rank = sum(1 for s in row if s >= row[target])
        hr += rank <= 10
        ndcg += 1 / np.log2(rank + 1) if rank <= 10 else 0.0
        mrr += 1 / rank
    metrics = ranking_metrics(ranks)
    assert metrics["hr@10"] == pytest.approx(hr / 50)
    assert metrics["ndcg@10"] == pytest.approx(ndcg / 50)
    assert metrics["mrr"] == pytest.approx(mrr / 50)


def test_rank_one_gives_perfect_scores():
    assert ranking_metrics(np.array([1, 1])) == {"hr@10": 1.0, "ndcg@10": 1.0, "mrr": 1.0}


def test_nan_scores_rank_as_badly_as_possible():
    scores = np.array([
        [-np.inf, np.nan, np.nan, np.nan, np.nan],  # a diverged model: the target is NaN
        [-np.inf, 0.5, np.nan, 0.1, -np.inf],       # a NaN candidate beats the target
        [-np.inf, np.nan, 0.2, 0.9, -np.inf],       # NaN target among 3 unmasked candidates
    ])
    ranks = target_ranks(scores, np.array([2, 1, 1]))
    assert list(ranks) == [4, 2, 3]
    metrics = ranking_metrics(target_ranks(np.full((5, 20), np.nan), np.arange(5)))
    assert metrics["hr@10"] == 0.0 and np.isfinite(list(metrics.values())).all()


def test_metrics_agree_with_keras_rs_on_tie_free_scores():
    # keras-rs' ranking metrics are an independent implementation; with distinct scores and
    # one relevant item per row, NDCG@10, recall@10 (= HR@10) and MRR must match ours.
    import keras_rs

    rng = np.random.default_rng(7)
    scores = rng.permutation(60 * 30).reshape(60, 30).astype(np.float32)  # all distinct
    targets = rng.integers(0, 30, size=60)
    relevance = np.zeros_like(scores)
    relevance[np.arange(60), targets] = 1.0
    ours = ranking_metrics(target_ranks(scores, targets))
    for metric, name in ((keras_rs.metrics.NDCG(k=10), "ndcg@10"),
                         (keras_rs.metrics.RecallAtK(k=10), "hr@10"),
                         (keras_rs.metrics.MeanReciprocalRank(), "mrr")):
        metric.update_state(relevance, scores)
        assert float(metric.result()) == pytest.approx(ours[name], rel=1e-5), name


def test_popular_ranks_match_ranking_one_full_matrix():
    from recdemo.metrics import popular_ranks

    rng = np.random.default_rng(0)
    counts = rng.integers(0, 5, size=30)  # many ties: the conservative policy matters
    catalogue = rng.random(30) > 0.1
    histories = [rng.choice(30, size=rng.integers(0, 6), replace=False) for _ in range(40)]
    targets = rng.integers(0, 30, size=40)
    scores = np.tile(np.where(catalogue, counts.astype(float), -np.inf), (40, 1))
    for row, items in enumerate(histories):
        scores[row, items] = -np.inf
    expected = target_ranks(scores, targets)
    assert popular_ranks(counts, catalogue, histories, targets, rows_per_batch=7).tolist() == \
        expected.tolist()
