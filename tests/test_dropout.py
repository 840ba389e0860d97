"""`ByteDropout` against what dropout must do, and its use inside SASRec's blocks."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from recdemo.models.dropout import ByteDropout, use_byte_dropout


@pytest.mark.parametrize("rate", [0.1, 0.3, 0.5])
def test_byte_dropout_keeps_the_rate_and_is_unbiased(rate):
    keras.utils.set_random_seed(0)
    layer = ByteDropout(rate)
    x = np.random.default_rng(0).normal(size=(200, 50, 64)).astype("float32")
    y = np.asarray(layer(x, training=True))
    kept = y != 0
    assert abs(kept.mean() - (1 - rate)) < 0.005  # 640k elements: ~0.0006 standard error
    # Kept values are scaled by the inverse of the kept fraction, so E[y] = x.
    kept_fraction = layer.threshold / 256
    np.testing.assert_allclose(y[kept], x[kept] / kept_fraction, rtol=1e-6)
    assert abs(kept_fraction - (1 - rate)) <= 1 / 512
    # A fresh, independent mask per call (two masks disagree on 2p(1-p) of the elements), and
    # neighbouring positions are independent (no repeated byte pattern).
    again = np.asarray(layer(x, training=True)) != 0
    assert abs((again != kept).mean() - 2 * rate * (1 - rate)) < 0.01
    assert abs(np.corrcoef(kept[:, :, 0].ravel(), kept[:, :, 1].ravel())[0, 1]) < 0.02


def test_byte_dropout_is_the_identity_at_inference_and_at_rate_zero():
    x = np.ones((3, 7), np.float32)
    np.testing.assert_array_equal(np.asarray(ByteDropout(0.3)(x)), x)
    np.testing.assert_array_equal(np.asarray(ByteDropout(0.0)(x, training=True)), x)


def test_odd_sized_inputs_keep_their_shape():
    y = ByteDropout(0.5)(np.ones((3, 5, 7), np.float32), training=True)
    assert tuple(y.shape) == (3, 5, 7)


def test_sasrec_blocks_use_byte_dropout_and_a_renamed_layer_is_refused(synthetic_data):
    from recdemo.models import build_model

    dataset, _ = synthetic_data
    model = build_model("sasrec", dataset, embedding_dim=8, num_heads=1, max_len=5,
                        dropout=0.3)
    for block in model.blocks:
        for layer in (block._self_attention_layer._dropout_layer,
                      block._self_attention_dropout, block._feedforward_dropout):
            assert isinstance(layer, ByteDropout) and layer.rate == 0.3
    assert isinstance(model.embedding_dropout, ByteDropout)
    block = model.blocks[0]
    block._feedforward_dropout = None  # what a keras-hub rename would look like
    with pytest.raises(AttributeError, match="_feedforward_dropout"):
        use_byte_dropout(block)
