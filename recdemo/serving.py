"""Loading what serving needs: the dataset with its split, and a `Recommender` per artifact."""

from __future__ import annotations

import os
from pathlib import Path

from recdemo import RecdemoError, artifacts
from recdemo.data import Dataset, load
from recdemo.recommend import Recommender
from recdemo.split import LeaveOneOutSplit, leave_one_out


def load_data(dataset_name: str = "ml-100k", data_dir: str | os.PathLike | None = None,
              download: bool = True) -> tuple[Dataset, LeaveOneOutSplit]:
    """The dataset and its leave-one-out split."""
    dataset = load(dataset_name, data_dir, download)
    return dataset, leave_one_out(dataset)


def recommender_from_folder(folder: str | os.PathLike, dataset: Dataset,
                            split: LeaveOneOutSplit) -> Recommender:
    """A `Recommender` over a verified artifact trained on `dataset`.

    Raises:
        RecdemoError: a missing, corrupt or malformed artifact, or one trained on other data.
    """
    folder = artifacts.resolve(folder)
    _, model = artifacts.load_model(folder)
    artifacts.check_trained_on(folder, dataset)
    if model.num_items != dataset.num_items:
        raise RecdemoError(
            f"Artifact {folder} was trained on another item space ({model.num_items} ids) "
            f"than {dataset.name} ({dataset.num_items}).")
    return Recommender(model, dataset, split)


def load_recommender(model_key: str, dataset: Dataset, split: LeaveOneOutSplit,
                     root: str | os.PathLike | None = None) -> Recommender:
    """The recommender of the artifact `<root>/<dataset>/<model_key>`."""
    return recommender_from_folder(artifacts.artifact_dir(model_key, dataset.name, root),
                                   dataset, split)


def enable_compilation_cache(folder: str | os.PathLike | None = None) -> None:
    """Keep JAX's compiled query functions on disk (`<cache>/jax`), so a restarted server or a
    new CLI process skips most compilation. Safe to call more than once."""
    import jax

    from recdemo.dataset import cache_dir

    if jax.config.jax_compilation_cache_dir:
        return
    target = Path(folder) if folder else cache_dir() / "jax"
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError:
        return  # a read-only home: compile in memory as before
    jax.config.update("jax_compilation_cache_dir", str(target))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
