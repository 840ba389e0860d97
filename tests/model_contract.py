"""One helper that checks a model's whole contract (the keras-hub `run_layer_test` idea)."""

from __future__ import annotations

import keras
import numpy as np

from recdemo.models import MODELS, build_model
from recdemo.recommend import Recommender

TINY = {
    "two_tower": {"embedding_dim": 8},
    "gru4rec": {"embedding_dim": 8, "hidden_dim": 8, "max_len": 6, "dropout": 0.0},
    "sasrec": {"embedding_dim": 8, "num_heads": 1, "max_len": 6, "dropout": 0.0},
    "sasrec_bce": {"embedding_dim": 8, "num_heads": 1, "max_len": 6, "dropout": 0.0,
                   "loss": "bce"},
    "two_tower_mse": {"embedding_dim": 8, "loss": "mse"},
    "mean_pool": {"embedding_dim": 8, "max_len": 6},
    # Many negatives per step, so the one-step loss comparison below is not sampling noise.
    "two_tower_sampled": {"embedding_dim": 8, "loss": "sampled", "num_negatives": 500},
    "gru4rec_sampled": {"embedding_dim": 8, "hidden_dim": 8, "max_len": 6, "dropout": 0.0,
                        "loss": "sampled", "num_negatives": 500, "sampler": "popularity"},
    "sasrec_sampled": {"embedding_dim": 8, "num_heads": 1, "max_len": 6, "dropout": 0.0,
                       "loss": "sampled", "num_negatives": 500},
}


def model_key_of(variant: str) -> str:
    """The model key behind a test variant name (`sasrec_bce` -> `sasrec`)."""
    return next(key for key in MODELS if variant.startswith(key))


def tiny_model(variant: str, dataset):
    """A small built model of a variant for `dataset`."""
    keras.utils.set_random_seed(0)
    return build_model(model_key_of(variant), dataset, **TINY[variant])


def check_model_contract(variant: str, dataset, split, tmp_path) -> None:
    """Shapes, config and weights round trips, and one train step lowering the loss."""
    model = tiny_model(variant, dataset)
    dim = model.embedding_dim
    users = np.array([1, 2, 3], np.int32)
    histories = [split.train[int(u)] for u in users]
    recommender = Recommender(model, dataset, split)

    # Shapes: one query vector per row, in the item table's space.
    queries = recommender.query_vectors(list(users), histories)
    assert queries.shape == (3, dim)
    assert tuple(model.item_embeddings().shape) == (dataset.num_items, dim)
    assert np.all(np.isfinite(queries))

    # Config round trip: hyperparameters only, and they rebuild an equal model.
    config = model.get_config()
    assert all(isinstance(v, (int, float, str)) for v in config.values())
    clone = type(model).from_config(config)
    assert clone.get_config() == config
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(model))
    assert type(revived) is type(model) and revived.get_config() == config

    # Weights round trip: the reloaded model recommends exactly the same top-10.
    model.save_weights(tmp_path / f"{variant}.weights.h5")
    clone.build_variables()
    clone.load_weights(tmp_path / f"{variant}.weights.h5")
    before = Recommender(model, dataset, split).recommend(user_id=1)
    after = Recommender(clone, dataset, split).recommend(user_id=1)
    assert [r.movie_id for r in before] == [r.movie_id for r in after]
    np.testing.assert_allclose([r.score for r in before], [r.score for r in after], rtol=1e-5)

    # One train step on a batch lowers that batch's loss.
    model.compile_for_training(learning_rate=0.05)
    x, y, w = model.training_examples(split, np.random.default_rng(0))
    loss_before = model.evaluate(x, y, sample_weight=w, batch_size=len(y), verbose=0)
    model.fit(x, y, sample_weight=w, batch_size=len(y), epochs=1, shuffle=False, verbose=0)
    loss_after = model.evaluate(x, y, sample_weight=w, batch_size=len(y), verbose=0)
    assert loss_after < loss_before
