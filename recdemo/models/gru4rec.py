"""GRU4Rec: item embedding -> GRU -> the state at the last real item is the query."""

from __future__ import annotations

import keras
import numpy as np

from recdemo.models import objectives, sequences
from recdemo.models.base import RetrievalModel
from recdemo.models.sampled_softmax import SampledSoftmax
from recdemo.split import LeaveOneOutSplit
from recdemo.validation import check_choice, check_int, check_rate

# `loss` names (stored in artifacts' configs) -> objectives.
LOSSES = {"softmax": objectives.CatalogueSoftmax, "sampled": SampledSoftmax}


@keras.saving.register_keras_serializable(package="recdemo")
class GRU4Rec(RetrievalModel):
    """Session-style GRU over a user's chronological items, trained on every next item.

    The GRU's output at each position is projected into the item space and scored against the
    (shared) item embedding table with a full-catalogue softmax. Padding is on the right and the
    query is gathered at the last real position, so the GRU never reads padding before it.

    Args:
        num_items: size of the item id space (id 0 is padding).
        embedding_dim: item embedding and query width.
        hidden_dim: GRU units.
        max_len: most recent items kept per history.
        dropout: dropout on item embeddings and GRU outputs.
        loss: `"softmax"` (softmax over the catalogue at every position) or `"sampled"` (sampled
            softmax, `num_negatives` per step).

    Example:
    >>> model = GRU4Rec(num_items=100, embedding_dim=8, hidden_dim=8, max_len=5)
    >>> model.query_embeddings(np.array([[3, 4, 0, 0, 0]])).shape
    (1, 8)
    """

    CHOICES = {"loss": tuple(LOSSES)}

    def __init__(self, num_items: int, embedding_dim: int = 64, hidden_dim: int = 128,
                 max_len: int = 200, dropout: float = 0.2, loss: str = "softmax", **kwargs):
        super().__init__(num_items, embedding_dim, **kwargs)
        loss = objectives.canonical(loss)
        check_choice("loss", loss, LOSSES)
        check_int("hidden_dim", hidden_dim)
        check_int("max_len", max_len)
        check_rate("dropout", dropout)
        self.hidden_dim = hidden_dim
        self.max_len = max_len
        self.dropout = dropout
        self.loss_type = loss
        self.objective = objectives.build(LOSSES, loss, self)
        self.item_embedding = keras.layers.Embedding(num_items, embedding_dim,
                                                     name="item_embedding")
        self.input_dropout = keras.layers.Dropout(dropout, name="input_dropout")
        self.gru = keras.layers.GRU(hidden_dim, return_sequences=True, name="gru")
        self.output_dropout = keras.layers.Dropout(dropout, name="output_dropout")
        self.projection = keras.layers.Dense(embedding_dim, name="projection")

    def sequence_outputs(self, items, training: bool = False):
        """`(batch, length, embedding_dim)` query vector after each prefix."""
        x = self.input_dropout(self.item_embedding(items), training=training)
        x = self.output_dropout(self.gru(x, training=training), training=training)
        return self.projection(x)

    def training_outputs(self, items, training: bool = False):
        """The query after every prefix (the objective scores each position's next item)."""
        return self.sequence_outputs(items, training=training)

    def query_embeddings(self, items, training: bool = False):
        """The query at each row's most recent item."""
        return sequences.gather_last(self.sequence_outputs(items, training=training), items)

    def item_embeddings(self):
        """The item embedding table (shared by input and output)."""
        return self.item_embedding.embeddings

    def training_examples(self, split: LeaveOneOutSplit, rng: np.random.Generator) -> tuple:
        """Every (prefix, next item) pair of every train sequence."""
        x, y, weights, _ = sequences.next_item_examples(list(split.train.values()), self.max_len)
        return self.objective.examples(x, y, weights)

    def validation_examples(self, split: LeaveOneOutSplit, rng: np.random.Generator) -> tuple:
        """Train sequence -> validation target, at the last position."""
        _, histories, targets = split.cases("valid")
        return self.objective.examples(
            *sequences.last_item_examples(histories, targets, self.max_len))

    def get_config(self) -> dict:
        """Hyperparameters only."""
        return {**super().get_config(), "hidden_dim": self.hidden_dim, "max_len": self.max_len,
                "dropout": self.dropout, "loss": self.loss_type}
