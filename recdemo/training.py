"""Training: one Keras `fit` of one model on the train part, selected on validation NDCG@10.

The test part is never looked at here. Batches come from `recdemo.epochs.EpochBatches` (fresh
examples every epoch, so sampled negatives are resampled); after each epoch
`recdemo.callbacks.RankingValidation` ranks the validation targets through the serving path,
`EarlyStopping` keeps the best epoch's weights and `StopOnNonFiniteLoss` stops a diverging run.
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
from recdemo.callbacks import EpochLog, RankingValidation, StopOnNonFiniteLoss
from recdemo.dataset import Dataset
from recdemo.distributed import local_batches, process_count
from recdemo.epochs import EpochBatches, Resample, padded_to_batches, per_position, take_rows
from recdemo.models import build_model
from recdemo.models.base import RetrievalModel
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
        host_cores: on a CPU, split each batch across the machine's cores: the `train`
            command shows JAX one device per core, at most one per
            `recdemo.MIN_ROWS_PER_CORE` rows (`recdemo.use_host_cores`), when every model
            it trains asks for it (`RECDEMO_HOST_DEVICES` does it for any run). Read before
            training, as a process's devices are fixed once JAX has chosen them.
    """

    epochs: int = 50
    batch_size: int = 128
    learning_rate: float = 1e-3
    weight_decay: float = 0.0
    patience: int = 10
    seed: int = 0
    schedule: str = "constant"
    warmup_epochs: int = 0
    host_cores: bool = False

    SCHEDULES = ("constant", "cosine")

    def __post_init__(self):
        check_choice("schedule", self.schedule, self.SCHEDULES)
        for name, low in (("epochs", 1), ("batch_size", 1), ("patience", 0), ("seed", 0),
                          ("warmup_epochs", 0)):
            check_int(name, getattr(self, name), low)
        check_number("learning_rate", self.learning_rate, above=True)
        check_number("weight_decay", self.weight_decay)
        if not isinstance(self.host_cores, bool):
            raise ValueError(f"host_cores must be true or false, not {self.host_cores!r}.")


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


def fit_epochs(model: RetrievalModel, split: LeaveOneOutSplit, config: TrainConfig,
               rng: np.random.Generator, epochs: int, callbacks=()) -> keras.callbacks.History:
    """One Keras `fit` of `epochs` epochs over batches rebuilt every epoch (`EpochBatches`).

    Raises:
        RecdemoError: the train loss became non-finite.
    """
    batches = EpochBatches(model, split, config.batch_size, rng)
    # `shuffle=False`: the batches are already in the order `rng` drew (Keras would reorder
    # them with Python's global `random`, which no seed of this run controls).
    fitted = model.fit(batches, epochs=epochs, verbose=0, shuffle=False,
                       callbacks=[*callbacks, StopOnNonFiniteLoss(),
                                  Resample(batches)])
    losses = fitted.history.get("loss", [])
    if losses and not np.isfinite(losses[-1]):
        raise RecdemoError(f"Training diverged: the train loss became {losses[-1]}. Lower the "
                           f"learning rate (now {config.learning_rate}).")
    return fitted


def _evaluate(model: RetrievalModel, x, y, weights) -> float:
    """The objective's loss on examples padded to whole `_EVAL_BATCH`es (this process's
    share of each), weighted as training batches are: the mean over the real positions."""
    weights = per_position(weights, len(weights), float(weights.sum()))
    x, y, weights = take_rows(local_batches(np.arange(len(weights)), _EVAL_BATCH), x, y, weights)
    return model.evaluate(x, y, sample_weight=weights, verbose=0,
                          batch_size=_EVAL_BATCH // process_count())


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


def data_parallel(batch_size: int) -> keras.distribution.DataParallel | None:
    """Keras' `DataParallel` over every visible accelerator (or CPU device: one per core when
    `RECDEMO_HOST_DEVICES` or the recipe asks, `recdemo.host_device_flags`) when there are
    several, else None: the batch is sharded across devices, the variables replicated, and XLA
    inserts the gradient all-reduce. Across hosts (`recdemo.distributed`) the list holds every
    process's devices and each process feeds its own share of every batch, hence no automatic
    dataset sharding.

    Host devices are only cores: a batch size they do not divide runs on the most of them
    that divide it, rather than failing.
    """
    devices = keras.distribution.list_devices()
    if process_count() == 1 and all(d.lower().startswith("cpu") for d in devices):
        devices = devices[: max(n for n in range(1, len(devices) + 1) if batch_size % n == 0)]
    if len(devices) < 2:
        return None
    return keras.distribution.DataParallel(devices=devices, auto_shard_dataset=False)


def _fresh_model(model_key: str, dataset: Dataset, hyperparameters: dict,
                 config: TrainConfig, split: LeaveOneOutSplit) -> RetrievalModel:
    """A seeded, built model compiled for `split` (which sizes the schedule's steps)."""
    keras.utils.set_random_seed(config.seed)
    model = build_model(model_key, dataset, **hyperparameters)
    model.objective.adapt(split.train_counts(model.num_items))
    # The schedule's horizon counts the steps an epoch really takes (length buckets each end
    # on a partial batch).
    steps_per_epoch = len(EpochBatches(model, split, config.batch_size,
                                       np.random.default_rng(0)))
    schedule = learning_rate(config, steps_per_epoch)
    model.compile_for_training(schedule, config.weight_decay)
    settings_as_state(schedule, model.optimizer)
    return model


_SCHEDULE_SETTINGS = ("initial_learning_rate", "decay_steps", "alpha", "warmup_target",
                      "warmup_steps")


def settings_as_state(schedule, optimizer: keras.optimizers.Optimizer) -> None:
    """Hold a `CosineDecay`'s settings in variables of the optimizer (a float learning rate
    already is one). The compiled train step then reads them as state instead of baking them
    in as constants, so a run with another epoch count or learning rate reuses the step JAX
    compiled and cached for an earlier run instead of compiling it again."""
    if not isinstance(schedule, keras.optimizers.schedules.CosineDecay):
        return
    for name in _SCHEDULE_SETTINGS:
        value = getattr(schedule, name)
        if value is not None:
            setattr(schedule, name, optimizer.add_variable(
                (), initializer=keras.initializers.Constant(float(value)), dtype="float32",
                name=f"schedule_{name}"))


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
    distribution = data_parallel(config.batch_size)
    devices = distribution.device_mesh.devices.size if distribution else 1
    if config.batch_size % devices:
        raise RecdemoError(f"The batch size ({config.batch_size}) must be a multiple of the "
                           f"{devices} devices it is split across.")
    with distribution.scope() if distribution else contextlib.nullcontext():
        return _train(model_key, dataset, split, hyperparameters or {}, config, on_epoch,
                      on_phase or (lambda phase: None))


def _train(model_key, dataset, split, hyperparameters, config, on_epoch, on_phase):
    """`train` inside the chosen distribution scope: one `fit` with the ranking validation,
    early stopping on validation NDCG@10 (best weights restored) and a stop on a NaN loss."""
    started = time.perf_counter()
    model = _fresh_model(model_key, dataset, hyperparameters, config, split)
    rng = np.random.default_rng(config.seed)
    objective, example_loss = model.objective, None
    if not objective.loss_from_ranking:
        examples = padded_to_batches(
            *model.validation_examples(split, np.random.default_rng(config.seed)), _EVAL_BATCH)

        def example_loss():
            return _evaluate(model, *examples)
    validation = RankingValidation(
        Recommender(model, dataset, split),
        functools.partial(objective.ranking_loss_function, config.seed),
        example_loss, on_epoch, config.epochs)
    # patience 0 means "run every epoch"; the best epoch's weights are restored either way.
    stopping = keras.callbacks.EarlyStopping(
        monitor="val_ndcg10", mode="max", patience=config.patience or config.epochs,
        restore_best_weights=True)
    on_phase("training")
    fit_epochs(model, split, config, rng, config.epochs, [validation, stopping])
    if validation.best_ranks is None:
        raise RecdemoError("Training produced no usable epoch. Lower the learning rate.")
    best_epoch = validation.best_epoch
    refit = model.refits_on_validation
    if refit:
        # A user-id model can only use the validation interaction at test time by training on
        # it: refit with the selected epoch count on train + validation (selection stays on
        # the validation run above; the test part is still never seen), on the same schedule
        # (horizon `config.epochs`) stopped at the selected epoch.
        on_phase("refit")
        refit_split = split.with_valid_in_train()
        model = _fresh_model(model_key, dataset, hyperparameters, config, refit_split)
        fit_epochs(model, refit_split, config, rng, best_epoch)
    return TrainResult(model, Recommender(model, dataset, split), validation.history,
                       best_epoch, time.perf_counter() - started, validation.best_metrics,
                       refit, validation.best_ranks)
