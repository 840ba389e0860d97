"""A training recipe derived from the data's shape, for data the named presets were not tuned
on (`--preset auto`, the default off MovieLens-100k).

The models' presets (`PRESETS` on each class) were chosen on MovieLens-100k: 943 users with
~106 ratings each, 1,682 movies. A public sequential log is usually the opposite (tens of
thousands of users with ~5-10 interactions each, a catalogue ten times larger), and those
choices cost it hours of padding and full-catalogue softmax. Each rule here reads one
property of the train part and says why it chose what it chose; `train` prints the reasons
and the artifact's provenance records them. Nothing here reads validation or test.
"""

from __future__ import annotations

import math

import numpy as np

# Above this many items the catalogue softmax gives way to the sampled one.
LARGE_CATALOGUE = 5_000
NEGATIVES = 300
# The learning-rate schedule's horizon aims at about this many optimiser steps (sequence models;
# user-id models, whose vectors overfit their few rows sooner, at the second).
TARGET_STEPS = 5_000
USER_ID_STEPS = 2_000


def auto_recipe(model_key: str, accepted: set[str], num_users: int, num_items: int,
                train_lengths: np.ndarray) -> tuple[dict, dict, list[str]]:
    """`(model hyperparameters, train settings, reasons)` for one model on one dataset.

    Args:
        model_key: the model (its accepted hyperparameters decide which rules apply).
        accepted: the hyperparameter names its constructor takes.
        num_users, num_items: the id spaces' real sizes.
        train_lengths: each user's number of train interactions.
    """
    lengths = np.asarray(train_lengths)
    median, p99 = float(np.median(lengths)), float(np.percentile(lengths, 99))
    model, reasons = {"embedding_dim": 64}, []
    sequence = "max_len" in accepted
    if sequence:
        max_len = int(min(200, max(16, 2 ** math.ceil(math.log2(max(p99, 1))))))
        model["max_len"] = max_len
        reasons.append(f"max_len {max_len}: 99 % of train histories have at most {p99:.0f} "
                       f"items (batches are cut to each row's length, so a longer window "
                       f"costs only the users who have one)")
        dropout = 0.5 if median < 20 else 0.3
        model["dropout"] = dropout
        reasons.append(f"dropout {dropout}: a median history of {median:.0f} items"
                       + (" (sparse: more regularisation)" if dropout == 0.5 else ""))
    if "num_heads" in accepted:
        model.update(num_blocks=2, num_heads=1 if median < 20 else 2)
    if num_items > LARGE_CATALOGUE:
        model.update(loss="sampled", num_negatives=NEGATIVES)
        reasons.append(f"sampled softmax, {NEGATIVES} negatives a row: {num_items:,} items "
                       f"(over {LARGE_CATALOGUE:,}, a full softmax per position costs more "
                       f"than it gains)")
    else:
        model["loss"] = "softmax"
        reasons.append(f"full catalogue softmax: only {num_items:,} items")
    batch_size = 64 if num_users < 5_000 else 128 if num_users < 100_000 else 256
    if not sequence:
        batch_size = 512
    rows = num_users if sequence else int(lengths.sum())
    steps = max(1, math.ceil(rows / batch_size))
    reasons.append(f"batch {batch_size}: {num_users:,} users, {rows:,} training rows "
                   f"({steps:,} steps an epoch)")
    if sequence:
        target, learning_rate, shortest = TARGET_STEPS, 2e-3, 10
    else:
        target, learning_rate, shortest = USER_ID_STEPS, 6e-3, 3
        reasons.append(f"learning rate {learning_rate:g} over about {target:,} steps: a user "
                       f"vector learns only from its own rows, and past that horizon it "
                       f"memorises them (the MovieLens preset's 12 epochs of 194 steps)")
    epochs = int(min(48, max(shortest, math.ceil(target / steps))))
    reasons.append(f"cosine schedule over {epochs} epochs (about {target:,} steps), "
                   f"warm-up 1, stopped after 3 epochs without a better validation NDCG@10 "
                   f"(best epoch's weights kept)")
    train = {"epochs": epochs, "batch_size": batch_size, "learning_rate": learning_rate,
             "schedule": "cosine", "warmup_epochs": 1, "patience": 3}
    return {k: v for k, v in model.items() if k in accepted}, train, reasons
