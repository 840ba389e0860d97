"""SASRec: a causal Transformer over a user's items (keras-hub building blocks)."""

from __future__ import annotations

import keras
import keras_hub
import numpy as np
from keras import ops

from recdemo.models import sequences
from recdemo.models.base import RetrievalModel, check_positive_int, check_rate
from recdemo.split import LeaveOneOutSplit

LOSSES = ("ce", "bce")


@keras.saving.register_keras_serializable(package="recdemo")
class SASRec(RetrievalModel):
    """Self-attentive sequential recommendation.

    Items go through a `ReversibleEmbedding` (its reverse pass scores the whole catalogue),
    plus a learned `PositionEmbedding`, then `num_blocks` pre-norm causal `TransformerDecoder`
    blocks with a padding mask. The query is the output at the last real item.

    Args:
        num_items: size of the item id space (id 0 is padding).
        embedding_dim: model width.
        num_blocks: Transformer blocks.
        num_heads: attention heads per block.
        max_len: most recent items kept per history.
        dropout: dropout rate inside the blocks and on the input embeddings.
        loss: `"ce"` (softmax over the catalogue at every position) or `"bce"` (the paper's
            one sampled negative per position, resampled each epoch, never a user's own item).

    Example:
    >>> model = SASRec(num_items=100, embedding_dim=8, num_heads=1, max_len=5)
    >>> model.query_embeddings(np.array([[3, 4, 0, 0, 0]])).shape
    (1, 8)
    """

    CHOICES = {"loss": LOSSES}

    def __init__(self, num_items: int, embedding_dim: int = 64, num_blocks: int = 2,
                 num_heads: int = 2, max_len: int = 200, dropout: float = 0.2,
                 loss: str = "ce", **kwargs):
        super().__init__(num_items, embedding_dim, **kwargs)
        if loss not in LOSSES:
            raise ValueError(f"`loss` should be one of {LOSSES}. Received: `loss` = {loss!r}.")
        for name, value in (("num_blocks", num_blocks), ("num_heads", num_heads),
                            ("max_len", max_len)):
            check_positive_int(name, value)
        check_rate("dropout", dropout)
        self.num_blocks = num_blocks
        self.num_heads = num_heads
        self.max_len = max_len
        self.dropout = dropout
        self.loss_type = loss
        self.item_embedding = keras_hub.layers.ReversibleEmbedding(
            num_items, embedding_dim, name="item_embedding")
        self.position_embedding = keras_hub.layers.PositionEmbedding(
            max_len, name="position_embedding")
        self.embedding_dropout = keras.layers.Dropout(dropout, name="embedding_dropout")
        self.blocks = [
            keras_hub.layers.TransformerDecoder(
                intermediate_dim=embedding_dim, num_heads=num_heads, dropout=dropout,
                normalize_first=True, name=f"transformer_block_{i}")
            for i in range(num_blocks)
        ]
        self.final_norm = keras.layers.LayerNormalization(epsilon=1e-5, name="final_norm")

    def sequence_outputs(self, items, training: bool = False):
        """`(batch, length, embedding_dim)` causal outputs; position t sees items 0..t only."""
        x = self.item_embedding(items) * (self.embedding_dim ** 0.5)
        x = self.embedding_dropout(x + self.position_embedding(x), training=training)
        padding_mask = ops.not_equal(items, sequences.PADDING_ID)
        for block in self.blocks:
            x = block(x, decoder_padding_mask=padding_mask, use_causal_mask=True,
                      training=training)
        return self.final_norm(x)

    def call(self, inputs, training: bool = False):
        """CE: `(batch, length, num_items)` logits. BCE: `(batch, length, 2)` logits of the
        positive and the sampled negative at every position."""
        if self.loss_type == "ce":
            outputs = self.sequence_outputs(inputs, training=training)
            return self.item_embedding(outputs, reverse=True)
        outputs = self.sequence_outputs(inputs["items"], training=training)
        table = self.item_embeddings()
        positive = ops.sum(outputs * ops.take(table, inputs["positives"], axis=0), axis=-1)
        negative = ops.sum(outputs * ops.take(table, inputs["negatives"], axis=0), axis=-1)
        return ops.stack([positive, negative], axis=-1)

    def objective(self) -> keras.losses.Loss:
        """Softmax CE over the catalogue, or BCE on (positive, negative) logit pairs."""
        if self.loss_type == "ce":
            return super().objective()
        return keras.losses.BinaryCrossentropy(
            from_logits=True, reduction="mean_with_sample_weight")

    def query_embeddings(self, items, training: bool = False):
        """The output at each row's most recent item."""
        return sequences.gather_last(self.sequence_outputs(items, training=training), items)

    def item_embeddings(self):
        """The (reversible) item embedding table."""
        return self.item_embedding.embeddings

    def _with_negatives(self, x, y, weights, owner_items, rng) -> tuple:
        if self.loss_type == "ce":
            return x, y, weights
        negatives = sample_negatives(owner_items, x.shape[1], rng)
        labels = np.broadcast_to(np.array([1.0, 0.0], np.float32), (*y.shape, 2))
        return {"items": x, "positives": y, "negatives": negatives}, labels, weights

    def training_examples(self, split: LeaveOneOutSplit, rng: np.random.Generator) -> tuple:
        """Every (prefix, next item) pair; for BCE with fresh negatives each call."""
        train = list(split.train.values())
        x, y, weights, owners = sequences.next_item_examples(train, self.max_len)
        return self._with_negatives(x, y, weights, [train[o] for o in owners], rng)

    def validation_examples(self, split: LeaveOneOutSplit, rng: np.random.Generator) -> tuple:
        """Train sequence -> validation target at the last position."""
        users, histories, targets = split.cases("valid")
        x, y, weights = sequences.last_item_examples(histories, targets, self.max_len)
        owner_items = [np.append(h, t) for h, t in zip(histories, targets)]
        return self._with_negatives(x, y, weights, owner_items, rng)

    def get_config(self) -> dict:
        """Hyperparameters only."""
        return {**super().get_config(), "num_blocks": self.num_blocks,
                "num_heads": self.num_heads, "max_len": self.max_len, "dropout": self.dropout,
                "loss": self.loss_type}


def sample_negatives(owner_items: list[np.ndarray], length: int,
                     rng: np.random.Generator) -> np.ndarray:
    """One negative per position per row, uniform over the items seen in any row and never one
    of that row's owner's items.

    Args:
        owner_items: for each row, every item of the user it belongs to.
        length: positions per row.
        rng: the random generator (a new draw per call = resampled every epoch).

    Returns:
        `(rows, length)` int32 negative item ids.
    """
    catalogue = np.unique(np.concatenate(owner_items))
    out = np.empty((len(owner_items), length), dtype=np.int32)
    for row, own in enumerate(owner_items):
        allowed = np.setdiff1d(catalogue, own, assume_unique=False)
        out[row] = rng.choice(allowed, size=length)
    return out
