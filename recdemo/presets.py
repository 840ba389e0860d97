"""Named training configurations per model: `full` (the shipped artifacts) and `quick` (the
dashboard's Retrain button: about a minute on a 2-core CPU, still well above most-popular)."""

from __future__ import annotations

PRESETS: dict[str, dict[str, dict]] = {
    "full": {
        "two_tower": {"model": {"embedding_dim": 64},
                      "train": {"epochs": 60, "batch_size": 256, "learning_rate": 2e-3,
                                "weight_decay": 0.1, "patience": 8}},
        "gru4rec": {"model": {"embedding_dim": 64, "hidden_dim": 128, "max_len": 50,
                              "dropout": 0.2},
                    "train": {"epochs": 80, "batch_size": 128, "learning_rate": 2e-3,
                              "patience": 12}},
        "sasrec": {"model": {"embedding_dim": 64, "num_blocks": 2, "num_heads": 2,
                             "max_len": 50, "dropout": 0.3, "loss": "ce"},
                   "train": {"epochs": 80, "batch_size": 128, "learning_rate": 2e-3,
                             "patience": 15}},
    },
    "quick": {
        "two_tower": {"model": {"embedding_dim": 64},
                      "train": {"epochs": 15, "batch_size": 256, "learning_rate": 2e-3,
                                "weight_decay": 0.1, "patience": 0}},
        "gru4rec": {"model": {"embedding_dim": 64, "hidden_dim": 128, "max_len": 50},
                    "train": {"epochs": 8, "batch_size": 128, "learning_rate": 3e-3,
                              "patience": 0}},
        "sasrec": {"model": {"embedding_dim": 64, "max_len": 50, "loss": "ce"},
                   "train": {"epochs": 6, "batch_size": 128, "learning_rate": 3e-3,
                             "patience": 0}},
    },
}


def preset(name: str, model_key: str) -> tuple[dict, dict]:
    """`(model hyperparameters, train settings)` copies of a preset for one model (empty for a
    model the preset does not name: its constructor's and `TrainConfig`'s defaults apply)."""
    entry = PRESETS[name].get(model_key, {"model": {}, "train": {}})
    return dict(entry["model"]), dict(entry["train"])
