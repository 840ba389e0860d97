"""SASRec: a causal Transformer over a user's items (keras-hub building blocks)."""

from __future__ import annotations

import keras
import keras_hub
import numpy as np  # noqa: F401  (the doctest's namespace)
from keras import ops

from recdemo.models import objectives, padding, sequences
from recdemo.models.base import SequenceModel
from recdemo.models.dropout import ByteDropout, use_byte_dropout
from recdemo.validation import check_int


@keras.saving.register_keras_serializable(package="recdemo")
class SASRec(SequenceModel):
    """Self-attentive sequential recommendation.

    Items go through a `ReversibleEmbedding` (its reverse pass scores the whole catalogue),
    plus a learned `PositionEmbedding`, then `num_blocks` pre-norm causal `TransformerDecoder`
    blocks with a padding mask. The query is the output at the last real item. Every dropout is
    a `ByteDropout` (a quarter of the random bits of Keras' own).

    Args:
        num_items: size of the item id space (id 0 is padding).
        embedding_dim: model width.
        num_blocks: Transformer blocks.
        num_heads: attention heads per block.
        max_len: most recent items kept per history.
        dropout: dropout rate inside the blocks and on the input embeddings.
        loss: `"softmax"` (softmax over the catalogue at every position), `"bce"` (the paper's
            one sampled negative per position, resampled each epoch, never a user's own item)
            or `"sampled"` (sampled softmax, `num_negatives` per step).

    Example (how each block's head weighs the history when reading it after movie 4):
    >>> model = SASRec(num_items=100, embedding_dim=8, num_heads=1, max_len=5)
    >>> weights = np.asarray(model.attention_weights(np.array([[3, 4, 0, 0, 0]])))
    >>> weights.shape, bool(np.allclose(weights.sum(axis=-1), 1)), float(weights[..., 2:].max())
    ((1, 2, 1, 5), True, 0.0)
    """

    DISPLAY_NAME = "SASRec"
    DESCRIPTION = ("reads your movies in order with a Transformer, which can attend to any "
                   "earlier movie when predicting the next one.")
    LOSSES = {**SequenceModel.LOSSES, "bce": objectives.SampledBCE}
    PRESETS = {
        # The sampled softmax (300 uniform negatives a row) at batch 64, warm-up 3 + cosine
        # over 32 epochs: a fifth of the time of the full softmax it replaced, equal on
        # validation; recipes were compared on validation NDCG@10 over 3-6 seeds and on the
        # persona check of tests/test_real_data.py, which 200 negatives failed. 40 and 48
        # epochs tie 32 on validation at up to half as much again (docs/results.md). Split
        # across a CPU's cores, an epoch takes two thirds of the time, with the same curve
        # (docs/performance.md).
        "full": {"model": {"embedding_dim": 64, "num_blocks": 2, "num_heads": 2,
                           "max_len": 50, "dropout": 0.3, "loss": "sampled",
                           "num_negatives": 300},
                 "train": {"epochs": 32, "batch_size": 64, "learning_rate": 6e-3,
                           "patience": 0, "schedule": "cosine", "warmup_epochs": 3,
                           "host_cores": True}},
        # One single-head block costs well under half an epoch of two two-head blocks, so 30
        # epochs fit the Retrain button's time, and it is higher on validation than 20 epochs
        # of the two-block model. Negatives drawn by popularity learn faster than uniform ones
        # over a short horizon (docs/results.md).
        "quick": {"model": {"embedding_dim": 64, "num_blocks": 1, "num_heads": 1,
                            "max_len": 50, "dropout": 0.3, "loss": "sampled",
                            "num_negatives": 100, "sampler": "popularity"},
                  "train": {"epochs": 30, "batch_size": 64, "learning_rate": 4e-3,
                            "patience": 0, "schedule": "cosine", "warmup_epochs": 2}},
    }

    def __init__(self, num_items: int, embedding_dim: int = 64, num_blocks: int = 2,
                 num_heads: int = 2, max_len: int = 200, dropout: float = 0.2, **kwargs):
        super().__init__(num_items, embedding_dim, max_len=max_len, dropout=dropout, **kwargs)
        check_int("num_blocks", num_blocks)
        check_int("num_heads", num_heads)
        self.num_blocks = num_blocks
        self.num_heads = num_heads
        self.item_embedding = keras_hub.layers.ReversibleEmbedding(
            num_items, embedding_dim, name="item_embedding")
        self.position_embedding = keras_hub.layers.PositionEmbedding(
            max_len, name="position_embedding")
        self.embedding_dropout = ByteDropout(dropout, name="embedding_dropout")
        self.blocks = [
            keras_hub.layers.TransformerDecoder(
                intermediate_dim=embedding_dim, num_heads=num_heads, dropout=dropout,
                normalize_first=True, name=f"transformer_block_{i}")
            for i in range(num_blocks)
        ]
        self.final_norm = keras.layers.LayerNormalization(epsilon=1e-5, name="final_norm")

    def build_variables(self) -> None:
        """Build, then give the blocks the cheaper dropout (`recdemo.models.dropout`)."""
        super().build_variables()
        for block in self.blocks:
            use_byte_dropout(block)

    def _block_inputs(self, items, training: bool = False):
        """`(embedded items, padding mask)`: what the first block reads."""
        x = self.item_embedding(items) * (self.embedding_dim ** 0.5)
        x = self.embedding_dropout(x + self.position_embedding(x), training=training)
        return x, ops.not_equal(items, padding.PADDING_ID)

    def sequence_outputs(self, items, training: bool = False):
        """`(batch, length, embedding_dim)` causal outputs; position t sees items 0..t only."""
        x, padding_mask = self._block_inputs(items, training=training)
        for block in self.blocks:
            x = block(x, decoder_padding_mask=padding_mask, use_causal_mask=True,
                      training=training)
        return self.final_norm(x)

    def attention_weights(self, items):
        """`(batch, num_blocks, num_heads, length)`: how each block's heads weigh the positions
        when computing the output at each row's last real item (rows sum to 1; padding and
        nothing after the last item get 0).

        keras-hub's `TransformerDecoder` does not return its attention scores, so each block's
        own self-attention layer is called again on the block's normalised input with
        `return_attention_scores=True`, and the block itself carries the sequence on (which
        needs the blocks built: a new model is built first).
        """
        if not self.built:
            self.build_variables()
        x, padding_mask = self._block_inputs(items)
        rows, length = ops.shape(items)
        weights = []
        for block in self.blocks:
            mask = block._compute_self_attention_mask(x, padding_mask, None, True, None, None)
            normed = block._self_attention_layer_norm(x)
            _, scores = block._self_attention_layer(query=normed, value=normed,
                                                    attention_mask=mask,
                                                    return_attention_scores=True)
            # (rows, query position, heads x key positions): the query's last real item is
            # read where the query vector is (`gather_last`).
            by_query = ops.reshape(ops.transpose(scores, (0, 2, 1, 3)), (rows, length, -1))
            at_last = sequences.gather_last(by_query, items)
            weights.append(ops.reshape(at_last, (rows, self.num_heads, length)))
            x = block(x, decoder_padding_mask=padding_mask, use_causal_mask=True)
        return ops.stack(weights, axis=1)

    def get_config(self) -> dict:
        """Hyperparameters only."""
        return {**super().get_config(), "num_blocks": self.num_blocks,
                "num_heads": self.num_heads}
