"""A new model is one class plus one registry line: a fourth model defined here trains, saves,
loads, serves through the CLI and appears in the report, with no other change."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
from keras import ops

from recdemo import models
from recdemo.cli import hyperparameter_flags, main
from recdemo.models.base import RetrievalModel
from recdemo.models.sequences import pad_right


class MeanPool(RetrievalModel):
    """The query is the mean embedding of the history's items.

    Args:
        num_items: size of the item id space.
        embedding_dim: item embedding width.
        max_len: most recent items kept per history.
    """

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


@pytest.fixture
def fourth_model():
    models.register("mean_pool", MeanPool, "Mean pool")
    try:
        yield "mean_pool"
    finally:
        models._CLASSES.pop("mean_pool")
        models.DISPLAY_NAMES.pop("mean_pool")


def test_a_fourth_model_needs_only_its_class_and_a_registry_line(fourth_model, synthetic_dir,
                                                                 tmp_path, capsys):
    from recdemo.report import results_table

    assert "max_len" in hyperparameter_flags()
    code = main(["train", "--model", fourth_model, "--epochs", "2", "--max-len", "4",
                 "--out", str(tmp_path), "--data-dir", str(synthetic_dir)])
    assert code == 0, capsys.readouterr().err
    config = json.loads((tmp_path / "ml-100k" / fourth_model / "config.json").read_text())
    assert config["config"]["max_len"] == 4
    capsys.readouterr()
    code = main(["recommend", "--model", fourth_model, "--history", "3,4,5", "--json",
                 "--artifacts", str(tmp_path), "--data-dir", str(synthetic_dir)])
    items = json.loads(capsys.readouterr().out)["items"]
    assert code == 0 and len(items) == 10 and not {3, 4, 5} & {i["movie_id"] for i in items}
    assert "Mean pool (shipped)" in results_table(tmp_path)


def test_registry_keys_are_plain_identifiers():
    from recdemo import RecdemoError

    with pytest.raises(RecdemoError, match="model key"):
        models.register("../x", MeanPool, "bad")
