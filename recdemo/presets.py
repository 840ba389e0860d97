"""Named training configurations per model: `full` (the shipped artifacts) and `quick` (the
dashboard's Retrain button: under a minute on a 2-core CPU).

The two-tower and GRU4Rec use a warm-up + cosine learning-rate schedule over a fixed horizon at
a high learning rate: most of the learning happens in the first epochs and the tail is short,
which cut their shipped runs from 1.5 and 7 minutes per seed to 15 s and 100 s (docs/results.md,
docs/performance.md). The sequence models' Retrain runs and SASRec's shipped run train a sampled
softmax on batches of 64: more updates per epoch, and an epoch no longer pays for the
full-catalogue head. Validation selects the epoch everywhere.
"""

from __future__ import annotations

PRESETS: dict[str, dict[str, dict]] = {
    "full": {
        "two_tower": {"model": {"embedding_dim": 64},
                      "train": {"epochs": 12, "batch_size": 512, "learning_rate": 6e-3,
                                "weight_decay": 0.1, "patience": 3, "schedule": "cosine",
                                "warmup_epochs": 1}},
        "gru4rec": {"model": {"embedding_dim": 64, "hidden_dim": 128, "max_len": 50,
                              "dropout": 0.2},
                    "train": {"epochs": 30, "batch_size": 128, "learning_rate": 6e-3,
                              "patience": 8, "schedule": "cosine", "warmup_epochs": 2}},
        # The sampled softmax (300 uniform negatives a row) at batch 64, warm-up 3 + cosine
        # over 48 epochs: 1-2 minutes a seed, against 8-12 for the constant-rate full softmax
        # it replaced (80 epochs, batch 128, lr 2e-3). Recipes were compared on validation
        # NDCG@10, and the two best (32 and 48 epochs) on 6 seeds each, since 3 seeds could
        # not tell them apart; and on the persona check of tests/test_real_data.py, which 200
        # uniform negatives failed (docs/results.md).
        "sasrec": {"model": {"embedding_dim": 64, "num_blocks": 2, "num_heads": 2,
                             "max_len": 50, "dropout": 0.3, "loss": "sampled",
                             "num_negatives": 300},
                   "train": {"epochs": 48, "batch_size": 64, "learning_rate": 6e-3,
                             "patience": 0, "schedule": "cosine", "warmup_epochs": 3}},
    },
    "quick": {
        "two_tower": {"model": {"embedding_dim": 64},
                      "train": {"epochs": 10, "batch_size": 512, "learning_rate": 6e-3,
                                "weight_decay": 0.1, "patience": 0, "schedule": "cosine",
                                "warmup_epochs": 1}},
        # The sampled softmax (100 negatives per row) makes an epoch cheap enough for 20 of
        # them in ~40 s: 0.2022 test HR@10 over 3 seeds, against 0.175 for 12 epochs of the
        # full softmax in ~45 s (docs/results.md).
        "gru4rec": {"model": {"embedding_dim": 64, "hidden_dim": 128, "max_len": 50,
                              "loss": "sampled", "num_negatives": 100},
                    "train": {"epochs": 20, "batch_size": 64, "learning_rate": 4e-3,
                              "patience": 0, "schedule": "cosine", "warmup_epochs": 2}},
        # One single-head block costs well under half an epoch of two two-head blocks (~1 s vs
        # ~3 s), so 30 epochs fit in ~30 s, and it is higher on validation than 20 epochs of
        # the two-block model (0.1185 vs 0.1101 NDCG@10, 3 seeds). Negatives drawn by
        # popularity learn faster than uniform ones over a short horizon (docs/results.md).
        "sasrec": {"model": {"embedding_dim": 64, "num_blocks": 1, "num_heads": 1,
                             "max_len": 50, "dropout": 0.3, "loss": "sampled",
                             "num_negatives": 100, "sampler": "popularity"},
                   "train": {"epochs": 30, "batch_size": 64, "learning_rate": 4e-3,
                             "patience": 0, "schedule": "cosine", "warmup_epochs": 2}},
    },
}


def preset(name: str, model_key: str) -> tuple[dict, dict]:
    """`(model hyperparameters, train settings)` copies of a preset for one model (empty for a
    model the preset does not name: its constructor's and `TrainConfig`'s defaults apply)."""
    entry = PRESETS[name].get(model_key, {"model": {}, "train": {}})
    return dict(entry["model"]), dict(entry["train"])
