"""Shared fixtures. recdemo is imported first (it pins the JAX backend and keeps TensorFlow
out of the process), then keras and keras_hub once for every test."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["KERAS_BACKEND"] = "jax"  # before the first keras import, whatever the import order

import recdemo  # noqa: E402,F401,I001  (first: pins JAX, blocks TensorFlow)
import keras  # noqa: E402,F401
import keras_hub  # noqa: E402,F401
from synthetic import write_ml100k  # noqa: E402

from fourth_model import KEY as FOURTH_MODEL, MeanPool  # noqa: E402
from recdemo import artifacts, models  # noqa: E402

# Before any test module is collected, so that every test parametrized over the registry runs
# the fourth model too.
models.register(FOURTH_MODEL, MeanPool)
# The models with a shipped ml-100k artifact (the fourth model has none).
SHIPPED = [key for key in models.MODELS if artifacts.artifact_dir(key).exists()]


@pytest.fixture(scope="session")
def synthetic_dir(tmp_path_factory) -> Path:
    """A folder holding a synthetic `ml-100k/`."""
    folder = tmp_path_factory.mktemp("movielens")
    write_ml100k(folder)
    return folder


@pytest.fixture(scope="session")
def synthetic_data(synthetic_dir):
    """`(dataset, split)` of the synthetic ml-100k."""
    from recdemo.serving import load_data

    return load_data("ml-100k", synthetic_dir, download=False)


def _real_data_dir() -> Path | None:
    folder = os.environ.get("RECDEMO_DATA_DIR")
    if folder and (Path(folder) / "ml-100k" / "u.data").is_file():
        return Path(folder)
    return None


@pytest.fixture(scope="session")
def real_data():
    """`(dataset, split)` of the real ml-100k from $RECDEMO_DATA_DIR.

    Skips when it is absent, except in CI (`CI=true`), where a missing dataset is a failure.
    """
    folder = _real_data_dir()
    if folder is None:
        message = "real ml-100k not found: set RECDEMO_DATA_DIR to a folder holding ml-100k/"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from recdemo.serving import load_data

    return load_data("ml-100k", folder, download=False)


@pytest.fixture(scope="session")
def shipped_recommenders(real_data):
    """The shipped ml-100k artifacts of every shipped model, loaded once."""
    from recdemo.serving import load_recommender

    dataset, split = real_data
    return {key: load_recommender(key, dataset, split) for key in SHIPPED}


@pytest.fixture(scope="session")
def synthetic_artifacts(synthetic_data, tmp_path_factory) -> Path:
    """An artifact root with every registered model (the fourth included) trained for one
    epoch on the synthetic data through the same code path as `python -m recdemo train` (the
    smoke run of each model)."""
    from model_contract import TINY

    from recdemo.experiment import train_and_save
    from recdemo.models import MODELS

    dataset, split = synthetic_data
    root = tmp_path_factory.mktemp("artifacts")
    for key in MODELS:
        train_and_save(key, dataset, split, preset_name="quick", seeds=[0, 1],
                       model_overrides=TINY[key], train_overrides={"epochs": 1}, root=root)
    return root
