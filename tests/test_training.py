"""Training runs end to end: a smoke epoch per model, early stopping, the saved artifact."""

from __future__ import annotations

import json

import numpy as np
import pytest
from model_contract import TINY

from recdemo import artifacts
from recdemo.models import MODELS
from recdemo.training import TrainConfig, train


@pytest.mark.parametrize("model_key", list(MODELS))
def test_smoke_artifact_has_every_file_and_consistent_metrics(model_key, synthetic_artifacts):
    folder = artifacts.artifact_dir(model_key, "ml-100k", synthetic_artifacts)
    artifacts.verify(folder)
    history = json.loads((folder / "history.json").read_text())
    metrics = json.loads((folder / "metrics.json").read_text())
    provenance = json.loads((folder / "provenance.json").read_text())
    config = json.loads((folder / "config.json").read_text())
    assert len(history) == 1 and np.isfinite(history[0]["train_loss"])
    assert {"valid", "test", "most_popular", "seeds", "mean_over_seeds"} <= set(metrics)
    assert [run["seed"] for run in metrics["seeds"]] == [0, 1]
    best = max(metrics["seeds"], key=lambda run: run["valid"]["ndcg@10"])
    assert metrics["test"] == best["test"] and provenance["seed"] == best["seed"]
    mean_hr = np.mean([run["test"]["hr@10"] for run in metrics["seeds"]])
    assert metrics["mean_over_seeds"]["test"]["hr@10"] == pytest.approx(mean_hr)
    assert provenance["device"].startswith(("cpu", "gpu", "tpu"))
    assert set(provenance["data_sha256"]) == {"u.data", "u.item"}
    assert config["model"] == model_key and config["config"]["embedding_dim"] == 8


def test_early_stopping_restores_the_best_validation_epoch(synthetic_data):
    dataset, split = synthetic_data
    config = TrainConfig(epochs=6, batch_size=8, learning_rate=0.05, patience=2, seed=3)
    result = train("gru4rec", dataset, split, TINY["gru4rec"], config)
    ndcgs = [log.val_ndcg10 for log in result.history]
    assert result.best_epoch == int(np.argmax(ndcgs)) + 1
    assert len(result.history) <= min(6, result.best_epoch + 2)
    assert result.valid_metrics["ndcg@10"] == pytest.approx(max(ndcgs))


def test_two_tower_refits_on_train_and_validation(synthetic_data):
    dataset, split = synthetic_data
    result = train("two_tower", dataset, split, TINY["two_tower"],
                   TrainConfig(epochs=2, batch_size=16, seed=0))
    assert result.refit and result.best_epoch in (1, 2)


def test_bad_train_settings_are_rejected():
    with pytest.raises(ValueError, match="epochs"):
        TrainConfig(epochs=0)
    with pytest.raises(ValueError, match="learning_rate"):
        TrainConfig(learning_rate=-1.0)
