"""SASRec's attention weights over a history, against a NumPy reference of the first block."""

from __future__ import annotations

import numpy as np
from model_contract import tiny_model

from recdemo.attention import history_attention
from recdemo.models import card
from recdemo.recommend import Recommender


def _numpy(tensor) -> np.ndarray:
    return np.asarray(tensor, dtype=np.float64)


def reference_first_block(model, items: np.ndarray) -> np.ndarray:
    """`(heads, length)` attention of the last real position in block 0, from the weights."""
    block = model.blocks[0]
    length = int((items != 0).sum())
    x = _numpy(model.item_embedding.embeddings)[items] * np.sqrt(model.embedding_dim)
    x = x + _numpy(model.position_embedding.position_embeddings)[: len(items)]
    norm = block._self_attention_layer_norm
    mean = x.mean(-1, keepdims=True)
    variance = x.var(-1, keepdims=True)
    normed = (x - mean) / np.sqrt(variance + norm.epsilon) * _numpy(norm.gamma) + _numpy(
        norm.beta)
    attention = block._self_attention_layer
    query = np.einsum("ld,dhk->lhk", normed, _numpy(attention._query_dense.kernel)) + _numpy(
        attention._query_dense.bias)
    key = np.einsum("ld,dhk->lhk", normed, _numpy(attention._key_dense.kernel)) + _numpy(
        attention._key_dense.bias)
    last = length - 1
    logits = np.einsum("hk,lhk->hl", query[last], key) / np.sqrt(query.shape[-1])
    logits[:, length:] = -np.inf  # after the last item: the future and the padding
    weights = np.exp(logits - logits.max(axis=1, keepdims=True))
    return weights / weights.sum(axis=1, keepdims=True)


def test_attention_of_the_last_position_matches_a_numpy_reference(synthetic_data):
    dataset, _ = synthetic_data
    model = tiny_model("sasrec", dataset)
    rng = np.random.default_rng(0)
    for variable in model.trainable_variables:  # away from the initial (often zero) biases
        variable.assign(rng.normal(0.0, 0.3, size=variable.shape).astype("float32"))
    items = np.array([[5, 9, 2, 7, 0, 0], [3, 4, 5, 6, 8, 1]], np.int32)
    weights = np.asarray(model.attention_weights(items))
    assert weights.shape == (2, model.num_blocks, model.num_heads, 6)
    for row in range(2):
        np.testing.assert_allclose(weights[row, 0], reference_first_block(model, items[row]),
                                   atol=1e-5)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, atol=1e-5)
    assert np.all(weights[0, :, :, 4:] < 1e-6)  # padding gets nothing


def test_history_attention_covers_the_kept_history_oldest_first(synthetic_data):
    dataset, split = synthetic_data
    model = tiny_model("sasrec", dataset)
    recommender = Recommender(model, dataset, split)
    history = np.array([4, 8, 15, 16, 23, 12, 7, 9])  # longer than max_len (6)
    weights = history_attention(recommender, history)
    assert weights.shape == (model.num_blocks, 6)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-5)
    direct = np.asarray(model.attention_weights(history[None, -6:].astype(np.int32)))
    np.testing.assert_allclose(weights, direct[0].mean(axis=1), atol=1e-6)
    assert card("sasrec").attention and not card("gru4rec").attention


def test_most_attended_lists_the_heaviest_watches_with_their_recency():
    from recdemo.attention import most_attended

    weights = np.array([[0.1, 0.2, 0.3, 0.4], [0.5, 0.1, 0.3, 0.1]])  # 2 blocks, 4 watches
    history = np.array([9, 4, 7, 4, 2])  # only the 4 most recent were kept
    titles = {2: "B", 4: "D", 7: "G"}
    frame = most_attended(weights, history, titles, top=3)
    # Last block: position 0 (movie 4, 4th most recent), then 2 (movie 4, 2nd), then 1 (7).
    assert frame["movie"].tolist() == ["D", "D", "G"]
    assert frame["recency"].tolist() == [4, 2, 3]
    assert frame["weight"].tolist() == [0.5, 0.3, 0.1]


def test_a_short_history_padded_to_its_bucket_gets_the_weights_of_the_unpadded_one(
        synthetic_data):
    dataset, split = synthetic_data
    model = tiny_model("sasrec", dataset)
    history = np.array([4, 8, 15, 16])  # padded to 6 (the bucket) inside history_attention
    weights = history_attention(Recommender(model, dataset, split), history)
    unpadded = np.asarray(model.attention_weights(history[None].astype(np.int32)))
    np.testing.assert_allclose(weights, unpadded[0].mean(axis=1), atol=1e-6)
