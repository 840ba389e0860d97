"""One experiment end to end: preset + overrides -> train each seed -> evaluate -> save the
best-by-validation seed as an artifact. Shared by `python -m recdemo train` and the dashboard's
Retrain (`recdemo.retrain`); `recdemo.training` is the single-seed loop it calls."""

from __future__ import annotations

import dataclasses
import os
import resource
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from recdemo import RecdemoError, artifacts, distributed, provenance, stored_lists
from recdemo.dataset import Dataset, catalogue_mask
from recdemo.evaluation import held_out_ranks, most_popular
from recdemo.metrics import ranking_metrics
from recdemo.models import MODELS, preset
from recdemo.models import hyperparameters as hyperparameters_of
from recdemo.recipes import auto_recipe
from recdemo.split import PARTS, LeaveOneOutSplit
from recdemo.training import EpochLog, TrainConfig, train


def mean_metrics(runs: list[dict], part: str) -> dict:
    """Mean and (sample) standard deviation of each metric over seed runs."""
    names = runs[0][part].keys()
    summary = {name: statistics.fmean(run[part][name] for run in runs) for name in names}
    if len(runs) > 1:
        summary.update({f"{name}_std": statistics.stdev(run[part][name] for run in runs)
                        for name in names})
    return summary


def _progress_bar(model_key: str, seed: int, epochs: int):
    from tqdm import tqdm

    # stdout: a successful command keeps stderr for errors only.
    bar = tqdm(total=epochs, desc=f"{model_key} seed {seed}", unit="epoch", file=sys.stdout)

    def update(log: EpochLog, total: int) -> None:
        bar.set_postfix(loss=f"{log.train_loss:.4f}", val_loss=f"{log.val_loss:.4f}",
                        val_ndcg10=f"{log.val_ndcg10:.4f}", refresh=False)
        bar.update(1)
    return bar, update


def train_and_save(model_key: str, dataset: Dataset, split: LeaveOneOutSplit, *,
                   preset_name: str = "full", seeds: list[int] = (0,),
                   model_overrides: dict | None = None, train_overrides: dict | None = None,
                   root: str | os.PathLike | None = None, name: str | None = None,
                   progress: bool = False,
                   on_epoch: Callable[[EpochLog, int], None] | None = None,
                   on_phase: Callable[[str], None] | None = None,
                   on_recipe: Callable[[list[str], dict], None] | None = None,
                   destination: str | os.PathLike | None = None,
                   store_lists: bool = True) -> Path:
    """Train `model_key` once per seed and save the seed with the best validation NDCG@10.

    Args:
        model_key: a key of `recdemo.models.MODELS`.
        dataset, split: the data and its leave-one-out split.
        preset_name: `"full"` or `"quick"` (each model class's `PRESETS`), or `"auto"` (derived
            from the data, `recdemo.recipes`).
        seeds: seeds to train; the metrics record every seed and their mean.
        model_overrides, train_overrides: values replacing the preset's.
        root, name: the artifact goes to `<root>/<dataset>/<name or model_key>`...
        destination: ...unless an explicit folder is given.
        progress: show a progress bar per seed on stderr.
        on_epoch: called after every epoch (the dashboard's live curve).
        on_phase: called with each phase's name: `training`, `refit`, `evaluating`, `saving`.
        on_recipe: called before training with the recipe's reasons and the settings it
            trains with (hyperparameters and train settings, overrides applied).
        store_lists: store every user's first-view list with the artifact
            (`recdemo.stored_lists`; skipped above `stored_lists.MAX_USERS` users).

    Returns:
        The artifact folder.
    """
    hyperparameters, settings, reasons = recipe(preset_name, model_key, dataset, split)
    hyperparameters.update(model_overrides or {})
    settings.update(train_overrides or {})
    if on_recipe:
        on_recipe(reasons, {**hyperparameters, **settings})
    folder = Path(destination) if destination else artifacts.artifact_dir(
        name or model_key, dataset.name, root)
    configs = _checked_settings(model_key, dataset, hyperparameters, settings, seeds)
    runs, best = [], None
    for config in configs:
        seed = config.seed
        bar, update = _progress_bar(model_key, seed, config.epochs) if progress else (None, None)

        def report(log: EpochLog, total: int, callbacks=(update, on_epoch)) -> None:
            for callback in callbacks:
                if callback:
                    callback(log, total)

        result = train(model_key, dataset, split, hyperparameters, config, on_epoch=report,
                       on_phase=on_phase)
        if bar:
            bar.close()
        if on_phase:
            on_phase("evaluating")
        users, test_ranks = held_out_ranks(result.recommender, "test")
        run = {"seed": seed, "best_epoch": result.best_epoch,
               "wall_seconds": round(result.wall_seconds, 1), "refit": result.refit,
               "valid": result.valid_metrics, "test": ranking_metrics(test_ranks)}
        runs.append(run)
        if best is None or run["valid"]["ndcg@10"] > best[1]["valid"]["ndcg@10"]:
            best = (result, run, config, per_user_ranks(result.valid_ranks, (users, test_ranks)))
    result, run, config, ranks = best
    metrics = {
        "valid": run["valid"], "test": run["test"], "ranks": ranks,
        "most_popular": {part: most_popular(dataset, split, part) for part in PARTS},
        "seeds": runs,
        "mean_over_seeds": {part: mean_metrics(runs, part) for part in PARTS},
    }
    if on_phase:
        on_phase("saving")
    info = provenance.provenance(dataset, seed=config.seed, wall_seconds=result.wall_seconds,
                                epochs_run=len(result.history), best_epoch=result.best_epoch)
    info["total_wall_seconds"] = round(sum(r["wall_seconds"] for r in runs), 1)
    # The whole process's peak so far: data, every seed's training, the evaluation.
    info["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    info["recipe"] = {"preset": preset_name, "reasons": reasons,
                      "overrides": {**(model_overrides or {}), **(train_overrides or {})}}
    if not distributed.is_writer():
        return folder  # every process trained the same model; process 0 writes it
    lists = (stored_lists.to_bytes(stored_lists.compute(result.recommender))
             if store_lists and len(split.users) <= stored_lists.MAX_USERS else None)
    return artifacts.save(_process_local(result.model), folder, model_key=model_key,
                          train_config={**dataclasses.asdict(config), "preset": preset_name},
                          history=result.history, metrics=metrics, provenance_info=info,
                          lists=lists)


def default_preset(dataset_name: str) -> str:
    """`"full"` on MovieLens (where the presets were tuned), `"auto"` on any other data."""
    return "full" if dataset_name in ("ml-100k", "ml-1m") else "auto"


def recipe(preset_name: str, model_key: str, dataset: Dataset, split: LeaveOneOutSplit
           ) -> tuple[dict, dict, list[str]]:
    """`(model hyperparameters, train settings, reasons)` of a named preset or the one derived
    from the data (`"auto"`)."""
    if preset_name != "auto":
        hyperparameters, settings = preset(preset_name, model_key)
        source = f"{MODELS[model_key].__name__}.PRESETS"
        return hyperparameters, settings, [f"the {preset_name!r} preset ({source})"]
    lengths = np.array([len(items) for items in split.train.values()])
    return auto_recipe(model_key, set(hyperparameters_of(MODELS[model_key])),
                       len(split.train), int(catalogue_mask(dataset, dataset.num_items).sum()),
                       lengths)


def per_user_ranks(valid: tuple, test: tuple) -> dict:
    """The saved seed's held-out rank of every user, for paired comparisons:
    `{part: {"users": [...], "ranks": [...]}}` (validation from the selection run, before any
    refit)."""
    return {part: {"users": [int(u) for u in users], "ranks": [int(r) for r in ranks]}
            for part, (users, ranks) in (("valid", valid), ("test", test))}


def _process_local(model):
    """The model itself, or (when training spanned processes, whose arrays this process cannot
    serialise) an equal model on this process's devices."""
    if distributed.process_count() == 1:
        return model
    local = type(model).from_config(model.get_config())
    local.build_variables()
    local.set_weights([distributed.host_copy(v) for v in model.weights])
    return local


def _checked_settings(model_key: str, dataset: Dataset, hyperparameters: dict, settings: dict,
                      seeds) -> list[TrainConfig]:
    """One `TrainConfig` per seed, after checking every setting and hyperparameter, so a bad
    value fails in a second with one line instead of after minutes of training."""
    if not seeds:
        raise RecdemoError("Give at least one seed.")
    try:
        configs = [TrainConfig(**{**settings, "seed": seed}) for seed in seeds]
        MODELS[model_key](**MODELS[model_key].sizes_from(dataset), **hyperparameters)
    except (ValueError, TypeError) as exc:
        raise RecdemoError(f"Invalid {model_key} setting: {exc}") from None
    return configs
