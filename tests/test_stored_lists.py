"""The lists stored with an artifact are what the model serves: every user's top-10 and what
each pick rests on equal the live `recommend` and `leave_one_out`, and a list is never served
for other data or from a tampered file."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from conftest import SHIPPED

from recdemo import RecdemoError, artifacts, stored_lists
from recdemo.attribution import leave_one_out, rests_on
from recdemo.models import MODELS
from recdemo.serving import load_recommender


def live(recommender, user: int):
    """The default view computed now: the top-10 and each pick's `rests_on`."""
    recs = recommender.recommend(user_id=user, k=stored_lists.K)
    history = recommender.split.history(user)
    if recommender.model.query_shape == ():
        return recs, None
    if len(set(history.tolist())) < 2:
        return recs, {r.movie_id: None for r in recs}
    found = leave_one_out(recommender, history, [r.movie_id for r in recs])
    return recs, {movie: rests_on(removals) for movie, removals in found.items()}


def assert_same(stored, expected):
    (recs, reasons), (live_recs, live_reasons) = stored, expected
    assert [r.movie_id for r in recs] == [r.movie_id for r in live_recs]
    assert [r.title for r in recs] == [r.title for r in live_recs]
    np.testing.assert_allclose([r.probability for r in recs],
                               [r.probability for r in live_recs], rtol=1e-5)
    if live_reasons is None:
        assert reasons is None
        return
    for movie, top in live_reasons.items():
        found = rests_on(reasons[movie])
        assert (found is None) == (top is None)
        if top is not None:
            assert (found.removed, found.rank, found.rank_without) == (
                top.removed, top.rank, top.rank_without)
            assert found.score_change == pytest.approx(top.score_change, abs=1e-5)


@pytest.mark.parametrize("key", list(MODELS))
def test_a_trained_artifact_stores_every_users_served_list(key, synthetic_artifacts,
                                                          synthetic_data):
    dataset, split = synthetic_data
    folder = artifacts.artifact_dir(key, dataset.name, synthetic_artifacts)
    assert artifacts.LISTS_FILE in artifacts.verify(folder)
    stored = stored_lists.read(artifacts.resolve(folder), dataset)
    recommender = load_recommender(key, dataset, split, synthetic_artifacts)
    for user in split.users.tolist():
        assert_same(stored.top_list(user, dataset), live(recommender, user))
    assert stored.top_list(10**6, dataset) is None


@pytest.mark.parametrize("key", SHIPPED)
def test_the_shipped_lists_are_what_the_shipped_models_serve(key, shipped_recommenders,
                                                            real_data):
    dataset, split = real_data
    folder = artifacts.resolve(artifacts.artifact_dir(key, dataset.name))
    stored = stored_lists.read(folder, dataset)
    assert stored is not None, f"{key} ships without stored lists: python -m recdemo lists"
    users = split.users
    for user in [7, *np.random.default_rng(0).choice(users, 15, replace=False).tolist()]:
        assert_same(stored.top_list(user, dataset), live(shipped_recommenders[key], user))


def test_lists_computed_on_other_data_are_not_served(synthetic_artifacts, synthetic_data):
    dataset, _ = synthetic_data
    folder = artifacts.resolve(artifacts.artifact_dir("sasrec", dataset.name,
                                                      synthetic_artifacts))
    other = dataclasses.replace(dataset)  # the same ids, other file contents
    object.__setattr__(other, "_checksums", {"u.data": "0" * 64})
    assert stored_lists.read(folder, other) is None
    assert stored_lists.read(folder, dataset) is not None


def test_a_tampered_lists_file_fails_the_artifacts_checksums(synthetic_artifacts,
                                                             synthetic_data, tmp_path):
    dataset, split = synthetic_data
    source = artifacts.resolve(artifacts.artifact_dir("gru4rec", dataset.name,
                                                      synthetic_artifacts))
    copy = tmp_path / "gru4rec"
    copy.mkdir()
    for path in source.iterdir():
        (copy / path.name).write_bytes(path.read_bytes())
    with np.load(copy / artifacts.LISTS_FILE) as found:
        arrays = {name: found[name] for name in found.files}
    arrays["ids"][0] = arrays["ids"][0][::-1]  # a reordered list, well-formed
    (copy / artifacts.LISTS_FILE).write_bytes(stored_lists.to_bytes(arrays))
    with pytest.raises(RecdemoError, match="lists.npz does not match its checksum"):
        artifacts.verify(copy)


def test_a_malformed_lists_file_is_one_clear_error(synthetic_data, tmp_path):
    dataset, _ = synthetic_data
    arrays = {"users": np.array([1]), "ids": np.full((1, stored_lists.K), 10**7),
              "data_sha256": np.array(json.dumps(dataset.file_checksums()))}
    arrays.update({name: np.zeros((1, stored_lists.K)) for name in
                   ("scores", "probabilities", "rests_on", "score_change", "rank",
                    "rank_without")})
    (tmp_path / artifacts.LISTS_FILE).write_bytes(stored_lists.to_bytes(arrays))
    with pytest.raises(RecdemoError, match="outside the catalogue"):
        stored_lists.read(tmp_path, dataset)
    arrays["ids"] = np.zeros((1, stored_lists.K), int)  # the padding id: in range, not a movie
    (tmp_path / artifacts.LISTS_FILE).write_bytes(stored_lists.to_bytes(arrays))
    with pytest.raises(RecdemoError, match="outside the catalogue"):
        stored_lists.read(tmp_path, dataset)
    (tmp_path / artifacts.LISTS_FILE).write_bytes(b"not a zip")
    with pytest.raises(RecdemoError, match="Unreadable stored lists"):
        stored_lists.read(tmp_path, dataset)


def test_adding_lists_keeps_the_weights_and_documents(synthetic_artifacts, synthetic_data,
                                                      tmp_path):
    dataset, split = synthetic_data
    root = tmp_path / "root"
    source = artifacts.artifact_dir("sasrec", dataset.name, synthetic_artifacts)
    recommender = load_recommender("sasrec", dataset, split, synthetic_artifacts)
    documents = {n: artifacts.read_json(source, n) for n in artifacts.JSON_FILES}
    destination = artifacts.artifact_dir("sasrec", dataset.name, root)
    artifacts.save(recommender.model, destination, model_key="sasrec",
                   train_config=documents["config.json"]["train"],
                   history=documents["history.json"], metrics=documents["metrics.json"],
                   provenance_info=documents["provenance.json"])
    assert artifacts.LISTS_FILE not in artifacts.verify(destination)
    stored_lists.add_to_artifact(destination, dataset, split)
    assert artifacts.LISTS_FILE in artifacts.verify(destination)
    assert {n: artifacts.read_json(destination, n) for n in artifacts.JSON_FILES} == documents
    again = load_recommender("sasrec", dataset, split, root)
    np.testing.assert_array_equal(again.item_table, recommender.item_table)
    user = int(split.users[0])
    assert_same(stored_lists.read(artifacts.resolve(destination), dataset).top_list(
        user, dataset), live(recommender, user))
