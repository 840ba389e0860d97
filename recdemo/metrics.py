"""Full-catalogue ranking metrics with a conservative tie policy.

A target's rank is the number of candidates scoring **>=** the target (the target included), so
a model that gives many items the same score gets no credit for the tie. Masked candidates carry
`-inf` and never count. NaN is ranked as badly as possible: a NaN candidate counts as beating
the target, and a NaN target ranks last among the unmasked candidates (`scores >= nan` is False
everywhere, which would otherwise make a diverged model look perfect).
"""

from __future__ import annotations

import numpy as np

METRIC_NAMES = ("hr@10", "ndcg@10", "mrr")


def target_ranks(scores: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """1-based conservative rank of each row's target.

    Args:
        scores: `(batch, num_items)` masked scores.
        targets: `(batch,)` target item ids (column indices).

    Returns:
        `(batch,)` int ranks; 1 is best.
    """
    target_scores = scores[np.arange(len(targets)), targets]
    nan = np.isnan(scores)
    beaten_by = ((scores >= target_scores[:, None]) | nan).sum(axis=1)
    unmasked = (scores != -np.inf).sum(axis=1)  # NaN != -inf, so NaNs count here too
    return np.where(np.isnan(target_scores), unmasked, beaten_by)


def per_user_scores(ranks: np.ndarray, metric: str) -> np.ndarray:
    """Each user's contribution to a metric, from their target's rank.

    Args:
        ranks: `(users,)` 1-based ranks.
        metric: `"hr@K"` (1 if rank <= K else 0), `"ndcg@K"` (1 / log2(rank + 1) if rank <= K
            else 0, one relevant item) or `"mrr"` (1 / rank).

    Returns:
        `(users,)` float64 scores; their mean is the metric.
    """
    ranks = np.asarray(ranks, dtype=np.float64)
    name, _, cutoff = metric.partition("@")
    if metric == "mrr":
        return 1.0 / ranks
    if name in ("hr", "ndcg") and cutoff.isascii() and cutoff.isdigit() and int(cutoff) > 0:
        hit = ranks <= int(cutoff)
        return hit.astype(np.float64) if name == "hr" else hit / np.log2(ranks + 1.0)
    raise ValueError(f"Unknown metric {metric!r}: use 'hr@K', 'ndcg@K' or 'mrr'.")


def ranking_metrics(ranks: np.ndarray, k: int = 10) -> dict[str, float]:
    """HR@k, NDCG@k (one relevant item) and MRR from target ranks."""
    return {name: float(per_user_scores(ranks, name).mean())
            for name in (f"hr@{k}", f"ndcg@{k}", "mrr")}
