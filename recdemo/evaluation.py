"""Full-catalogue evaluation of a `Recommender` (and the most-popular baseline) on one part of
the leave-one-out split, through the same scoring code that serves recommendations."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.special import logsumexp

from recdemo.dataset import Dataset, catalogue_mask
from recdemo.metrics import popular_ranks, ranking_metrics, target_ranks
from recdemo.recommend import Recommender, mask_scores
from recdemo.split import LeaveOneOutSplit

_ROWS_PER_BATCH = 256


def evaluate(recommender: Recommender, part: str = "test") -> dict[str, float]:
    """HR@10, NDCG@10 and MRR of a recommender on `part` (`"valid"` or `"test"`).

    Validation inputs are the train items; test inputs are train + validation items. The input
    history is masked and ties count against the model (see `recdemo.metrics`).
    """
    return ranking_metrics(held_out_ranks(recommender, part)[1])


def held_out_ranks(recommender: Recommender, part: str = "test") -> tuple[np.ndarray, ...]:
    """`(users, ranks)`: every user's conservative rank of their `part` movie, users in the
    split's order (what a paired comparison of two models needs)."""
    users, ranks, _ = ranks_with_loss(recommender, part)
    return users, ranks


def evaluate_with_loss(recommender: Recommender, part: str = "test",
                       row_loss: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
                       ) -> tuple[dict, float]:
    """`evaluate`, plus the mean loss of the targets (see `ranks_with_loss`)."""
    _, ranks, loss = ranks_with_loss(recommender, part, row_loss)
    return ranking_metrics(ranks), loss


def ranks_with_loss(recommender: Recommender, part: str = "test",
                    row_loss: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
                    ) -> tuple[np.ndarray, np.ndarray, float]:
    """`(users, ranks, mean loss)`: the held-out ranks, and the mean loss of the targets from
    the same forward pass (unmasked scores, as the training loss sees them): the validation
    loss of a softmax-trained model at the one position that counts, at no extra cost.

    `row_loss(scores, targets)` gives per-row losses; by default the full-catalogue softmax
    cross-entropy (a sampled-softmax model passes its own, `SampledSoftmax.ranking_loss`).
    """
    users, histories, targets = recommender.split.cases(part)
    ranks, losses = [], []
    for start in range(0, len(users), _ROWS_PER_BATCH):
        rows = slice(start, start + _ROWS_PER_BATCH)
        raw = recommender.raw_scores(list(users[rows]), histories[rows])
        losses.append(row_loss(raw, targets[rows]) if row_loss else
                      logsumexp(raw, axis=-1) - raw[np.arange(len(raw)), targets[rows]])
        ranks.append(target_ranks(mask_scores(raw, recommender.catalogue, histories[rows]),
                                  targets[rows]))
    return np.asarray(users), np.concatenate(ranks), float(np.concatenate(losses).mean())


def most_popular(dataset: Dataset, split: LeaveOneOutSplit, part: str = "test") -> dict:
    """The same metrics for ranking every user's unseen movies by train-part popularity."""
    _, histories, targets = split.cases(part)
    return ranking_metrics(popular_ranks(split.train_counts(dataset.num_items),
                                         catalogue_mask(dataset, dataset.num_items),
                                         histories, targets))
