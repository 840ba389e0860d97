"""The artifact store: verification, hostile files and names, atomic replacement."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from conftest import ROOT
from model_contract import TINY
from synthetic import write_ml100k

from recdemo import RecdemoError, artifacts, provenance
from recdemo.cli import main
from recdemo.recommend import Recommender
from recdemo.serving import load_data, load_recommender, recommender_from_folder
from recdemo.training import TrainConfig, train


def _copy(synthetic_artifacts, tmp_path, key="gru4rec"):
    """A private copy of one synthetic artifact, in the versioned layout, under tmp_path."""
    source = artifacts.artifact_dir(key, "ml-100k", synthetic_artifacts)
    _, model = artifacts.load_model(source)
    folder = tmp_path / "ml-100k" / key
    documents = {name: artifacts.read_json(source, name) for name in artifacts.JSON_FILES}
    artifacts.save(model, folder, model_key=documents["config.json"]["model"],
                   train_config=documents["config.json"]["train"],
                   history=documents["history.json"], metrics=documents["metrics.json"],
                   provenance_info=documents["provenance.json"])
    return folder


def _save_again(folder, note="new"):
    _, model = artifacts.load_model(folder)
    provenance = artifacts.read_json(folder, "provenance.json")
    return artifacts.save(model, folder, model_key="gru4rec", train_config={"note": note},
                          history=[], metrics={"valid": {}}, provenance_info=provenance)


def test_loaded_artifact_recommends_like_the_trained_model(synthetic_data, tmp_path):
    dataset, split = synthetic_data
    result = train("sasrec", dataset, split, TINY["sasrec"],
                   TrainConfig(epochs=1, batch_size=8, seed=0))
    folder = artifacts.save(result.model, tmp_path / "ml-100k" / "sasrec", model_key="sasrec",
                            train_config={}, history=result.history, metrics={},
                            provenance_info={"data_sha256": dataset.file_checksums()})
    trained = Recommender(result.model, dataset, split)
    loaded = recommender_from_folder(folder, dataset, split)
    for query in ({"user_id": 2}, {"history": [3, 4, 5]}):
        before, after = trained.recommend(**query), loaded.recommend(**query)
        assert [r.movie_id for r in before] == [r.movie_id for r in after]
        np.testing.assert_allclose([r.score for r in before], [r.score for r in after],
                                   rtol=1e-5)
    # Loaded without running initializers: every variable holds the saved value, and none is
    # left on Keras' list of deferred variables (the next scope to close would initialise it
    # again and fail).
    import keras
    from keras.src.backend.common import global_state

    for saved, restored in zip(result.model.variables, loaded.model.variables):
        np.testing.assert_array_equal(np.asarray(saved), np.asarray(restored))
    pending = global_state.get_global_attribute("uninitialized_variables") or []
    assert not {id(v) for v in loaded.model.variables} & {id(v) for v in pending}
    with keras.StatelessScope():
        pass


def test_flipped_byte_in_weights_is_detected(synthetic_artifacts, synthetic_data, tmp_path):
    folder = artifacts.resolve(_copy(synthetic_artifacts, tmp_path))
    weights = bytearray((folder / artifacts.WEIGHTS_FILE).read_bytes())
    weights[len(weights) // 2] ^= 0xFF
    (folder / artifacts.WEIGHTS_FILE).write_bytes(bytes(weights))
    with pytest.raises(RecdemoError, match="corrupted.*model.weights.h5"):
        recommender_from_folder(folder, *synthetic_data)


def test_edited_config_and_missing_files_are_detected(synthetic_artifacts, tmp_path):
    folder = artifacts.resolve(_copy(synthetic_artifacts, tmp_path))
    config = json.loads((folder / "config.json").read_text())
    config["config"]["embedding_dim"] = 16
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(RecdemoError, match="config.json"):
        artifacts.verify(folder)
    folder = artifacts.resolve(_copy(synthetic_artifacts, tmp_path / "again"))
    (folder / "history.json").unlink()
    with pytest.raises(RecdemoError, match="history.json"):
        artifacts.verify(folder)
    with pytest.raises(RecdemoError, match="No artifact"):
        artifacts.verify(tmp_path / "nothing-here")


def _rewrite(folder, name, document):
    """Replace one JSON file and re-sign the manifest, as a hostile author would."""
    folder = artifacts.resolve(folder)
    (folder / name).write_text(json.dumps(document))
    manifest = json.loads((folder / artifacts.MANIFEST_FILE).read_text())
    if isinstance(manifest, dict) and name in manifest:
        manifest[name] = artifacts.sha256_of(folder / name)
        (folder / artifacts.MANIFEST_FILE).write_text(json.dumps(manifest))


@pytest.mark.parametrize("name, document", [
    ("manifest.json", ["model.weights.h5"]),
    ("manifest.json", {"model.weights.h5": 5}),
    ("manifest.json", "text"),
    ("config.json", ["gru4rec"]),
    ("config.json", {"model": 5, "config": {}}),
    ("config.json", {"model": "gru4rec", "config": "big"}),
    ("config.json", {"model": "gru4rec", "config": {"num_items": 31, "embedding_dim": "x"}}),
    ("config.json", {"model": "gru4rec", "config": {"num_items": 31, "embedding_dim": 16}}),
    ("config.json", {"model": "gru4rec", "config": {"num_items": 31, "bogus": 1}}),
])
def test_malformed_documents_are_one_line_errors(synthetic_artifacts, synthetic_data, tmp_path,
                                                 name, document):
    folder = _copy(synthetic_artifacts, tmp_path)
    _rewrite(folder, name, document)
    with pytest.raises(RecdemoError) as caught:
        recommender_from_folder(folder, *synthetic_data)
    assert "\n" not in str(caught.value)


def test_an_artifact_trained_on_other_data_is_refused(synthetic_artifacts, tmp_path):
    # Same layout and item count, one rating changed: the data checksums differ.
    from synthetic import synthetic_ratings

    rows = synthetic_ratings()
    rows[0] = (*rows[0][:2], 1 + rows[0][2] % 5, rows[0][3])
    other = load_data("ml-100k", write_ml100k(tmp_path, rows).parent, download=False)
    with pytest.raises(RecdemoError, match="trained on other data"):
        load_recommender("gru4rec", *other, synthetic_artifacts)


@pytest.mark.parametrize("name", [".", "..", "../..", "/tmp/x", "a/b", "", "a.b", "-x",
                                  "x" * 65, "ok\n"])
def test_artifact_names_must_be_plain_identifiers(name, tmp_path):
    with pytest.raises(RecdemoError, match="Received"):
        artifacts.artifact_dir(name, "ml-100k", tmp_path)


def test_train_name_dot_cannot_delete_other_models(synthetic_artifacts, synthetic_dir, tmp_path,
                                                   capsys):
    root = tmp_path / "root"
    shutil.copytree(synthetic_artifacts, root, symlinks=True)
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    for name in (".", "../..", str(tmp_path), "x/../..", "ml-100k/.."):
        code = main(["train", "--model", "gru4rec", "--name", name, "--out", str(root),
                     "--epochs", "1", "--data-dir", str(synthetic_dir)])
        err = capsys.readouterr().err
        assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before


def test_save_refuses_to_replace_a_plain_file(synthetic_artifacts, tmp_path):
    folder = _copy(synthetic_artifacts, tmp_path)
    target = folder.parent / "notes"
    target.write_text("mine")
    _, model = artifacts.load_model(folder)
    with pytest.raises(RecdemoError, match="not an artifact"):
        artifacts.save(model, target, model_key="gru4rec", train_config={}, history=[],
                       metrics={}, provenance_info={})
    assert target.read_text() == "mine"


def test_a_crash_mid_save_keeps_the_old_artifact(synthetic_artifacts, tmp_path, monkeypatch):
    folder = _copy(synthetic_artifacts, tmp_path)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    versions = sorted(os.listdir(folder.parent / artifacts.VERSIONS_DIR))

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(artifacts, "sha256_of", explode)
    with pytest.raises(OSError):
        _save_again(folder)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert sorted(os.listdir(folder.parent / artifacts.VERSIONS_DIR)) == versions  # no staging


def test_save_replaces_an_existing_artifact_whole_and_keeps_one_previous(
        synthetic_artifacts, synthetic_data, tmp_path):
    folder = _copy(synthetic_artifacts, tmp_path)
    sibling = _copy(synthetic_artifacts, tmp_path, key="sasrec")
    for note in ("second", "third", "fourth"):
        _save_again(folder, note)
    artifacts.verify(folder)
    assert json.loads((folder / "config.json").read_text())["train"] == {"note": "fourth"}
    assert isinstance(recommender_from_folder(folder, *synthetic_data), Recommender)
    store = folder.parent / artifacts.VERSIONS_DIR
    assert len(list(store.glob("gru4rec@*"))) == 2  # current + the previous one
    artifacts.verify(sibling)  # another artifact's versions are never touched
    assert len(list(store.glob("sasrec@*"))) == 1


def test_a_plain_folder_from_an_older_release_is_replaced(synthetic_artifacts, tmp_path):
    source = artifacts.resolve(_copy(synthetic_artifacts, tmp_path / "src"))
    legacy = tmp_path / "ml-100k" / "gru4rec"
    shutil.copytree(source, legacy)
    _save_again(legacy, "after")
    assert legacy.is_symlink()
    assert json.loads((legacy / "config.json").read_text())["train"] == {"note": "after"}


def test_readers_never_see_a_missing_artifact_during_switches(synthetic_artifacts, tmp_path):
    folder = _copy(synthetic_artifacts, tmp_path)
    misses, reads, stop = [], [0], threading.Event()

    def poll():
        while not stop.is_set():
            reads[0] += 1
            if not (folder / artifacts.MANIFEST_FILE).is_file():
                misses.append(reads[0])

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        for index in range(8):
            _save_again(folder, f"v{index}")
    finally:
        stop.set()
        reader.join()
    assert reads[0] > 100 and misses == []


_KILL_DURING_SAVE = """
import os, sys, signal
import recdemo
from recdemo import artifacts
folder = sys.argv[1]
_, model = artifacts.load_model(folder)
real_switch = artifacts._switch
def switch_then_die(destination, version):
    if sys.argv[2] == "before":
        os.kill(os.getpid(), signal.SIGKILL)
    real_switch(destination, version)
    os.kill(os.getpid(), signal.SIGKILL)
artifacts._switch = switch_then_die
artifacts.save(model, folder, model_key="gru4rec", train_config={"note": "killed"},
               history=[], metrics={}, provenance_info={})
"""


@pytest.mark.parametrize("moment", ["before", "after"])
def test_sigkill_around_the_switch_leaves_a_loadable_artifact(synthetic_artifacts,
                                                              synthetic_data, tmp_path, moment):
    folder = _copy(synthetic_artifacts, tmp_path)
    done = subprocess.run([sys.executable, "-c", _KILL_DURING_SAVE, str(folder), moment],
                          cwd=ROOT, capture_output=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]
    artifacts.verify(folder)
    note = json.loads((folder / "config.json").read_text())["train"].get("note")
    assert note == ("killed" if moment == "after" else None)


def test_manifest_digest_changes_with_the_artifact(synthetic_artifacts, tmp_path):
    folder = _copy(synthetic_artifacts, tmp_path)
    first = artifacts.manifest_digest(folder)
    time.sleep(0.01)
    _save_again(folder)
    assert artifacts.manifest_digest(folder) != first


@pytest.mark.slow
def test_sigkill_during_training_keeps_the_previous_artifact(synthetic_artifacts, synthetic_dir,
                                                             synthetic_data, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(synthetic_artifacts, root, symlinks=True)
    folder = artifacts.artifact_dir("gru4rec", "ml-100k", root)
    before = artifacts.manifest_digest(folder)
    training = subprocess.Popen(
        [sys.executable, "-m", "recdemo", "train", "--model", "gru4rec", "--epochs", "500",
         "--patience", "0", "--out", str(root), "--data-dir", str(synthetic_dir)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert b"epoch" in training.stdout.read(200)  # the progress bar: training has begun
        time.sleep(2)
    finally:
        training.send_signal(signal.SIGKILL)
        training.wait(timeout=30)
    assert artifacts.manifest_digest(folder) == before
    assert isinstance(recommender_from_folder(folder, *synthetic_data), Recommender)


def test_provenance_says_whether_the_training_code_differs_from_its_commit(tmp_path):
    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    assert provenance.git_state(tmp_path) == ("unknown", None)
    (tmp_path / "recdemo").mkdir()
    (tmp_path / "recdemo" / "training.py").write_text("EPOCHS = 1\n")
    git("init", "-q")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "first")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True,
                          text=True).stdout.strip()
    assert provenance.git_state(tmp_path) == (head, False)
    # A saved artifact is not training code: it leaves the flag clear.
    (tmp_path / "artifacts").mkdir()
    (tmp_path / "artifacts" / "weights.h5").write_text("x")
    assert provenance.git_state(tmp_path) == (head, False)
    (tmp_path / "recdemo" / "training.py").write_text("EPOCHS = 2\n")
    assert provenance.git_state(tmp_path) == (head, True)
    git("checkout", "--", "recdemo/training.py")
    (tmp_path / "recdemo" / "new_loss.py").write_text("")
    assert provenance.git_state(tmp_path) == (head, True)
