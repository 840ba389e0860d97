"""The Keras callbacks of a training run: the validation ranking through the serving path,
which measures each epoch the way recdemo selects models, and the stop on a diverging loss."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import keras
import numpy as np

from recdemo import RecdemoError
from recdemo.evaluation import ranks_with_loss
from recdemo.metrics import ranking_metrics


@dataclasses.dataclass
class EpochLog:
    """What one epoch measured."""

    epoch: int
    train_loss: float
    val_loss: float
    val_hr10: float
    val_ndcg10: float
    val_mrr: float
    seconds: float


class RankingValidation(keras.callbacks.Callback):
    """After every epoch: rank each validation target against the whole catalogue (the
    `Recommender` path the app uses) and log `val_hr10`, `val_ndcg10`, `val_mrr` and
    `val_loss`, which `EarlyStopping` monitors when listed after this callback. The best
    epoch's per-user ranks are kept (paired comparisons of runs read them).

    Args:
        recommender: the `Recommender` of the model being trained.
        ranking_loss: makes the objective's per-row loss from ranking scores, afresh every
            epoch (a sampled one then draws the same negatives each time, so epochs compare);
            None, or returning None: the full softmax's.
        example_loss: otherwise, computes the validation loss from the objective's own
            validation examples.
        on_epoch: called with each epoch's `EpochLog` and the planned epochs.
        epochs: the planned epochs (for progress displays).

    Raises:
        RecdemoError: the item table became non-finite (training diverged; a non-finite train
            loss is `recdemo.training.fit_epochs`' to report).
    """

    def __init__(self, recommender, ranking_loss: Callable[[], object] | None = None,
                 example_loss: Callable[[], float] | None = None,
                 on_epoch: Callable[[EpochLog, int], None] | None = None, epochs: int = 0):
        super().__init__()
        self.recommender, self.ranking_loss, self.example_loss = (recommender, ranking_loss,
                                                                  example_loss)
        self.on_epoch, self.epochs = on_epoch, epochs
        self.history: list[EpochLog] = []
        self.best_epoch, self.best_metrics, self.best_ranks = 0, {"ndcg@10": -1.0}, None
        self._started = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        train_loss = float(logs.get("loss", np.nan))
        self.recommender = self.recommender.refreshed()
        if not np.isfinite(self.recommender.item_table).all():
            raise RecdemoError(f"Training diverged at epoch {epoch + 1}: the item embeddings "
                               f"hold non-finite values. Lower the learning rate.")
        users, ranks, softmax_loss = ranks_with_loss(
            self.recommender, "valid", self.ranking_loss() if self.ranking_loss else None)
        metrics = ranking_metrics(ranks)
        val_loss = float(softmax_loss if self.example_loss is None else self.example_loss())
        logs.update(val_loss=val_loss, val_hr10=metrics["hr@10"],
                    val_ndcg10=metrics["ndcg@10"], val_mrr=metrics["mrr"])
        log = EpochLog(epoch + 1, train_loss, val_loss, metrics["hr@10"], metrics["ndcg@10"],
                       metrics["mrr"], time.perf_counter() - self._started)
        self.history.append(log)
        if self.on_epoch:
            self.on_epoch(log, self.epochs)
        # The rule EarlyStopping(mode="max", min_delta=0) applies: strictly better.
        if metrics["ndcg@10"] > self.best_metrics["ndcg@10"]:
            self.best_epoch, self.best_metrics, self.best_ranks = (epoch + 1, metrics,
                                                                   (users, ranks))


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Stop `fit` after an epoch whose mean train loss is not finite.

    Keras' `TerminateOnNaN` checks the loss after every batch, and a callback with a batch
    hook makes `fit` wait for each step to finish before it prepares and dispatches the next
    (Keras runs batch-end callbacks asynchronously only when none has one), so the device sat
    idle while Python built every batch (docs/performance.md). A NaN batch makes its epoch's
    mean loss NaN, so a diverging run still stops, at the end of that epoch.
    """

    def on_epoch_end(self, epoch, logs=None):
        if not np.isfinite(float((logs or {}).get("loss", 0.0))):
            self.model.stop_training = True
