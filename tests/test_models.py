"""Each model's contract, SASRec's causality and the last-position gather."""

from __future__ import annotations

import doctest
import sys

import numpy as np
import pytest
from model_contract import TINY, check_model_contract, tiny_model

from recdemo.models import MODELS
from recdemo.models.objectives import sample_negatives
from recdemo.models.padding import pad_right
from recdemo.models.sasrec import SASRec
from recdemo.models.sequences import gather_last, next_item_examples


@pytest.mark.parametrize("variant", sorted(TINY))
def test_model_contract(variant, synthetic_data, tmp_path):
    dataset, split = synthetic_data
    check_model_contract(variant, dataset, split, tmp_path)


def test_every_model_is_registered_and_in_the_contract():
    assert set(MODELS) <= set(TINY)


def test_gather_last_reads_the_last_real_item_of_right_padded_rows():
    rng = np.random.default_rng(0)
    outputs = rng.normal(size=(3, 5, 4)).astype("float32")
    items = np.array([[7, 8, 9, 0, 0], [5, 0, 0, 0, 0], [1, 2, 3, 4, 5]])
    expected = np.stack([outputs[0, 2], outputs[1, 0], outputs[2, 4]])
    np.testing.assert_array_equal(np.asarray(gather_last(outputs, items)), expected)


def test_sasrec_is_causal(synthetic_data):
    dataset, _ = synthetic_data
    model = tiny_model("sasrec", dataset)
    items = np.array([[3, 4, 5, 6, 7, 8]], np.int32)
    changed = items.copy()
    changed[0, 3:] = [20, 21, 0]  # change (and pad) everything after position 2
    first = np.asarray(model.sequence_outputs(items))
    second = np.asarray(model.sequence_outputs(changed))
    np.testing.assert_allclose(first[0, :3], second[0, :3], rtol=1e-5, atol=1e-6)
    assert not np.allclose(first[0, 3], second[0, 3])


def test_sasrec_query_ignores_right_padding(synthetic_data):
    dataset, _ = synthetic_data
    model = tiny_model("sasrec", dataset)
    short = np.array([[3, 4, 5, 0, 0, 0]], np.int32)
    outputs = np.asarray(model.sequence_outputs(short))
    np.testing.assert_allclose(np.asarray(model.query_embeddings(short))[0], outputs[0, 2],
                               rtol=1e-6)


def test_pad_right_keeps_the_most_recent_items():
    np.testing.assert_array_equal(pad_right([np.array([1, 2, 3, 4]), np.array([9])], 3),
                                  [[2, 3, 4], [9, 0, 0]])


def test_next_item_examples_cover_every_pair_once():
    sequence = np.arange(1, 12)  # 10 (prefix, next) pairs, windows of 4
    x, y, w, owners = next_item_examples([sequence, np.array([20, 21])], max_len=4)
    pairs = {(int(x[r, c]), int(y[r, c])) for r, c in zip(*np.nonzero(w))}
    assert len(pairs) == int(w.sum()) == 11
    assert {(a, b) for a, b in pairs if b == a + 1} == pairs
    assert set(owners) == {0, 1}


def test_negatives_never_come_from_the_users_items():
    rng = np.random.default_rng(0)
    owners = [np.array([1, 2, 3]), np.array([4, 5, 6]), np.array([1, 6, 7, 8])]
    negatives = sample_negatives(owners, 50, rng)
    for row, own in zip(negatives, owners):
        assert not set(row) & set(own)
        assert set(row) <= set(range(1, 9))


def test_bad_hyperparameters_are_rejected():
    with pytest.raises(ValueError, match="loss"):
        SASRec(num_items=10, loss="hinge")
    with pytest.raises(ValueError, match="num_items"):
        SASRec(num_items=0)


@pytest.mark.parametrize("key", sorted(MODELS))
def test_each_models_docstring_example_runs_as_written(key):
    module = sys.modules[MODELS[key].__module__]
    result = doctest.testmod(module, extraglobs={"np": np}, optionflags=doctest.ELLIPSIS)
    assert result.attempted and not result.failed
