"""Training batches as Keras reads them: a `PyDataset` whose examples are rebuilt every epoch.

The models build their own examples (`RetrievalModel.training_examples`: windows, fresh
negatives); each epoch asks for new ones, pads them to whole batches with rows that weigh
nothing, and shuffles them with the run's NumPy generator. Every process of a multi-host run
builds the same epoch from the same seed and feeds its own share of each batch.
"""

from __future__ import annotations

import keras
import numpy as np

from recdemo.distributed import local_batches, process_count


def take_rows(rows: np.ndarray, x, y, weights) -> tuple:
    """`(x, y, sample_weight)` at `rows` (x may be a dict of arrays); copies."""
    x = {k: v[rows] for k, v in x.items()} if isinstance(x, dict) else x[rows]
    return x, y[rows], weights[rows]


def padded_to_batches(x, y, weights: np.ndarray, batch_size: int) -> tuple:
    """The examples with weight-0 copies of the first rows appended up to a multiple of
    `batch_size`.

    Data parallelism shards every batch evenly across devices, so a short last batch would not
    split; padding with rows that weigh nothing (the losses reduce by `mean_with_sample_weight`)
    keeps every batch full and leaves the loss unchanged. It is applied on one device as well,
    so a seed gives the same batches, and the same curve, on any device count.
    """
    count = len(weights)
    extra = -count % batch_size
    if not extra:
        return x, y, weights
    x, y, weights = take_rows(np.r_[np.arange(count), np.arange(extra) % count], x, y, weights)
    weights[count:] = 0
    return x, y, weights


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
        self._epoch = None

    def _examples(self) -> tuple:
        if self._epoch is None:
            x, y, w = padded_to_batches(*self.model.training_examples(self.split, self.rng),
                                        self.batch_size)
            self._epoch = take_rows(local_batches(self.rng.permutation(len(w)),
                                                  self.batch_size), x, y, w)
        return self._epoch

    def __len__(self) -> int:
        return len(self._examples()[2]) // self.local_size

    def __getitem__(self, index: int) -> tuple:
        rows = np.arange(index * self.local_size, (index + 1) * self.local_size)
        return take_rows(rows, *self._examples())

    def next_epoch(self) -> None:
        """Drop this epoch's examples: the next batch asked for starts a new epoch."""
        self._epoch = None


class Resample(keras.callbacks.Callback):
    """New examples for every epoch of `fit` (`EpochBatches.next_epoch` at each epoch end)."""

    def __init__(self, batches: EpochBatches):
        super().__init__()
        self.batches = batches

    def on_epoch_end(self, epoch, logs=None):
        self.batches.next_epoch()
