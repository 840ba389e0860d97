"""Training runs end to end: a smoke epoch per model, early stopping, the saved artifact."""

from __future__ import annotations

import json

import numpy as np
import pytest
from model_contract import TINY

from recdemo import artifacts
from recdemo.epochs import per_position
from recdemo.metrics import ranking_metrics
from recdemo.models import MODELS
from recdemo.provenance import git_state
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
    assert (provenance["git_commit"], provenance["code_modified"]) == git_state()
    assert config["model"] == model_key and config["config"]["embedding_dim"] == 8
    # The saved seed's per-user ranks reproduce its metrics (what paired comparisons read).
    for part in ("valid", "test"):
        ranks = metrics["ranks"][part]
        assert len(ranks["users"]) == len(ranks["ranks"]) > 0
        assert ranking_metrics(np.array(ranks["ranks"])) == pytest.approx(metrics[part])


def test_early_stopping_restores_the_best_validation_epoch(synthetic_data):
    dataset, split = synthetic_data
    config = TrainConfig(epochs=6, batch_size=8, learning_rate=0.05, patience=2, seed=3)
    result = train("gru4rec", dataset, split, TINY["gru4rec"], config)
    ndcgs = [log.val_ndcg10 for log in result.history]
    assert result.best_epoch == int(np.argmax(ndcgs)) + 1
    assert len(result.history) <= min(6, result.best_epoch + 2)
    assert result.valid_metrics["ndcg@10"] == pytest.approx(max(ndcgs))


@pytest.mark.parametrize("model_key, refits", [("two_tower", True), ("gru4rec", False)])
def test_only_user_id_models_refit_on_validation_for_the_selected_epochs(
        synthetic_data, monkeypatch, model_key, refits):
    from recdemo import training

    dataset, split = synthetic_data
    fits = []
    real = training.fit_epochs

    def recording(model, fit_split, config, rng, epochs, callbacks=()):
        fits.append((fit_split, epochs))
        return real(model, fit_split, config, rng, epochs, callbacks)

    monkeypatch.setattr(training, "fit_epochs", recording)
    result = train(model_key, dataset, split, TINY[model_key],
                   TrainConfig(epochs=4, batch_size=16, learning_rate=0.05, patience=0, seed=0))
    assert result.refit is refits and fits[0] == (split, 4)
    if refits:
        refit_split, refit_epochs = fits[1]
        assert refit_epochs == result.best_epoch
        for user, target in split.valid.items():  # validation targets are trained on...
            assert refit_split.train[user][-1] == target
        assert refit_split.test == split.test and not refit_split.valid  # ...test never
    else:
        assert len(fits) == 1


def test_every_epoch_trains_on_fresh_examples_and_no_draw_is_wasted(synthetic_data,
                                                                    monkeypatch):
    """One build of examples per epoch trained: none for Keras' look at the data's structure
    before the first epoch, none after the last (a refit continues the same stream). Each
    fit's batches are preceded by one build that only counts the steps of an epoch."""
    from recdemo import epochs

    dataset, split = synthetic_data
    built = {}
    real = epochs.EpochBatches._examples

    def counting(self):
        if self._epoch is None:
            # Keyed by the object itself: kept alive, so no later one can reuse its id.
            built[self] = (self.split, built.get(self, (None, 0))[1] + 1)
        return real(self)

    monkeypatch.setattr(epochs.EpochBatches, "_examples", counting)
    result = train("gru4rec", dataset, split, TINY["gru4rec"],
                   TrainConfig(epochs=6, batch_size=8, learning_rate=0.05, patience=1, seed=3))
    assert [n for _, n in built.values()] == [1, len(result.history)]
    assert len(result.history) < 6  # it did stop early
    built.clear()
    result = train("two_tower", dataset, split, TINY["two_tower"],
                   TrainConfig(epochs=3, batch_size=16, learning_rate=0.05, patience=0, seed=0))
    assert [n for _, n in built.values()] == [1, 3, 1, result.best_epoch]
    assert [s is split for s, _ in built.values()] == [True, True, False, False]


def test_no_training_callback_holds_fit_to_every_batch(synthetic_data, monkeypatch):
    """Keras dispatches batch-end callbacks in the background only when none has a batch hook;
    one that has makes every step wait for the last (TerminateOnNaN did)."""
    import keras

    lists = []
    configure = keras.callbacks.CallbackList._configure_async_dispatch

    def recording(self, callbacks):
        configure(self, callbacks)
        lists.append(self)

    monkeypatch.setattr(keras.callbacks.CallbackList, "_configure_async_dispatch", recording)
    dataset, split = synthetic_data
    train("sasrec", dataset, split, TINY["sasrec"], TrainConfig(epochs=1, batch_size=16))
    assert lists and all(found._async_train for found in lists)


def test_the_schedule_lives_in_optimizer_state_and_gives_keras_own_rates():
    """Settings held as optimizer variables enter the compiled step as state (another epoch
    count reuses it) and give the very rates of Keras' CosineDecay with constant settings."""
    import keras

    from recdemo.training import learning_rate, settings_as_state

    config = TrainConfig(epochs=6, learning_rate=4e-3, schedule="cosine", warmup_epochs=2)
    reference = learning_rate(config, steps_per_epoch=5)
    schedule = learning_rate(config, steps_per_epoch=5)
    optimizer = keras.optimizers.Adam(schedule)
    settings_as_state(schedule, optimizer)
    held = [v for v in optimizer.variables if v.name.startswith("schedule_")]
    assert len(held) == 5
    for step in (0, 3, 9, 10, 11, 20, 29, 30, 45):
        expected = float(reference(step))
        assert float(schedule(step)) == pytest.approx(expected, rel=1e-6), step
    # A constant rate is a float: Keras already holds it in a variable.
    constant = learning_rate(TrainConfig(learning_rate=1e-3), steps_per_epoch=5)
    settings_as_state(constant, keras.optimizers.Adam(constant))
    assert constant == 1e-3


@pytest.mark.parametrize(("loss", "stops"), [(1.5, False), (np.nan, True), (np.inf, True)])
def test_an_epoch_with_a_non_finite_loss_stops_the_run(loss, stops):
    from recdemo.callbacks import StopOnNonFiniteLoss

    callback = StopOnNonFiniteLoss()
    callback.set_model(type("Model", (), {"stop_training": False})())
    callback.on_epoch_end(0, {"loss": loss})
    assert callback.model.stop_training is stops


def test_a_diverging_run_fails_with_one_clear_line(synthetic_data):
    from recdemo import RecdemoError

    dataset, split = synthetic_data
    with pytest.raises(RecdemoError, match="diverged"):
        train("gru4rec", dataset, split, TINY["gru4rec"],
              TrainConfig(epochs=3, batch_size=8, learning_rate=1e30, patience=0, seed=0))


@pytest.mark.parametrize("field, value", [("epochs", 0), ("batch_size", -1), ("patience", -1),
                                          ("learning_rate", 0.0), ("learning_rate", np.nan),
                                          ("weight_decay", -0.1), ("epochs", True)])
def test_every_train_setting_is_checked(field, value):
    with pytest.raises(ValueError, match=f"`{field}`.*Received"):
        TrainConfig(**{field: value})


@pytest.mark.parametrize("model_key", list(MODELS))
def test_validation_loss_from_the_ranking_pass_equals_keras_evaluate(synthetic_data, model_key):
    from model_contract import tiny_model

    from recdemo.evaluation import evaluate_with_loss
    from recdemo.recommend import Recommender

    dataset, split = synthetic_data
    model = tiny_model(model_key, dataset)
    model.compile_for_training(1e-3)
    x, y, w = model.validation_examples(split, np.random.default_rng(0))
    w = per_position(w, len(w), float(w.sum()))  # as the trainer weighs them
    expected = model.evaluate(x, y, sample_weight=w, batch_size=len(y), verbose=0)
    _, loss = evaluate_with_loss(Recommender(model, dataset, split), "valid")
    assert loss == pytest.approx(expected, rel=1e-4)
