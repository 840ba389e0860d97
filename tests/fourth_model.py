"""A test-only fourth model, registered for the whole test session by `conftest.py`: every test
parametrized over the registry, the dashboard's sidebar and "About the models", the report and
the CLI see it exactly as they see the shipped three. It is its class plus one `register` line,
which is all a new model needs."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from recdemo.models.base import RetrievalModel
from recdemo.models.padding import pad_right

KEY = "mean_pool"


@keras.saving.register_keras_serializable(package="recdemo_tests")
class MeanPool(RetrievalModel):
    """The query is the mean embedding of the history's items.

    Args:
        num_items: size of the item id space.
        embedding_dim: item embedding width.
        max_len: most recent items kept per history.

    Example (the order of watching makes no difference):
    >>> model = MeanPool(num_items=10, embedding_dim=4, max_len=3)
    >>> queries = model.query_embeddings(np.array([[3, 4, 0], [4, 3, 0]]))
    >>> queries.shape, bool(np.allclose(queries[0], queries[1]))
    ((2, 4), True)
    """

    DISPLAY_NAME = "Mean pool"
    DESCRIPTION = "averages the vectors of the movies you watched (a test-only model)."
    PRESETS = {"quick": {"model": {"embedding_dim": 16, "max_len": 6},
                         "train": {"epochs": 2, "batch_size": 64, "learning_rate": 1e-2}}}

    def __init__(self, num_items: int, embedding_dim: int = 8, max_len: int = 6, **kwargs):
        super().__init__(num_items, embedding_dim, **kwargs)
        self.max_len = max_len
        self.item_embedding = keras.layers.Embedding(num_items, embedding_dim,
                                                     name="item_embedding")

    def query_embeddings(self, items, training: bool = False):
        mask = ops.expand_dims(ops.cast(ops.not_equal(items, 0), "float32"), -1)
        total = ops.sum(self.item_embedding(items) * mask, axis=1)
        return total / ops.maximum(ops.sum(mask, axis=1), 1.0)

    def training_outputs(self, items, training: bool = False):
        return self.query_embeddings(items)

    def item_embeddings(self):
        return self.item_embedding.embeddings

    def _examples(self, histories, targets):
        x = pad_right(histories, self.max_len)
        return self.objective.examples(x, np.asarray(targets, np.int32),
                                       np.ones(len(x), np.float32))

    def training_examples(self, split, rng):
        rows = [items for items in split.train.values() if len(items) > 1]
        return self._examples([r[:-1] for r in rows], [r[-1] for r in rows])

    def validation_examples(self, split, rng):
        _, histories, targets = split.cases("valid")
        return self._examples(histories, targets)

    def get_config(self):
        return {**super().get_config(), "max_len": self.max_len}
