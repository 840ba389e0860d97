"""The three training objectives, in one place.

A model produces *outputs* for its query inputs (a user vector, or one vector per sequence
position); an objective turns those outputs and the model's item table into predictions, says
which Keras loss compares them with the labels, and builds the extra inputs and labels its
examples need. Models pick one by name (`SASRec(loss=...)`, `TwoTower(objective=...)`), so the
names stored in artifacts' configs are unchanged.

- `CatalogueSoftmax`: logits over the whole catalogue, softmax cross-entropy (the shipped one).
- `SampledBCE`: the SASRec paper's binary cross-entropy on the positive and one sampled
  negative per position.
- `RatingMSE`: the Keras two-tower example's regression of the rating on the dot product.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops


def split_inputs(inputs) -> tuple:
    """`(query inputs, extra inputs or None)`: objectives with extra inputs pass a dict whose
    `"query"` entry is what the model encodes."""
    if isinstance(inputs, dict):
        return inputs["query"], inputs
    return inputs, None


class CatalogueSoftmax:
    """Full-catalogue softmax cross-entropy: the target item against every item id."""

    def loss(self) -> keras.losses.Loss:
        """Sparse categorical cross-entropy on logits, weighted (padding weighs 0)."""
        return keras.losses.SparseCategoricalCrossentropy(
            from_logits=True, reduction="mean_with_sample_weight")

    def predictions(self, outputs, item_table, extra):
        """`(..., num_items)` logits: every output scored against every item."""
        return ops.matmul(outputs, ops.transpose(item_table))

    def examples(self, query, targets, weights, **context) -> tuple:
        """The examples as they are: the targets are the labels."""
        return query, targets, weights


class SampledBCE:
    """Binary cross-entropy on (positive, sampled negative) logit pairs at every position; the
    negative is resampled each epoch and is never one of the example's owner's items."""

    def loss(self) -> keras.losses.Loss:
        """Binary cross-entropy on logits, weighted."""
        return keras.losses.BinaryCrossentropy(
            from_logits=True, reduction="mean_with_sample_weight")

    def predictions(self, outputs, item_table, extra):
        """`(..., 2)` logits of the positive and the negative item."""
        positive = ops.sum(outputs * ops.take(item_table, extra["positives"], axis=0), axis=-1)
        negative = ops.sum(outputs * ops.take(item_table, extra["negatives"], axis=0), axis=-1)
        return ops.stack([positive, negative], axis=-1)

    def examples(self, query, targets, weights, *, owner_items, rng, **context) -> tuple:
        """Adds fresh negatives; labels are `[1, 0]` per position."""
        negatives = sample_negatives(owner_items, targets.shape[-1], rng)
        labels = np.broadcast_to(np.array([1.0, 0.0], np.float32), (*targets.shape, 2))
        return ({"query": query, "positives": targets, "negatives": negatives}, labels,
                weights)


class RatingMSE:
    """Mean squared error of the rating (1-5 stars rescaled to 0-1) on the dot product."""

    def loss(self) -> keras.losses.Loss:
        """Mean squared error, weighted."""
        return keras.losses.MeanSquaredError(reduction="mean_with_sample_weight")

    def predictions(self, outputs, item_table, extra):
        """`(batch,)` predicted ratings."""
        return ops.sum(outputs * ops.take(item_table, extra["movie_id"], axis=0), axis=-1)

    def examples(self, query, targets, weights, *, ratings, **context) -> tuple:
        """The rated movie becomes an input; the rescaled stars are the labels."""
        return ({"query": query, "movie_id": targets},
                ((np.asarray(ratings) - 1.0) / 4.0).astype(np.float32), weights)


def sample_negatives(owner_items: list[np.ndarray], length: int,
                     rng: np.random.Generator) -> np.ndarray:
    """One negative per position per row, uniform over the items seen in any row and never one
    of that row's owner's items.

    Args:
        owner_items: for each row, every item of the user it belongs to.
        length: positions per row.
        rng: the random generator (a new draw per call = resampled every epoch).

    Returns:
        `(rows, length)` int32 negative item ids.
    """
    catalogue = np.unique(np.concatenate(owner_items))
    out = np.empty((len(owner_items), length), dtype=np.int32)
    for row, own in enumerate(owner_items):
        allowed = np.setdiff1d(catalogue, own, assume_unique=False)
        out[row] = rng.choice(allowed, size=length)
    return out
