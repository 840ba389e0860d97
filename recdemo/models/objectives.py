"""The training objectives, in one place, behind one interface (`Objective`).

A model produces *outputs* for its query inputs (a user vector, or one vector per sequence
position); an objective turns those outputs and the model's item table into predictions, says
which Keras loss compares them with the labels, and builds the extra inputs and labels its
examples need. Models pick one by name (`SASRec(loss=...)`); `"softmax"` is the catalogue
softmax for every model (artifacts saved with its old name, `"ce"`, still load).

- `CatalogueSoftmax`: logits over the whole catalogue, softmax cross-entropy (the shipped one).
- `SampledBCE`: the SASRec paper's binary cross-entropy on the positive and one sampled
  negative per position.
- `RatingMSE`: the Keras two-tower example's regression of the rating on the dot product.
- `SampledSoftmax` (`sampled_softmax.py`): softmax over the target and `num_negatives` items
  sampled for its row at every step, logQ-corrected: per-step memory does not grow with the
  catalogue.

Every model accepts `loss="sampled"` (`--loss sampled --num-negatives N --sampler ...`).
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


# Every loss divides its weighted sum by the batch's size (rows x positions), never by the
# batch's own weight: the batches' sample weights (`recdemo.epochs.per_position`) give every
# real position the same weight in every batch, so a batch of short rows (a length bucket, a
# batch with much padding) does not weigh each of its positions more.
REDUCTION = "sum_over_batch_size"

# Names an objective was saved under before it got its one name.
ALIASES = {"ce": "softmax"}


def canonical(name):
    """An objective's name as models and the CLI spell it now (old names still load)."""
    return ALIASES.get(name, name)


class Objective:
    """What a training objective answers; the trainer asks only through these.

    Subclasses implement `loss`, `predictions` and `examples`, and say whether the
    validation loss comes with the validation ranking (`loss_from_ranking`: a softmax over
    the catalogue's scores) or needs a pass over the objective's own validation examples.
    """

    loss_from_ranking = False

    @classmethod
    def for_model(cls, model) -> Objective:
        """The objective configured for `model` (most need nothing from it)."""
        return cls()

    def loss(self) -> keras.losses.Loss:
        """The Keras loss that compares `predictions` with the labels."""
        raise NotImplementedError

    def predictions(self, outputs, item_table, extra):
        """What the loss compares with the labels, from the model's outputs."""
        raise NotImplementedError

    def examples(self, query, targets, weights, **context) -> tuple:
        """`(inputs, labels, sample_weight)` for a batch of query inputs and their targets."""
        raise NotImplementedError

    def adapt(self, item_counts: np.ndarray) -> None:
        """Learn what the objective needs from the train part's per-item counts (nothing by
        default)."""

    def ranking_loss_function(self, seed: int):
        """The per-row validation loss from ranking scores, or None for the full softmax's
        (`recdemo.evaluation.ranks_with_loss`)."""
        return None


class TargetLoss(keras.losses.Loss):
    """The objective's own per-example loss, which the model already computed as its
    predictions: weighted and reduced by Keras like any other loss."""

    def call(self, y_true, y_pred):
        return y_pred


class CatalogueSoftmax(Objective):
    """Full-catalogue softmax cross-entropy: the target item against every item id.

    The model's predictions are the per-example loss itself, `logsumexp(logits) - target
    logit`, computed on outputs flattened to `(examples, dim)`. Keras'
    `SparseCategoricalCrossentropy` on `(batch, length, num_items)` logits computes the same
    number but builds a one-hot label tensor as large as the logits and runs the matmul and
    its gradients as a batched 3-D product; on a 2-core CPU this head took about half of a
    SASRec step, and a flat product with the target logit gathered is a third faster.
    """

    loss_from_ranking = True

    def loss(self) -> keras.losses.Loss:
        """The predicted per-example cross-entropy, weighted (padding weighs 0)."""
        return TargetLoss(reduction=REDUCTION, name="catalogue_softmax")

    def predictions(self, outputs, item_table, extra):
        """`(batch[, positions])` cross-entropy of each target against the whole catalogue."""
        targets = extra["positives"]
        flat = ops.reshape(outputs, (-1, ops.shape(outputs)[-1]))
        flat_targets = ops.reshape(targets, (-1,))
        logits = ops.matmul(flat, ops.transpose(item_table))
        target_logits = ops.sum(flat * ops.take(item_table, flat_targets, axis=0), axis=-1)
        return ops.reshape(ops.logsumexp(logits, axis=-1) - target_logits, ops.shape(targets))

    def examples(self, query, targets, weights, **context) -> tuple:
        """The targets become an input (the loss needs their logits); they are also the
        labels Keras carries along."""
        return {"query": query, "positives": targets}, targets, weights


class SampledBCE(Objective):
    """Binary cross-entropy on (positive, sampled negative) logit pairs at every position; the
    negative is resampled each epoch and is never one of the example's owner's items."""

    def loss(self) -> keras.losses.Loss:
        """Binary cross-entropy on logits, weighted."""
        return keras.losses.BinaryCrossentropy(
            from_logits=True, reduction=REDUCTION)

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


class RatingMSE(Objective):
    """Mean squared error of the rating (1-5 stars rescaled to 0-1) on the dot product."""

    def loss(self) -> keras.losses.Loss:
        """Mean squared error, weighted."""
        return keras.losses.MeanSquaredError(reduction=REDUCTION)

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

    Vectorised rejection sampling: every position draws from the whole catalogue at once and
    only the draws that hit the row's own items are drawn again (a per-row `setdiff1d` cost a
    quarter of a BCE epoch). Uniform over the catalogue, conditioned on missing the row's
    items, is uniform over the allowed items.

    Args:
        owner_items: for each row, every item of the user it belongs to.
        length: positions per row.
        rng: the random generator (a new draw per call = resampled every epoch).

    Returns:
        `(rows, length)` int32 negative item ids.

    Raises:
        ValueError: a row's owner has every item, so no negative exists.
    """
    every = np.concatenate(owner_items).astype(np.int64)
    catalogue = np.flatnonzero(np.bincount(every))
    rows = np.repeat(np.arange(len(owner_items), dtype=np.int64),
                     [len(items) for items in owner_items])
    # A (row, item) pair as one sorted key array, so membership is one binary search for all
    # rows (sorting beats `np.unique`'s hashing here by 10x).
    base = np.int64(catalogue[-1]) + 1
    owned = np.sort(rows * base + every)
    distinct = owned[np.r_[True, owned[1:] != owned[:-1]]]
    if np.any(np.bincount(distinct // base, minlength=len(owner_items)) >= len(catalogue)):
        raise ValueError("A user has interacted with every item: no negative can be sampled.")

    def is_owned(keys):
        found = np.minimum(np.searchsorted(distinct, keys), len(distinct) - 1)
        return distinct[found] == keys

    out = catalogue[rng.integers(len(catalogue), size=(len(owner_items), length))]
    row_keys = np.arange(len(owner_items), dtype=np.int64)[:, None] * base
    redraw = is_owned(row_keys + out)
    while redraw.any():
        out[redraw] = catalogue[rng.integers(len(catalogue), size=int(redraw.sum()))]
        redraw[redraw] = is_owned((row_keys + out)[redraw])
    return out.astype(np.int32)
