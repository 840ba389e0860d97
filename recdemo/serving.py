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
    """A `Recommender` over a verified artifact folder (RecdemoError if missing or corrupt)."""
    _, model = artifacts.load_model(Path(folder))
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
