"""GRU4Rec: item embedding -> GRU -> the state at the last real item is the query."""

from __future__ import annotations

import keras
import numpy as np  # noqa: F401  (the doctest's namespace)

from recdemo.models.base import SequenceModel
from recdemo.validation import check_int


@keras.saving.register_keras_serializable(package="recdemo")
class GRU4Rec(SequenceModel):
    """Session-style GRU over a user's chronological items, trained on every next item.

    The GRU's output at each position is projected into the item space and scored against the
    (shared) item embedding table. Padding is on the right and the query is gathered at the
    last real position, so the GRU never reads padding before it.

    Args:
        num_items: size of the item id space (id 0 is padding).
        embedding_dim: item embedding and query width.
        hidden_dim: GRU units.
        max_len: most recent items kept per history.
        dropout: dropout on item embeddings and GRU outputs.
        loss: `"softmax"` (softmax over the catalogue at every position) or `"sampled"` (sampled
            softmax, `num_negatives` per step).

    Example (the same two movies watched in the other order give another query):
    >>> model = GRU4Rec(num_items=100, embedding_dim=8, hidden_dim=8, max_len=5)
    >>> queries = model.query_embeddings(np.array([[3, 4, 0, 0, 0], [4, 3, 0, 0, 0]]))
    >>> queries.shape, bool(np.allclose(queries[0], queries[1]))
    ((2, 8), False)
    """

    DISPLAY_NAME = "GRU4Rec"
    DESCRIPTION = ("reads your movies in the order you watched them with a recurrent network "
                   "and predicts the next one.")
    PRESETS = {
        # Warm-up + cosine over a fixed horizon at a high learning rate: most of the learning
        # happens in the first epochs (docs/results.md).
        "full": {"model": {"embedding_dim": 64, "hidden_dim": 128, "max_len": 50,
                           "dropout": 0.2},
                 "train": {"epochs": 30, "batch_size": 128, "learning_rate": 6e-3,
                           "patience": 8, "schedule": "cosine", "warmup_epochs": 2}},
        # The sampled softmax (100 negatives a row) makes an epoch cheap enough for 20 of them
        # in the Retrain button's time; higher on test HR@10 than 12 epochs of the full
        # softmax in the same time (docs/results.md).
        "quick": {"model": {"embedding_dim": 64, "hidden_dim": 128, "max_len": 50,
                            "loss": "sampled", "num_negatives": 100},
                  "train": {"epochs": 20, "batch_size": 64, "learning_rate": 4e-3,
                            "patience": 0, "schedule": "cosine", "warmup_epochs": 2}},
    }

    def __init__(self, num_items: int, embedding_dim: int = 64, hidden_dim: int = 128,
                 max_len: int = 200, dropout: float = 0.2, **kwargs):
        super().__init__(num_items, embedding_dim, max_len=max_len, dropout=dropout, **kwargs)
        check_int("hidden_dim", hidden_dim)
        self.hidden_dim = hidden_dim
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

    def get_config(self) -> dict:
        """Hyperparameters only."""
        return {**super().get_config(), "hidden_dim": self.hidden_dim}
