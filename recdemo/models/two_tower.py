"""Two-tower retrieval: a user-id tower and an item tower meeting in one dot product."""

from __future__ import annotations

import keras
import numpy as np

from recdemo.models import objectives
from recdemo.models.base import RetrievalModel
from recdemo.split import LeaveOneOutSplit
from recdemo.validation import check_int


@keras.saving.register_keras_serializable(package="recdemo")
class TwoTower(RetrievalModel):
    """User-id embedding (query tower) against an item embedding table (candidate tower).

    Args:
        num_items: size of the item id space (id 0 is padding).
        num_users: size of the user id space.
        embedding_dim: width of the shared query/item space (both towers).
        dropout: dropout on the user vector while training.
        loss: `"softmax"` (full-catalogue cross-entropy over each user's train items),
            `"mse"` (the Keras example's regression of the rating, rescaled to 0-1, on the
            dot product) or `"sampled"` (sampled softmax, `num_negatives` per step).

    A history that is not a training user is served by fold-in (`recdemo.foldin`): a query
    vector is fitted to the history against the frozen item table. Because queries are user
    ids, the model is refitted on train + validation after selection (`refits_on_validation`).

    Example:
    >>> model = TwoTower(num_items=100, num_users=10, embedding_dim=8)
    >>> model.query_embeddings(np.array([1, 2])).shape
    (2, 8)
    """

    DISPLAY_NAME = "Two-tower"
    DESCRIPTION = ("learns one vector per user and per movie and recommends the movies whose "
                   "vectors point the same way as yours (order of watching is ignored).")
    LOSSES = {**RetrievalModel.LOSSES, "mse": objectives.RatingMSE}
    PRESETS = {
        # Warm-up + cosine over a fixed horizon at a high learning rate, then a refit on
        # train + validation (docs/results.md).
        "full": {"model": {"embedding_dim": 64},
                 "train": {"epochs": 12, "batch_size": 512, "learning_rate": 6e-3,
                           "weight_decay": 0.1, "patience": 3, "schedule": "cosine",
                           "warmup_epochs": 1}},
        "quick": {"model": {"embedding_dim": 64},
                  "train": {"epochs": 10, "batch_size": 512, "learning_rate": 6e-3,
                            "weight_decay": 0.1, "patience": 0, "schedule": "cosine",
                            "warmup_epochs": 1}},
    }
    refits_on_validation = True

    @classmethod
    def sizes_from(cls, dataset) -> dict:
        """Both id spaces: items and users."""
        return {"num_items": dataset.num_items, "num_users": dataset.num_users}

    @property
    def query_shape(self) -> tuple[int, ...]:
        """A query is one user id."""
        return ()

    def __init__(self, num_items: int, num_users: int, embedding_dim: int = 64,
                 dropout: float = 0.0, **kwargs):
        super().__init__(num_items, embedding_dim, dropout=dropout, **kwargs)
        check_int("num_users", num_users)
        self.num_users = num_users
        self.user_embedding = keras.layers.Embedding(num_users, embedding_dim,
                                                     name="user_embedding")
        self.item_embedding = keras.layers.Embedding(num_items, embedding_dim,
                                                     name="item_embedding")
        self.user_dropout = keras.layers.Dropout(dropout, name="user_dropout")
        # Both tables exist from the start: scoring reads the item table directly.
        self.user_embedding.build()
        self.item_embedding.build()

    def training_outputs(self, user_ids, training: bool = False):
        """The user vectors (with dropout while training)."""
        return self.query_embeddings(user_ids, training=training)

    def encode_queries(self, run_query, user_ids: list, histories: list[np.ndarray],
                       item_table: np.ndarray) -> np.ndarray:
        """Known users through the user tower; any other history by fold-in, all at once."""
        from recdemo.foldin import fold_in_many

        user_ids = user_ids or [None] * len(histories)
        known = [i for i, user in enumerate(user_ids) if user is not None]
        unknown = [i for i, user in enumerate(user_ids) if user is None]
        out = np.empty((len(histories), item_table.shape[1]), dtype=np.float32)
        if known:
            out[known] = run_query(np.array([user_ids[i] for i in known], dtype=np.int32))
        if unknown:
            out[unknown] = fold_in_many(item_table, [histories[i] for i in unknown])
        return out

    def query_embeddings(self, user_ids, training: bool = False):
        """The user tower: one vector per user id."""
        return self.user_dropout(self.user_embedding(user_ids), training=training)

    def item_embeddings(self):
        """The item tower's table."""
        return self.item_embedding.embeddings

    def _examples(self, users: np.ndarray, items: np.ndarray, ratings: np.ndarray) -> tuple:
        weights = np.ones(len(users), dtype=np.float32)
        return self.objective.examples(users.astype(np.int32), items.astype(np.int32), weights,
                                       ratings=ratings)

    def training_examples(self, split: LeaveOneOutSplit, rng: np.random.Generator) -> tuple:
        """One (user, item) example per train interaction."""
        users = np.concatenate([np.full(len(v), u) for u, v in split.train.items()])
        items = np.concatenate(list(split.train.values()))
        ratings = np.concatenate([split.train_ratings[u] for u in split.train])
        return self._examples(users, items, ratings)

    def validation_examples(self, split: LeaveOneOutSplit, rng: np.random.Generator) -> tuple:
        """One (user, validation target) example per user."""
        users, _, targets = split.cases("valid")
        ratings = np.array([split.valid_rating[u] for u in users], dtype=np.float32)
        return self._examples(users, targets, ratings)

    def get_config(self) -> dict:
        """Hyperparameters only."""
        return {**super().get_config(), "num_users": self.num_users}

    @classmethod
    def from_config(cls, config: dict):
        """Also reads artifacts saved when the argument was called `objective`."""
        config = dict(config)
        if "objective" in config:
            config.setdefault("loss", config.pop("objective"))
        return cls(**config)
