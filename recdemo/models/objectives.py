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
- `SampledSoftmax`: softmax over the target and `num_negatives` items sampled for its row at
  every step, logQ-corrected: per-step memory does not grow with the catalogue.

Every model accepts `loss="sampled"` (`--loss sampled --num-negatives N --sampler ...`).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops
from scipy.special import logsumexp

from recdemo.validation import check_choice, check_int


def split_inputs(inputs) -> tuple:
    """`(query inputs, extra inputs or None)`: objectives with extra inputs pass a dict whose
    `"query"` entry is what the model encodes."""
    if isinstance(inputs, dict):
        return inputs["query"], inputs
    return inputs, None


class TargetLoss(keras.losses.Loss):
    """The objective's own per-example loss, which the model already computed as its
    predictions: weighted and reduced by Keras like any other loss."""

    def call(self, y_true, y_pred):
        return y_pred


class CatalogueSoftmax:
    """Full-catalogue softmax cross-entropy: the target item against every item id.

    The model's predictions are the per-example loss itself, `logsumexp(logits) - target
    logit`, computed on outputs flattened to `(examples, dim)`. Keras'
    `SparseCategoricalCrossentropy` on `(batch, length, num_items)` logits computes the same
    number but builds a one-hot label tensor as large as the logits and runs the matmul and
    its gradients as a batched 3-D product; on a 2-core CPU this head took about half of a
    SASRec step, and as a flat product with the target logit gathered a SASRec epoch (batch
    128) went from 4.8 s to 3.2 s.
    """

    def loss(self) -> keras.losses.Loss:
        """The predicted per-example cross-entropy, weighted (padding weighs 0)."""
        return TargetLoss(reduction="mean_with_sample_weight", name="catalogue_softmax")

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


# A finite "minus infinity" for masked logits (an infinite one would make 0 * inf = NaN in
# gradients of fully masked rows).
MASKED_LOGIT = -1e9
SAMPLERS = ("uniform", "popularity")


class SampledSoftmax(keras.layers.Layer):
    """Sampled softmax: each position's target against `num_negatives` items drawn for its
    row at every training step.

    Negatives come from `sampler`: `"uniform"` over the real item ids, or `"popularity"` (in
    proportion to the item's train interactions, set by `adapt`). Every candidate's logit is
    corrected by minus the log of its sampling probability (logQ, keras-rs
    `SamplingProbabilityCorrection`), so the sampled loss estimates the full softmax's without
    the popularity bias of the sample. A negative that is the row's own target is masked.

    Negatives are drawn per row, not once per batch: on ml-100k a sequence epoch is only ~20
    batches, and one shared draw per step left GRU4Rec at 0.12 HR@10 (0.21 with the full
    softmax) even with 2,000 negatives. The step's cost and memory are
    `batch x positions x (1 + num_negatives)` logits plus a `batch x num_negatives x dim` gather:
    nothing grows with the catalogue except the item table itself and the `num_items` floats
    of the sampling table.

    Args:
        num_items: size of the item id space (id 0, padding, is never sampled).
        num_negatives: negatives per step.
        sampler: `"uniform"` or `"popularity"`.
        seed: seeds the negative sampling (None: from Keras' global seed).
    """

    def __init__(self, num_items: int, num_negatives: int = 100, sampler: str = "uniform",
                 seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        # keras-rs is imported here, not at module level: serving never needs it (1.4 s).
        from keras_rs.layers import SamplingProbabilityCorrection

        check_int("num_negatives", num_negatives)
        check_choice("sampler", sampler, SAMPLERS)
        self.num_items = num_items
        self.num_negatives = num_negatives
        self.sampler = sampler
        self.seed_generator = keras.random.SeedGenerator(seed)
        # Cumulative sampling weights over item ids: `cdf[i] - cdf[i - 1]` is item i's weight.
        self.cdf = self.add_weight(shape=(num_items,), trainable=False, name="sampling_cdf",
                                   initializer=keras.initializers.Constant(
                                       np.arange(num_items, dtype=np.float32)))
        self.correction = SamplingProbabilityCorrection()
        self.built = True

    def adapt(self, item_counts: np.ndarray) -> None:
        """Set the popularity sampler's weights from per-item train interaction counts (the
        uniform sampler keeps its weights)."""
        if self.sampler == "popularity":
            counts = np.asarray(item_counts, dtype=np.float64)[: self.num_items].copy()
            counts[0] = 0.0
            self.cdf.assign(np.cumsum(counts).astype(np.float32))

    def probabilities(self, item_ids):
        """Sampling probability of each id (padding: 0)."""
        previous = ops.take(self.cdf, ops.maximum(item_ids - 1, 0), axis=0)
        weight = ops.where(item_ids > 0, ops.take(self.cdf, item_ids, axis=0) - previous, 0.0)
        return weight / self.cdf[-1]

    def sample(self, rows: int):
        """`(rows, num_negatives)` item ids drawn from the sampler (inverse CDF: O(log
        catalogue) per draw, no catalogue-sized temporary)."""
        draws = keras.random.uniform((rows, self.num_negatives), seed=self.seed_generator)
        ids = ops.searchsorted(self.cdf, ops.reshape(draws, (-1,)) * self.cdf[-1],
                               side="right")
        return ops.reshape(ops.cast(ops.clip(ids, 1, self.num_items - 1), "int32"),
                           (rows, self.num_negatives))

    def loss(self) -> keras.losses.Loss:
        """Cross-entropy with the target at candidate 0, weighted (padding weighs 0)."""
        return keras.losses.SparseCategoricalCrossentropy(
            from_logits=True, reduction="mean_with_sample_weight")

    def predictions(self, outputs, item_table, extra):
        """`(batch, [positions,] 1 + num_negatives)` corrected logits: the target first, then
        the row's negatives (one draw per row, shared by its positions)."""
        positives = extra["positives"]
        negatives = self.sample(ops.shape(outputs)[0])
        positive = ops.sum(outputs * ops.take(item_table, positives, axis=0), axis=-1)
        negative_table = ops.take(item_table, negatives, axis=0)
        if len(ops.shape(outputs)) == 3:  # sequences: every position against its row's draw
            negative = ops.einsum("bld,bnd->bln", outputs, negative_table)
            negatives = ops.expand_dims(negatives, 1)
        else:
            negative = ops.einsum("bd,bnd->bn", outputs, negative_table)
        logits = ops.concatenate([ops.expand_dims(positive, -1), negative], axis=-1)
        probability = ops.concatenate(
            [ops.expand_dims(self.probabilities(positives), -1),
             ops.broadcast_to(self.probabilities(negatives), ops.shape(negative))], axis=-1)
        logits = self.correction(logits, probability)
        # keras-rs 0.4's `RemoveAccidentalHits` cannot do this: it adds +1e-40 to a hit's
        # logit (a no-op in float32) and, with per-row candidates, reads every row's positive
        # id from row 0 (keras-team/keras-rs PR #206; `tests/test_objectives.py` pins the
        # first, so an upgrade that fixes it shows up).
        hits = ops.equal(ops.expand_dims(positives, -1), negatives)
        hits = ops.concatenate([ops.zeros_like(hits[..., :1]), hits], axis=-1)
        return ops.where(hits, MASKED_LOGIT, logits)

    def draw_negatives(self, rows: int, rng: np.random.Generator) -> np.ndarray:
        """`(rows, num_negatives)` item ids from the sampler, drawn by NumPy's `rng` (the
        ranking-pass loss below; training draws on the device with `sample`)."""
        cdf = np.asarray(keras.ops.convert_to_numpy(self.cdf), np.float64)
        ids = np.searchsorted(cdf, rng.random((rows, self.num_negatives)) * cdf[-1],
                              side="right")
        return np.clip(ids, 1, self.num_items - 1)

    def ranking_loss(self, scores: np.ndarray, targets: np.ndarray,
                     rng: np.random.Generator) -> np.ndarray:
        """Per-row sampled-softmax loss of `targets` from full `(rows, items)` scores: the
        training loss at one position, with negatives from `rng`. Validation gets its loss
        from the validation ranking's scores instead of a second forward pass (a Keras
        `evaluate` over every position: about a seventh of a SASRec epoch)."""
        negatives = self.draw_negatives(len(targets), rng)
        candidates = np.concatenate([targets[:, None], negatives], axis=1)
        cdf = np.asarray(keras.ops.convert_to_numpy(self.cdf), np.float64)
        probability = np.diff(cdf, prepend=0.0) / cdf[-1]
        probability[0] = 0.0
        logits = (np.take_along_axis(scores, candidates, axis=1)
                  - np.log(np.clip(probability[candidates], self.correction.epsilon, 1.0)))
        logits[:, 1:][negatives == targets[:, None]] = MASKED_LOGIT
        return logsumexp(logits, axis=-1) - logits[:, 0]

    def examples(self, query, targets, weights, **context) -> tuple:
        """The targets become an input; the label is candidate 0 everywhere."""
        return ({"query": query, "positives": targets}, np.zeros(targets.shape, np.int32),
                weights)


def build(classes: dict, name: str, model) -> object:
    """The objective `classes[name]` for `model`; the sampled softmax is sized and configured
    from the model's `num_items`, `num_negatives` and `sampler`."""
    if classes[name] is SampledSoftmax:
        return SampledSoftmax(model.num_items, model.num_negatives, model.sampler,
                              name="sampled_softmax")
    return classes[name]()


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
