"""The artifact store: verification, corruption, atomic replacement."""

from __future__ import annotations

import json
import shutil

import pytest

from recdemo import RecdemoError, artifacts
from recdemo.recommend import Recommender
from recdemo.serving import load_recommender, recommender_from_folder


def _copy(synthetic_artifacts, tmp_path, key="gru4rec"):
    folder = tmp_path / key
    shutil.copytree(artifacts.artifact_dir(key, "ml-100k", synthetic_artifacts), folder)
    return folder


def test_loaded_artifact_recommends_like_the_trained_model(synthetic_artifacts, synthetic_data):
    dataset, split = synthetic_data
    for key in ("two_tower", "gru4rec", "sasrec"):
        first = load_recommender(key, dataset, split, synthetic_artifacts)
        again = load_recommender(key, dataset, split, synthetic_artifacts)
        assert first.recommend(user_id=2) == again.recommend(user_id=2)


def test_flipped_byte_in_weights_is_detected(synthetic_artifacts, synthetic_data, tmp_path):
    folder = _copy(synthetic_artifacts, tmp_path)
    weights = bytearray((folder / artifacts.WEIGHTS_FILE).read_bytes())
    weights[len(weights) // 2] ^= 0xFF
    (folder / artifacts.WEIGHTS_FILE).write_bytes(bytes(weights))
    with pytest.raises(RecdemoError, match="corrupted.*model.weights.h5"):
        recommender_from_folder(folder, *synthetic_data)


def test_edited_config_and_missing_files_are_detected(synthetic_artifacts, tmp_path):
    folder = _copy(synthetic_artifacts, tmp_path)
    config = json.loads((folder / "config.json").read_text())
    config["config"]["embedding_dim"] = 16
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(RecdemoError, match="config.json"):
        artifacts.verify(folder)
    shutil.rmtree(folder)
    folder = _copy(synthetic_artifacts, tmp_path)
    (folder / "history.json").unlink()
    with pytest.raises(RecdemoError, match="history.json"):
        artifacts.verify(folder)
    with pytest.raises(RecdemoError, match="No artifact"):
        artifacts.verify(tmp_path / "nothing-here")


def test_a_crash_mid_save_keeps_the_old_artifact(synthetic_artifacts, synthetic_data, tmp_path,
                                                 monkeypatch):
    dataset, split = synthetic_data
    folder = _copy(synthetic_artifacts, tmp_path)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    _, model = artifacts.load_model(folder)
    result = type("Result", (), {"model": model, "history": []})()

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(artifacts, "sha256_of", explode)
    with pytest.raises(OSError):
        artifacts.save(result, folder, model_key="gru4rec", train_config={}, metrics={},
                       provenance_info={})
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["gru4rec"]  # no staging folder left


def test_save_replaces_an_existing_artifact_whole(synthetic_artifacts, synthetic_data, tmp_path):
    dataset, split = synthetic_data
    folder = _copy(synthetic_artifacts, tmp_path)
    _, model = artifacts.load_model(folder)
    result = type("Result", (), {"model": model, "history": []})()
    artifacts.save(result, folder, model_key="gru4rec", train_config={"note": "new"},
                   metrics={"valid": {}}, provenance_info={})
    artifacts.verify(folder)
    assert json.loads((folder / "config.json").read_text())["train"] == {"note": "new"}
    assert isinstance(recommender_from_folder(folder, dataset, split), Recommender)
