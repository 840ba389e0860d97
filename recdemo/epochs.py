"""Training batches as Keras reads them: a `PyDataset` whose examples are rebuilt every epoch.

The models build their own examples (`RetrievalModel.training_examples`: windows, fresh
negatives); each epoch asks for new ones, pads them to whole batches with rows that weigh
nothing, and shuffles them with the run's NumPy generator. Every process of a multi-host run
builds the same epoch from the same seed and feeds its own share of each batch.

Sequence rows (a model with `max_len`) are batched by length: a batch holds rows of one
length bucket (8, 16, 32, ... up to `max_len`) cut to that length, so padding costs no
compute beyond a bucket's rounding and the compiled step shapes stay few. The sample weights
(`per_position`) give every real position the same weight in every batch, whatever its bucket
and however many real positions it holds, so grouping rows by length does not shift weight
toward short rows: an epoch's loss is the mean over its real positions.
"""

from __future__ import annotations

import keras
import numpy as np

from recdemo.distributed import local_batches, process_count
from recdemo.models.padding import bucket_lengths


def per_position(weights: np.ndarray, slots: int, total: float) -> np.ndarray:
    """One batch's sample weights scaled so that Keras' `sum_over_batch_size` reduction (sum
    over the batch, divided by its rows x positions) gives each real position the weight
    `slots / (rows * total)`: the same in every batch of the epoch, so that the epoch's mean
    batch loss is the mean over its real positions.

    Args:
        weights: the batch's `(rows[, positions])` weights (0 on padding).
        slots: rows in the whole epoch, weight-0 filler rows included.
        total: the epoch's summed weight (its real positions).
    """
    positions = weights.shape[1] if weights.ndim == 2 else 1
    return (weights * (positions * slots / max(total, 1e-12))).astype(np.float32)


def take_rows(rows: np.ndarray, x, y, weights) -> tuple:
    """`(x, y, sample_weight)` at `rows` (x may be a dict of arrays); copies."""
    x = {k: v[rows] for k, v in x.items()} if isinstance(x, dict) else x[rows]
    return x, y[rows], weights[rows]


def padded_to_batches(x, y, weights: np.ndarray, batch_size: int) -> tuple:
    """The examples with weight-0 copies of the first rows appended up to a multiple of
    `batch_size`.

    Data parallelism shards every batch evenly across devices, so a short last batch would not
    split; padding with rows that weigh nothing keeps every batch full, and `per_position`
    counts them as rows of the epoch, so the epoch's loss is unchanged. It is applied on one
    device as well, so a seed gives the same batches, and the same curve, on any device
    count.
    """
    count = len(weights)
    extra = -count % batch_size
    if not extra:
        return x, y, weights
    x, y, weights = take_rows(np.r_[np.arange(count), np.arange(extra) % count], x, y, weights)
    weights[count:] = 0
    return x, y, weights


def bucketed_batches(lengths: np.ndarray, buckets: list[int], batch_size: int,
                     rng: np.random.Generator) -> list[tuple[np.ndarray, int, np.ndarray]]:
    """Batches of rows whose real lengths share a bucket, in random order.

    Within a bucket the rows are shuffled and cut into batches of `batch_size`; a bucket's
    last batch is filled with repeats of its rows that weigh nothing.

    Args:
        lengths: each row's real length (positions before its right padding).
        buckets: ascending lengths (`bucket_lengths`); the last one holds every row.

    Returns:
        `(rows, length, padding)` per batch: row indices, the length to cut them to, and True
        where a row is a weight-0 repeat.
    """
    which = np.searchsorted(np.asarray(buckets), lengths, side="left")
    batches = []
    for bucket, length in enumerate(buckets):
        rows = rng.permutation(np.flatnonzero(which == bucket))
        if not len(rows):
            continue
        extra = -len(rows) % batch_size
        padding = np.r_[np.zeros(len(rows), bool), np.ones(extra, bool)]
        rows = np.r_[rows, rows[np.arange(extra) % len(rows)]]
        for start in range(0, len(rows), batch_size):
            part = slice(start, start + batch_size)
            batches.append((rows[part], length, padding[part]))
    return [batches[i] for i in rng.permutation(len(batches))]


def _cut(value, length: int, max_len: int):
    """`value` with its sequence axis (axis 1, of size `max_len`) cut to `length`."""
    if isinstance(value, dict):
        return {k: _cut(v, length, max_len) for k, v in value.items()}
    if value.ndim >= 2 and value.shape[1] == max_len:
        return value[:, :length]
    return value


class EpochBatches(keras.utils.PyDataset):
    """One epoch of `(x, y, sample_weight)` batches, rebuilt for the next epoch.

    An epoch's examples are built the first time a batch is asked for and dropped by
    `next_epoch`, which the `Resample` callback calls at the end of every training epoch.
    Not `PyDataset.on_epoch_end`: Keras also calls that after reading one batch to learn the
    data's structure, before the first epoch, which would cost the run a draw that no
    epoch trains on. Built lazily, a run that stops draws nothing more from `rng` either (a
    refit after it continues the same random stream).

    Args:
        model: the `RetrievalModel` whose `training_examples` make the epoch.
        split: the split it trains on.
        batch_size: rows per step over all processes.
        rng: the run's generator (examples, then their order).
    """

    def __init__(self, model, split, batch_size: int, rng: np.random.Generator):
        super().__init__()  # one worker: batches come in order, from the training thread
        self.model, self.split, self.batch_size, self.rng = model, split, batch_size, rng
        self.local_size = batch_size // process_count()
        self._epoch, self._batches = None, None

    def _examples(self) -> tuple:
        if self._epoch is None:
            x, y, w = self.model.training_examples(self.split, self.rng)
            max_len = self.model.max_len
            self._total = float(w.sum())
            if max_len and w.ndim == 2 and w.shape[1] == max_len:
                real = w > 0
                lengths = np.where(real.any(axis=1), max_len - np.argmax(real[:, ::-1], axis=1),
                                   0)
                self._batches = bucketed_batches(lengths, bucket_lengths(max_len),
                                                 self.batch_size, self.rng)
                self._epoch = (x, y, w)
            else:
                x, y, w = padded_to_batches(x, y, w, self.batch_size)
                self._batches = None
                self._epoch = take_rows(local_batches(self.rng.permutation(len(w)),
                                                      self.batch_size), x, y, w)
        return self._epoch

    def __len__(self) -> int:
        self._examples()
        if self._batches is not None:
            return len(self._batches)
        return len(self._epoch[2]) // self.local_size

    def __getitem__(self, index: int) -> tuple:
        epoch = self._examples()
        if self._batches is None:
            rows = np.arange(index * self.local_size, (index + 1) * self.local_size)
            x, y, w = take_rows(rows, *epoch)
            return x, y, per_position(w, len(epoch[2]) * process_count(), self._total)
        rows, length, padding = self._batches[index]
        mine = local_batches(np.arange(len(rows)), self.batch_size)  # this process's share
        x, y, w = take_rows(rows[mine], *epoch)
        w[padding[mine]] = 0
        max_len = self.model.max_len
        slots = len(self._batches) * self.batch_size
        return (_cut(x, length, max_len), _cut(y, length, max_len),
                per_position(_cut(w, length, max_len), slots, self._total))

    def next_epoch(self) -> None:
        """Drop this epoch's examples: the next batch asked for starts a new epoch."""
        self._epoch, self._batches = None, None


class Resample(keras.callbacks.Callback):
    """New examples for every epoch of `fit` (`EpochBatches.next_epoch` at each epoch end)."""

    def __init__(self, batches: EpochBatches):
        super().__init__()
        self.batches = batches

    def on_epoch_end(self, epoch, logs=None):
        self.batches.next_epoch()
