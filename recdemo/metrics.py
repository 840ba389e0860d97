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


def popular_ranks(counts: np.ndarray, catalogue: np.ndarray, histories: list[np.ndarray],
                  targets: np.ndarray, rows_per_batch: int = 256) -> np.ndarray:
    """Each row's target rank when every unseen catalogue item is ranked by `counts` (the
    most-popular baseline), with the same masks and tie policy as `target_ranks`, a batch of
    rows at a time so memory stays `rows_per_batch x items` whatever the number of users.

    Args:
        counts: `(num_items,)` popularity of every item id.
        catalogue: `(num_items,)` bool, the ids that may be ranked.
        histories: per row the items to exclude.
        targets: `(rows,)` target ids.
    """
    base = np.where(catalogue, counts.astype(np.float64), -np.inf)
    ranks = []
    for start in range(0, len(targets), rows_per_batch):
        rows = slice(start, start + rows_per_batch)
        scores = np.tile(base, (len(targets[rows]), 1))
        for row, items in enumerate(histories[rows]):
            scores[row, items] = -np.inf
        ranks.append(target_ranks(scores, targets[rows]))
    return np.concatenate(ranks) if ranks else np.zeros(0, dtype=np.int64)
