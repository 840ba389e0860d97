"""The sampled softmax objective: each target against a few items sampled for its row at
every step, logQ-corrected, so the step's memory does not grow with the catalogue."""

from __future__ import annotations

import functools

import keras
import numpy as np
from keras import ops
from scipy.special import logsumexp

from recdemo.models.objectives import REDUCTION, Objective
from recdemo.validation import check_choice, check_int

# A finite "minus infinity" for masked logits (an infinite one would make 0 * inf = NaN in
# gradients of fully masked rows).
MASKED_LOGIT = -1e9
SAMPLERS = ("uniform", "popularity")


class SampledSoftmax(keras.layers.Layer, Objective):
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

    loss_from_ranking = True

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

    @classmethod
    def for_model(cls, model) -> SampledSoftmax:
        """Sized and configured from the model's `num_items`, `num_negatives` and `sampler`."""
        return cls(model.num_items, model.num_negatives, model.sampler, name="sampled_softmax")

    def ranking_loss_function(self, seed: int):
        """`ranking_loss` with negatives from a generator seeded by `seed`: the same negatives
        every epoch, so epochs compare."""
        return functools.partial(self.ranking_loss, rng=np.random.default_rng(seed))

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
            from_logits=True, reduction=REDUCTION)

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

    def ranking_loss(self, queries: np.ndarray, item_table: np.ndarray, targets: np.ndarray,
                     rng: np.random.Generator) -> np.ndarray:
        """Per-row sampled-softmax loss of `targets` for the validation ranking's query
        vectors: the training loss at one position, with negatives from `rng`, scored only on
        the candidates (no second forward pass: a Keras `evaluate` over every position costs
        about a seventh of a SASRec epoch)."""
        negatives = self.draw_negatives(len(targets), rng)
        candidates = np.concatenate([targets[:, None], negatives], axis=1)
        scores = np.einsum("rd,rcd->rc", queries, item_table[candidates])
        cdf = np.asarray(keras.ops.convert_to_numpy(self.cdf), np.float64)
        probability = np.diff(cdf, prepend=0.0) / cdf[-1]
        probability[0] = 0.0
        logits = (scores - np.log(np.clip(probability[candidates], self.correction.epsilon, 1.0)))
        logits[:, 1:][negatives == targets[:, None]] = MASKED_LOGIT
        return logsumexp(logits, axis=-1) - logits[:, 0]

    def examples(self, query, targets, weights, **context) -> tuple:
        """The targets become an input; the label is candidate 0 everywhere."""
        return ({"query": query, "positives": targets}, np.zeros(targets.shape, np.int32),
                weights)
