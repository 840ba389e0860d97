"""Hostile input and concurrency, property-based: never a traceback, never NaN or a seen movie
in an answer, always the documented one-line error; many threads get the single-threaded
answers; two retrains at once means exactly one runs."""

from __future__ import annotations

import json
import random
import threading
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from threads import run_in_threads

from recdemo import RecdemoError, retrain
from recdemo.batchfile import batch_answers
from recdemo.serving import load_recommender

KEYS = ("two_tower", "gru4rec", "sasrec")
ids = st.one_of(st.integers(-5, 40), st.integers(), st.booleans(), st.floats(),
                st.text(max_size=5), st.none())
histories = st.one_of(st.lists(st.integers(-3, 40), max_size=70), st.lists(ids, max_size=5),
                      ids, st.dictionaries(st.text(max_size=3), ids, max_size=2))
ks = st.one_of(st.integers(-3, 50), st.integers(), st.floats(), st.booleans(), st.none())
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(
    allow_nan=False) | st.text(max_size=8), lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)


@pytest.fixture(scope="module")
def recommenders(synthetic_artifacts, synthetic_data):
    return {key: load_recommender(key, *synthetic_data, root=synthetic_artifacts)
            for key in KEYS}


def _check_answer(recommender, items, history, k, exclude_seen=True):
    assert len(items) <= k
    assert all(np.isfinite(r.score) and 0 <= r.probability <= 1 for r in items)
    assert all(recommender.catalogue[r.movie_id] for r in items)
    if exclude_seen and history is not None:
        assert not {r.movie_id for r in items} & {int(i) for i in history}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.sampled_from(KEYS), user=ids, history=histories, k=ks,
       use_history=st.booleans())
def test_any_query_is_an_answer_or_one_clear_error(recommenders, key, user, history, k,
                                                   use_history):
    recommender = recommenders[key]
    query = {"history": history} if use_history else {"user_id": user}
    try:
        items = recommender.recommend(**query, k=k)
    except RecdemoError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    seen = history if use_history else recommender.split.history(user)
    _check_answer(recommender, items, seen, k)


batch_lines = st.one_of(
    json_values.map(json.dumps), st.text(max_size=40),
    st.fixed_dictionaries({"id": json_values}, optional={"user_id": ids, "history": json_values})
    .map(json.dumps),
    # Mostly valid lines too, so that a batch mixes answers with errors.
    st.fixed_dictionaries({"id": st.integers(), "user_id": st.integers(1, 12)}).map(json.dumps),
    st.fixed_dictionaries({"id": st.integers(),
                           "history": st.lists(st.integers(1, 30), min_size=1, max_size=12)})
    .map(json.dumps))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(line=batch_lines)
def test_any_batch_line_gives_one_json_answer(recommenders, line):
    [answer] = batch_answers(recommenders["sasrec"], [line], 5, True)
    json.dumps(answer)  # always serialisable
    assert "id" in answer and (("error" in answer) != ("items" in answer))
    if "items" in answer:
        assert len(answer["items"]) <= 5


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.sampled_from(KEYS), lines=st.lists(batch_lines, max_size=12))
def test_a_batch_answers_each_line_as_it_would_alone(recommenders, key, lines):
    recommender = recommenders[key]
    together = batch_answers(recommender, lines, 4, True)
    alone = [batch_answers(recommender, [line], 4, True)[0] for line in lines]
    assert len(together) == len(lines)
    for batched, single in zip(together, alone):
        assert batched.keys() == single.keys() and batched["id"] == single["id"]
        if "error" in single:
            assert batched["error"] == single["error"]
            continue
        assert [i["movie_id"] for i in batched["items"]] == [i["movie_id"] for i in single["items"]]
        assert [i["score"] for i in batched["items"]] == pytest.approx(
            [i["score"] for i in single["items"]], rel=1e-4, abs=1e-5)


def test_eight_threads_times_a_thousand_mixed_requests(recommenders, synthetic_data):
    _, split = synthetic_data
    rng = random.Random(0)
    queries = []
    for _ in range(1000):
        kind = rng.random()
        key = rng.choice(KEYS)
        if kind < 0.4:
            queries.append((key, {"user_id": rng.choice([*split.users.tolist(), 999])}))
        elif kind < 0.9:
            queries.append((key, {"history": rng.sample(range(1, 31), rng.randint(1, 8))}))
        else:
            queries.append((key, {"history": [rng.choice([0, -1, 10**6])]}))

    def answer(key, query):
        try:
            return [r.movie_id for r in recommenders[key].recommend(**query)]
        except RecdemoError as exc:
            return str(exc)

    expected = [answer(key, query) for key, query in queries]
    results, failures = [None] * len(queries), []

    def worker(offset):
        try:
            for index in range(offset, len(queries), 8):
                results[index] = answer(*queries[index])
        except Exception as exc:  # noqa: BLE001 - any non-RecdemoError fails the test
            failures.append(exc)

    run_in_threads(worker, 8)
    assert failures == [] and results == expected


def test_two_retrains_at_once_start_exactly_one(synthetic_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("RECDEMO_DATA_DIR", str(synthetic_dir))
    root = tmp_path / "runs"
    barrier, started, refused = threading.Barrier(6), [], []

    def attempt(_):
        barrier.wait()
        try:
            started.append(retrain.start("sasrec", "ml-100k", epochs=50, learning_rate=1e-3,
                                         embedding_dim=8, root=root))
        except RecdemoError:
            refused.append(1)

    run_in_threads(attempt, 6)
    try:
        assert len(started) == 1 and len(refused) == 5
    finally:
        for folder in started:
            retrain.cancel(folder)
            deadline = time.time() + 60
            while retrain.run_alive(folder) and time.time() < deadline:
                time.sleep(0.1)
