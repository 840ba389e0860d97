"""A new model is one class plus one registry line: the test-only fourth model
(`tests/fourth_model.py`, registered by `conftest.py`) trains, saves, loads, serves through the
CLI and appears in the report, with no other change; what the registry shows about a model is
read from its class."""

from __future__ import annotations

import json

import pytest
from fourth_model import KEY as fourth_model
from fourth_model import MeanPool

from recdemo import models
from recdemo.cli import hyperparameter_flags, main


def test_a_fourth_model_needs_only_its_class_and_a_registry_line(synthetic_dir, tmp_path,
                                                                 capsys):
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
        models.register("../x", MeanPool)


def test_a_card_read_from_source_is_what_the_class_says():
    # The dashboard reads names, descriptions and presets without importing Keras; what it
    # reads must be the class's own values.
    for key in models.MODELS:
        model_class = models.MODELS[key]
        card = models.card(key)
        assert card.display_name == model_class.DISPLAY_NAME
        assert card.description == model_class.DESCRIPTION
        assert card.presets == model_class.PRESETS
        assert card.attention == hasattr(model_class, "attention_weights")
    assert models.card("sasrec").attention and not models.card("gru4rec").attention
    assert models.DISPLAY_NAMES["sasrec"] == "SASRec"
    assert models.preset("quick", fourth_model) == ({"embedding_dim": 16, "max_len": 6}, {
        "epochs": 2, "batch_size": 64, "learning_rate": 1e-2})
    assert models.preset("full", fourth_model) == ({}, {})


def test_a_model_without_its_card_is_refused_when_registered():
    class Nameless(MeanPool):
        pass

    with pytest.raises(TypeError, match="DESCRIPTION, DISPLAY_NAME, PRESETS"):
        models.register("nameless", Nameless)
    models.unregister("nameless")


def test_the_catalogue_softmax_has_one_name_and_old_names_still_load():
    sasrec = models.MODELS["sasrec"](num_items=10, loss="ce", max_len=4, num_heads=1)
    assert sasrec.get_config()["loss"] == "softmax"
    for key in models.MODELS:
        assert "softmax" in models.MODELS[key].LOSSES and "ce" not in models.MODELS[key].LOSSES
