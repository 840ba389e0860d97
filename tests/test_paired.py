"""The paired comparison and the verdicts built on it, against hand-made and NumPy references."""

import numpy as np
import pytest

from recdemo.metrics import per_user_scores, ranking_metrics
from recdemo.paired import BETTER, NO_DIFFERENCE, WORSE, paired_comparison
from recdemo.verdict import MIXED, aligned, compare, ranks_of, verdict


def test_per_user_scores_by_hand():
    ranks = np.array([1, 3, 10, 11])
    assert per_user_scores(ranks, "hr@10").tolist() == [1, 1, 1, 0]
    assert per_user_scores(ranks, "ndcg@10") == pytest.approx(
        [1.0, 1 / np.log2(4), 1 / np.log2(11), 0.0])
    assert per_user_scores(ranks, "mrr") == pytest.approx([1, 1 / 3, 1 / 10, 1 / 11])
    assert ranking_metrics(ranks)["ndcg@10"] == pytest.approx(
        (1 + 1 / np.log2(4) + 1 / np.log2(11)) / 4)
    with pytest.raises(ValueError, match="Unknown metric"):
        per_user_scores(ranks, "hr@x")


def test_counts_and_difference_by_hand():
    a, b = np.array([1, 3, 50, 2, 20]), np.array([2, 3, 40, 1, 20])
    result = paired_comparison(a, b, "hr@10")
    # Users 1, 2, 4 hit in both; 3 and 5 miss in both: all tied on the hit rate.
    assert (result.wins, result.ties, result.losses) == (0, 5, 0)
    assert result.difference == 0 and result.low == result.high == 0
    assert result.verdict == NO_DIFFERENCE
    ndcg = paired_comparison(a, b, "ndcg@10")
    assert (ndcg.wins, ndcg.ties, ndcg.losses) == (1, 3, 1)
    expected = np.mean(per_user_scores(a, "ndcg@10") - per_user_scores(b, "ndcg@10"))
    assert ndcg.difference == pytest.approx(expected)
    assert ndcg.users == 5


def test_interval_matches_the_normal_approximation_on_many_users():
    rng = np.random.default_rng(1)
    a = rng.integers(1, 40, size=5000)
    b = np.clip(a + rng.integers(-6, 4, size=5000), 1, None)
    result = paired_comparison(a, b, "ndcg@10", resamples=4000)
    differences = per_user_scores(a, "ndcg@10") - per_user_scores(b, "ndcg@10")
    half = 1.96 * differences.std(ddof=1) / np.sqrt(len(differences))
    assert result.low == pytest.approx(differences.mean() - half, abs=half * 0.1)
    assert result.high == pytest.approx(differences.mean() + half, abs=half * 0.1)


def test_a_clear_gain_is_better_and_its_mirror_worse():
    rng = np.random.default_rng(0)
    good, poor = rng.integers(1, 4, size=300), rng.integers(5, 60, size=300)
    assert paired_comparison(good, poor).verdict == BETTER
    assert paired_comparison(poor, good).verdict == WORSE


def test_noise_is_no_detectable_difference():
    """Two seeds of the same quality: a nominal gain, but an interval across zero."""
    rng = np.random.default_rng(3)
    a, b = rng.integers(1, 30, size=900), rng.integers(1, 30, size=900)
    result = paired_comparison(a, b)
    assert result.difference != 0
    assert result.low < 0 < result.high and result.verdict == NO_DIFFERENCE


def test_the_same_inputs_give_the_same_interval():
    a, b = np.arange(1, 101), np.arange(100, 0, -1)
    assert paired_comparison(a, b) == paired_comparison(a, b)


def test_mismatched_users_are_refused():
    with pytest.raises(ValueError, match="same users"):
        paired_comparison(np.array([1, 2]), np.array([1, 2, 3]))


def test_aligned_pairs_users_by_id():
    a = (np.array([3, 1, 2]), np.array([30, 10, 20]))
    b = (np.array([2, 3, 4]), np.array([200, 300, 400]))
    left, right = aligned(a, b)
    assert left.tolist() == [20, 30] and right.tolist() == [200, 300]


def test_verdict_wording():
    rng = np.random.default_rng(0)
    users = np.arange(300)
    good, poor = (users, rng.integers(1, 4, size=300)), (users, rng.integers(5, 60, size=300))
    better = verdict(compare(good, poor), "this run", "the served SASRec", "on validation")
    assert better.outcome == BETTER
    assert better.sentence.startswith("This run is **better** than the served SASRec on "
                                      "validation: NDCG@10 +")
    same = verdict(compare(good, good), "this run", "the served SASRec", "on validation")
    assert same.outcome == NO_DIFFERENCE and "**No detectable difference**" in same.sentence
    assert "0 users better, 0 worse, 300 tied" in same.sentence


def test_metrics_that_disagree_are_mixed():
    # A always has the hit at rank 10 (ndcg 0.29); B hits at rank 1 half the time, else misses.
    users = np.arange(400)
    a = (users, np.full(400, 10))
    b = (users, np.where(users % 2 == 0, 1, 11))
    comparisons = compare(a, b)
    assert comparisons["hr@10"].verdict == BETTER and comparisons["ndcg@10"].verdict == WORSE
    assert verdict(comparisons, "A", "B", "on test").outcome == MIXED


def test_recorded_ranks_are_read_and_refit_validation_is_not_guessed():
    metrics = {"ranks": {"valid": {"users": [1, 2], "ranks": [4, 9]}}}
    users, ranks = ranks_of(metrics, "valid")
    assert users.tolist() == [1, 2] and ranks.tolist() == [4, 9]
    assert ranks_of({}, "valid") is None

    class Refit:
        class model:
            refits_on_validation = True

    assert ranks_of({}, "valid", Refit) is None
