"""SASRec: a causal Transformer over a user's items (keras-hub building blocks)."""

from __future__ import annotations

import keras
import keras_hub
import numpy as np
from keras import ops

from recdemo.models import objectives, sequences
from recdemo.models.base import RetrievalModel
from recdemo.models.dropout import ByteDropout, use_byte_dropout
from recdemo.models.sampled_softmax import SampledSoftmax
from recdemo.split import LeaveOneOutSplit
from recdemo.validation import check_choice, check_int, check_rate

# `loss` names (stored in artifacts' configs) -> objectives.
LOSSES = {"softmax": objectives.CatalogueSoftmax, "bce": objectives.SampledBCE,
          "sampled": SampledSoftmax}


@keras.saving.register_keras_serializable(package="recdemo")
class SASRec(RetrievalModel):
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

    Example:
    >>> model = SASRec(num_items=100, embedding_dim=8, num_heads=1, max_len=5)
    >>> model.query_embeddings(np.array([[3, 4, 0, 0, 0]])).shape
    (1, 8)
    """

    CHOICES = {"loss": tuple(LOSSES)}

    def __init__(self, num_items: int, embedding_dim: int = 64, num_blocks: int = 2,
                 num_heads: int = 2, max_len: int = 200, dropout: float = 0.2,
                 loss: str = "softmax", **kwargs):
        super().__init__(num_items, embedding_dim, **kwargs)
        loss = objectives.canonical(loss)
        check_choice("loss", loss, LOSSES)
        for name, value in (("num_blocks", num_blocks), ("num_heads", num_heads),
                            ("max_len", max_len)):
            check_int(name, value)
        check_rate("dropout", dropout)
        self.num_blocks = num_blocks
        self.num_heads = num_heads
        self.max_len = max_len
        self.dropout = dropout
        self.loss_type = loss
        self.objective = objectives.build(LOSSES, loss, self)
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

    def sequence_outputs(self, items, training: bool = False):
        """`(batch, length, embedding_dim)` causal outputs; position t sees items 0..t only."""
        x = self.item_embedding(items) * (self.embedding_dim ** 0.5)
        x = self.embedding_dropout(x + self.position_embedding(x), training=training)
        padding_mask = ops.not_equal(items, sequences.PADDING_ID)
        for block in self.blocks:
            x = block(x, decoder_padding_mask=padding_mask, use_causal_mask=True,
                      training=training)
        return self.final_norm(x)

    def training_outputs(self, items, training: bool = False):
        """The output at every position (the objective scores each position's next item)."""
        return self.sequence_outputs(items, training=training)

    def query_embeddings(self, items, training: bool = False):
        """The output at each row's most recent item."""
        return sequences.gather_last(self.sequence_outputs(items, training=training), items)

    def item_embeddings(self):
        """The (reversible) item embedding table."""
        return self.item_embedding.embeddings

    def training_examples(self, split: LeaveOneOutSplit, rng: np.random.Generator) -> tuple:
        """Every (prefix, next item) pair; for BCE with fresh negatives each call."""
        train = list(split.train.values())
        x, y, weights, owners = sequences.next_item_examples(train, self.max_len)
        return self.objective.examples(x, y, weights, owner_items=[train[o] for o in owners],
                                       rng=rng)

    def validation_examples(self, split: LeaveOneOutSplit, rng: np.random.Generator) -> tuple:
        """Train sequence -> validation target at the last position."""
        users, histories, targets = split.cases("valid")
        x, y, weights = sequences.last_item_examples(histories, targets, self.max_len)
        owner_items = [np.append(h, t) for h, t in zip(histories, targets)]
        return self.objective.examples(x, y, weights, owner_items=owner_items, rng=rng)

    def get_config(self) -> dict:
        """Hyperparameters only."""
        return {**super().get_config(), "num_blocks": self.num_blocks,
                "num_heads": self.num_heads, "max_len": self.max_len, "dropout": self.dropout,
                "loss": self.loss_type}

