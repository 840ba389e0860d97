"""Full-catalogue evaluation of a `Recommender` (and the most-popular baseline) on one part of
the leave-one-out split, through the same scoring code that serves recommendations."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from recdemo.dataset import Dataset, catalogue_mask
from recdemo.metrics import popular_ranks, ranking_metrics
from recdemo.recommend import Recommender
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

    `row_loss(queries, item_table, targets)` gives per-row losses; by default the
    full-catalogue softmax cross-entropy (a sampled-softmax model passes its own,
    `SampledSoftmax.ranking_loss`). Ranks and the default loss are computed on the device
    (`Recommender.target_ranks`); no users x items matrix reaches the host.
    """
    users, histories, targets = recommender.split.cases(part)
    ranks, losses = [], []
    for start in range(0, len(users), _ROWS_PER_BATCH):
        rows = slice(start, start + _ROWS_PER_BATCH)
        queries = recommender.query_vectors(list(users[rows]), histories[rows])
        chunk_ranks, softmax_losses = recommender.target_ranks(
            queries, histories[rows], targets[rows], with_loss=row_loss is None)
        ranks.append(chunk_ranks)
        losses.append(row_loss(queries, recommender.item_table, targets[rows]) if row_loss
                      else softmax_losses)
    return np.asarray(users), np.concatenate(ranks), float(np.concatenate(losses).mean())


def most_popular(dataset: Dataset, split: LeaveOneOutSplit, part: str = "test") -> dict:
    """The same metrics for ranking every user's unseen movies by train-part popularity."""
    _, histories, targets = split.cases(part)
    return ranking_metrics(popular_ranks(split.train_counts(dataset.num_items),
                                         catalogue_mask(dataset, dataset.num_items),
                                         histories, targets))
