"""Training batches: every real position trained exactly once an epoch, rows batched by
length, padding cut away, the same batches from the same seed."""

from __future__ import annotations

import numpy as np
import pytest
from model_contract import TINY, model_key_of, tiny_model

from recdemo.epochs import EpochBatches, bucket_lengths, bucketed_batches


def test_bucket_lengths_double_up_to_max_len():
    assert bucket_lengths(50) == [8, 16, 32, 50]
    assert bucket_lengths(8) == [8] and bucket_lengths(6) == [6]
    assert bucket_lengths(64) == [8, 16, 32, 64]


def test_each_row_lands_once_in_a_full_batch_of_its_bucket():
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 51, size=203)
    buckets = bucket_lengths(50)
    batches = bucketed_batches(lengths, buckets, 16, np.random.default_rng(1))
    real = np.concatenate([rows[~padding] for rows, _, padding in batches])
    assert sorted(real.tolist()) == list(range(203))  # every row once, with its weight
    for rows, length, padding in batches:
        assert len(rows) == 16 and length in buckets
        below = buckets[buckets.index(length) - 1] if length != buckets[0] else 0
        assert ((lengths[rows] <= length) & (lengths[rows] > below)).all()
        assert padding.sum() < 16
    again = bucketed_batches(lengths, buckets, 16, np.random.default_rng(1))
    assert all((a[0] == b[0]).all() for a, b in zip(batches, again))


def test_sequence_batches_keep_every_real_position_and_cut_only_padding(synthetic_data):
    dataset, split = synthetic_data
    from recdemo.models import build_model

    for variant in ("gru4rec", "sasrec_bce"):  # histories of 6-14 train items, max_len 20
        model = build_model(model_key_of(variant), dataset, **{**TINY[variant], "max_len": 20})
        batches = EpochBatches(model, split, 8, np.random.default_rng(0))
        x_all, y_all, w_all = model.training_examples(split, np.random.default_rng(0))
        trained, cut = 0, 0
        for index in range(len(batches)):
            x, y, w = batches[index]
            query = x["query"] if isinstance(x, dict) else x
            assert query.shape[1] == w.shape[1] in (8, 16, 20)
            cut += 20 - w.shape[1]
            trained += int(np.count_nonzero(w))
        assert trained == np.count_nonzero(w_all)  # nothing real lost, nothing counted twice
        assert cut > 0  # short rows were cut shorter


def test_non_sequence_examples_are_the_padded_shuffled_rows(synthetic_data):
    dataset, split = synthetic_data
    model = tiny_model("two_tower", dataset)
    batches = EpochBatches(model, split, 16, np.random.default_rng(0))
    _, y_all, w_all = model.training_examples(split, np.random.default_rng(0))
    weights = np.concatenate([batches[i][2] for i in range(len(batches))])
    assert len(weights) == len(batches) * 16
    assert np.count_nonzero(weights) == np.count_nonzero(w_all)


def test_every_real_position_weighs_the_same_in_every_batch(synthetic_data):
    """Keras divides each batch's weighted loss sum by its rows x positions: the batches'
    weights must make that the mean over the epoch's real positions, whatever the bucket
    sizes and padding (a NumPy reference over random per-position losses)."""
    dataset, split = synthetic_data
    rng = np.random.default_rng(3)
    for key, batch_size in (("gru4rec", 8), ("sasrec", 8), ("two_tower", 16)):
        model = tiny_model(key, dataset)
        batches = EpochBatches(model, split, batch_size, np.random.default_rng(0))
        x_all, y_all, w_all = model.training_examples(split, np.random.default_rng(0))
        batch_means, per_weight, losses = [], set(), []
        for index in range(len(batches)):
            _, _, w = batches[index]
            values = rng.random(w.shape)  # any per-position loss
            batch_means.append((values * w).sum() / w.size)  # sum_over_batch_size
            per_weight.update(np.round(w[w > 0] / (w[0].size if w.ndim == 2 else 1), 6))
            losses.append(values[w > 0])
        # Keras' epoch loss: the mean of the batch losses (every batch has the same rows).
        expected = np.concatenate(losses).mean()
        assert np.mean(batch_means) == pytest.approx(expected, rel=1e-5), key
        assert len(per_weight) == 1, key  # one weight for every real position
