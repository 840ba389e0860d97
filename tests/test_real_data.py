"""On the real ml-100k (skipped without it, a failure in CI): the protocol checksum, and the
shipped artifacts' integrity, quality and behaviour."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import SHIPPED

from recdemo import artifacts
from recdemo.evaluation import evaluate, most_popular
from recdemo.foldin import fold_in


def test_protocol_checksum_most_popular(real_data):
    # The checksum: conservative ties + leave-one-out by time + history masking.
    dataset, split = real_data
    metrics = most_popular(dataset, split, "test")
    assert round(metrics["hr@10"], 4) == 0.0838
    assert round(metrics["ndcg@10"], 4) == 0.0432


def test_real_split_shape(real_data):
    dataset, split = real_data
    assert len(split.train) == 943 and len(split.test) == 943
    assert sum(len(v) for v in split.train.values()) + 2 * 943 == len(dataset.ratings)


@pytest.mark.parametrize("model_key", SHIPPED)
def test_shipped_artifact_reproduces_its_metrics_and_beats_most_popular(
        model_key, real_data, shipped_recommenders):
    dataset, split = real_data
    folder = artifacts.artifact_dir(model_key)
    recorded = json.loads((folder / "metrics.json").read_text())
    provenance = json.loads((folder / "provenance.json").read_text())
    assert provenance["data_sha256"] == dataset.file_checksums()
    live = evaluate(shipped_recommenders[model_key], "test")
    for name, value in live.items():
        assert value == pytest.approx(recorded["test"][name], abs=1e-6)
    popular = most_popular(dataset, split, "test")
    assert live["hr@10"] > popular["hr@10"] and live["ndcg@10"] > popular["ndcg@10"]


def test_fold_in_recovers_a_training_users_top10(real_data, shipped_recommenders):
    recommender = shipped_recommenders["two_tower"]
    split = recommender.split
    overlaps = []
    for user in split.users[:60]:
        history = split.history(int(user))
        own = {r.movie_id for r in recommender.recommend(user_id=int(user))}
        query = fold_in(recommender.item_table, history)
        scores = recommender.item_table @ query
        scores[0] = -np.inf
        scores[history] = -np.inf
        folded = set(np.argsort(-scores)[:10].tolist())
        overlaps.append(len(own & folded) / 10)
    assert np.mean(overlaps) >= 0.5


def test_history_recommendations_through_fold_in(shipped_recommenders, real_data):
    dataset, _ = real_data
    star_wars, empire, jedi = 50, 172, 181
    for recommender in shipped_recommenders.values():
        ids = [r.movie_id for r in recommender.recommend(history=[star_wars, empire, jedi])]
        assert len(ids) == 10 and not {star_wars, empire, jedi} & set(ids)


@pytest.mark.parametrize("persona", list(__import__("recdemo.insights").insights.PERSONAS))
def test_every_persona_visibly_shapes_every_models_top10(persona, real_data,
                                                         shipped_recommenders):
    from recdemo import insights

    dataset, split = real_data
    rule = insights.PERSONAS[persona]
    history = insights.persona_history(persona, dataset.movies,
                                       split.train_counts(dataset.num_items))
    catalogue = insights.genre_share(dataset.movies, list(dataset.movies.index), rule["genres"])
    for key, recommender in shipped_recommenders.items():
        top = [r.movie_id for r in recommender.recommend(history=history)]
        share = insights.genre_share(dataset.movies, top, rule["genres"])
        assert share >= max(0.2, 3 * catalogue), (key, share)
