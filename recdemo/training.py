"""Training: fit one model on the train part with early stopping on validation NDCG@10.

The test part is never looked at here. Each epoch is one `fit` call on freshly built NumPy
examples (so SASRec-BCE negatives are resampled every epoch), followed by the validation loss
and the validation ranking metrics computed through the serving path.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import time
from collections.abc import Callable

import keras
import numpy as np

from recdemo import RecdemoError
from recdemo.dataset import Dataset
from recdemo.distributed import host_copy, local_batches, process_count
from recdemo.evaluation import ranks_with_loss
from recdemo.metrics import ranking_metrics
from recdemo.models import RetrievalModel, build_model
from recdemo.models.objectives import CatalogueSoftmax, SampledSoftmax
from recdemo.recommend import Recommender
from recdemo.split import LeaveOneOutSplit
from recdemo.validation import check_choice, check_int, check_number

# Rows per `evaluate` batch of the validation loss (a multiple of any device count used).
_EVAL_BATCH = 1024


@dataclasses.dataclass
class TrainConfig:
    """Optimisation settings (model hyperparameters live in the model's config).

    Attributes:
        epochs: maximum epochs.
        batch_size: examples per step.
        learning_rate: Adam learning rate.
        weight_decay: decoupled weight decay (AdamW) when > 0.
        patience: stop after this many epochs without a better validation NDCG@10
            (0 = never stop early).
        seed: seeds Keras, JAX and the NumPy sampling.
        schedule: `"constant"` learning rate, or `"cosine"`: a linear warm-up over
            `warmup_epochs` to `learning_rate`, then cosine decay to 1 % of it at `epochs`
            (a fixed horizon, so most of the learning happens early and the tail is short).
        warmup_epochs: epochs of linear warm-up (cosine schedule only).
    """

    epochs: int = 50
    batch_size: int = 128
    learning_rate: float = 1e-3
    weight_decay: float = 0.0
    patience: int = 10
    seed: int = 0
    schedule: str = "constant"
    warmup_epochs: int = 0

    SCHEDULES = ("constant", "cosine")

    def __post_init__(self):
        check_choice("schedule", self.schedule, self.SCHEDULES)
        for name, low in (("epochs", 1), ("batch_size", 1), ("patience", 0), ("seed", 0),
                          ("warmup_epochs", 0)):
            check_int(name, getattr(self, name), low)
        check_number("learning_rate", self.learning_rate, above=True)
        check_number("weight_decay", self.weight_decay)


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


@dataclasses.dataclass
class TrainResult:
    """A trained model (best validation epoch restored) and how it got there.

    Attributes:
        valid_metrics: validation HR@10 / NDCG@10 / MRR of the selected epoch, measured before
            any refit (so never on data the model trained on).
        refit: whether the served model was refitted on train + validation (user-id models).
        valid_ranks: `(users, ranks)` of the selected epoch's validation movies, before any
            refit (what a paired comparison of runs reads).
    """

    model: RetrievalModel
    recommender: Recommender
    history: list[EpochLog]
    best_epoch: int
    wall_seconds: float
    valid_metrics: dict
    refit: bool = False
    valid_ranks: tuple[np.ndarray, np.ndarray] | None = None


def _fit_epochs(model: RetrievalModel, split: LeaveOneOutSplit, config: TrainConfig,
                rng: np.random.Generator):
    """Yield after each one-epoch `fit` on freshly built examples, with its train loss."""
    for _ in range(config.epochs):
        x, y, w = padded_to_batches(*model.training_examples(split, rng), config.batch_size)
        # Shuffled here rather than by `fit`, so every process of a multi-host run takes its
        # share of the same batches (`distributed.local_batches`).
        rows = local_batches(rng.permutation(len(w)), config.batch_size)
        x, y, w = take_rows(rows, x, y, w)
        fitted = model.fit(x, y, sample_weight=w, epochs=1, shuffle=False, verbose=0,
                           batch_size=config.batch_size // process_count())
        loss = float(fitted.history["loss"][-1])
        if not np.isfinite(loss):
            raise RecdemoError(f"Training diverged: the train loss became {loss}. Lower the "
                               f"learning rate (now {config.learning_rate}).")
        yield loss


def _ranking_loss(objective, seed: int):
    """The per-row validation loss from ranking scores: the objective's own for a sampled
    softmax (the same negatives every epoch, so epochs compare), else None (the full
    softmax's)."""
    if isinstance(objective, SampledSoftmax):
        return functools.partial(objective.ranking_loss, rng=np.random.default_rng(seed))
    return None


def take_rows(rows: np.ndarray, x, y, weights) -> tuple:
    """`(x, y, sample_weight)` at `rows` (x may be a dict of arrays); copies."""
    x = {k: v[rows] for k, v in x.items()} if isinstance(x, dict) else x[rows]
    return x, y[rows], weights[rows]


def _evaluate(model: RetrievalModel, x, y, weights) -> float:
    """The objective's loss on examples padded to whole `_EVAL_BATCH`es (this process's
    share of each)."""
    x, y, weights = take_rows(local_batches(np.arange(len(weights)), _EVAL_BATCH), x, y, weights)
    return model.evaluate(x, y, sample_weight=weights, verbose=0,
                          batch_size=_EVAL_BATCH // process_count())


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


def learning_rate(config: TrainConfig, steps_per_epoch: int):
    """The optimiser's learning rate: a float, or the warm-up + cosine schedule over
    `config.epochs` epochs of `steps_per_epoch` steps."""
    if config.schedule == "constant":
        return config.learning_rate
    total = max(config.epochs * steps_per_epoch, 2)
    warmup = min(config.warmup_epochs * steps_per_epoch, total // 2)
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=config.learning_rate * (0.1 if warmup else 1.0),
        decay_steps=total - warmup, alpha=0.01,
        warmup_target=config.learning_rate if warmup else None, warmup_steps=warmup)


def data_parallel() -> keras.distribution.DataParallel | None:
    """Keras' `DataParallel` over every visible accelerator (or forced host device) when there
    are several, else None: the batch is sharded across devices, the variables replicated, and
    XLA inserts the gradient all-reduce. Across hosts (`recdemo.distributed`) the list holds
    every process's devices and each process feeds its own share of every batch, hence no
    automatic dataset sharding."""
    devices = keras.distribution.list_devices()
    if len(devices) < 2:
        return None
    return keras.distribution.DataParallel(devices=devices, auto_shard_dataset=False)


def _fresh_model(model_key: str, dataset: Dataset, hyperparameters: dict,
                 config: TrainConfig, split: LeaveOneOutSplit) -> RetrievalModel:
    """A seeded, built model compiled for `split` (which sizes the schedule's steps)."""
    keras.utils.set_random_seed(config.seed)
    model = build_model(model_key, dataset, **hyperparameters)
    if isinstance(model.objective, SampledSoftmax):
        model.objective.adapt(split.train_counts(model.num_items))
    rows = len(model.training_examples(split, np.random.default_rng(0))[1])
    steps_per_epoch = -(-rows // config.batch_size)
    model.compile_for_training(learning_rate(config, steps_per_epoch), config.weight_decay)
    return model


def train(model_key: str, dataset: Dataset, split: LeaveOneOutSplit,
          hyperparameters: dict | None = None, config: TrainConfig | None = None,
          on_epoch: Callable[[EpochLog, int], None] | None = None,
          on_phase: Callable[[str], None] | None = None) -> TrainResult:
    """Train one model.

    Args:
        model_key: a key of `recdemo.models.MODELS`.
        dataset: the parsed dataset.
        split: its leave-one-out split.
        hyperparameters: model constructor arguments (defaults otherwise).
        config: optimisation settings.
        on_epoch: called after every epoch with the epoch's log and the total epochs (progress
            bars, the dashboard's live curve).
        on_phase: called with `"training"` before the first epoch and `"refit"` before a refit,
            so a progress display can name what is happening.

    Returns:
        The `TrainResult`, with the weights of the best validation NDCG@10 epoch restored.
    """
    config = config or TrainConfig()
    distribution = data_parallel()
    devices = distribution.device_mesh.devices.size if distribution else 1
    if config.batch_size % devices:
        raise RecdemoError(f"The batch size ({config.batch_size}) must be a multiple of the "
                           f"{devices} devices it is split across.")
    with distribution.scope() if distribution else contextlib.nullcontext():
        return _train(model_key, dataset, split, hyperparameters or {}, config, on_epoch,
                      on_phase or (lambda phase: None))


def _train(model_key, dataset, split, hyperparameters, config, on_epoch, on_phase):
    """`train` inside the chosen distribution scope."""
    started = time.perf_counter()
    model = _fresh_model(model_key, dataset, hyperparameters, config, split)
    rng = np.random.default_rng(config.seed)
    # A softmax-trained model's validation loss (full or sampled) comes with the validation
    # ranking (one forward pass at the last position); other objectives are evaluated on their
    # own examples.
    softmax = isinstance(model.objective, (CatalogueSoftmax, SampledSoftmax))
    if not softmax:
        val_x, val_y, val_w = padded_to_batches(
            *model.validation_examples(split, np.random.default_rng(config.seed)), _EVAL_BATCH)
    recommender = Recommender(model, dataset, split)
    history, best_weights, best_epoch, best_metrics = [], None, 0, {"ndcg@10": -1.0}
    best_ranks = None
    on_phase("training")
    epoch_start = time.perf_counter()
    for epoch, train_loss in enumerate(_fit_epochs(model, split, config, rng), start=1):
        recommender = recommender.refreshed()
        if not np.isfinite(recommender.item_table).all():
            raise RecdemoError(f"Training diverged at epoch {epoch}: the item embeddings hold "
                               f"non-finite values. Lower the learning rate.")
        users, ranks, softmax_loss = ranks_with_loss(recommender, "valid", _ranking_loss(
            model.objective, config.seed))
        metrics = ranking_metrics(ranks)
        val_loss = softmax_loss if softmax else _evaluate(model, val_x, val_y, val_w)
        log = EpochLog(epoch, train_loss, float(val_loss), metrics["hr@10"],
                       metrics["ndcg@10"], metrics["mrr"], time.perf_counter() - epoch_start)
        history.append(log)
        if on_epoch:
            on_epoch(log, config.epochs)
        # A NaN metric compares False, so a diverged epoch can never be selected.
        if metrics["ndcg@10"] > best_metrics["ndcg@10"]:
            best_metrics, best_epoch, best_ranks = metrics, epoch, (users, ranks)
            best_weights = [host_copy(v) for v in model.weights]
        elif config.patience and epoch - best_epoch >= config.patience:
            break
        epoch_start = time.perf_counter()
    if best_weights is None:
        raise RecdemoError("Training produced no usable epoch: every validation score was "
                           "non-finite. Lower the learning rate.")
    model.set_weights(best_weights)
    refit = model.refits_on_validation
    if refit:
        # A user-id model can only use the validation interaction at test time by training on
        # it: refit with the selected epoch count on train + validation (selection stays on
        # the validation run above; the test part is still never seen).
        on_phase("refit")
        # The same schedule (horizon `config.epochs`), stopped at the selected epoch.
        refit_split = split.with_valid_in_train()
        model = _fresh_model(model_key, dataset, hyperparameters, config, refit_split)
        refit_config = dataclasses.replace(config, epochs=best_epoch)
        for _ in _fit_epochs(model, refit_split, refit_config, rng):
            pass
    return TrainResult(model, Recommender(model, dataset, split), history, best_epoch,
                       time.perf_counter() - started, best_metrics, refit, best_ranks)
