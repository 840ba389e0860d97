"""The dashboard through `streamlit.testing.v1.AppTest` on the real ml-100k and the shipped
artifacts (keras and keras_hub are pre-imported by conftest; the timeout covers model loads)."""

from __future__ import annotations

import time

import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest

APP = str(ROOT / "streamlit_app.py")
TIMEOUT = 180


@pytest.fixture
def app(real_data, tmp_path, monkeypatch):
    monkeypatch.setenv("RECDEMO_RUNS_DIR", str(tmp_path / "runs"))

    def start(**query):
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        for key, value in query.items():
            at.query_params[key] = value
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        return at
    return start


def top_titles(at) -> list[str]:
    """The recommendation rows' markdown, in page order."""
    return [m.value for m in at.markdown if m.value.startswith("**") and ". " in m.value[:6]]


def settle(at):
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_user_mode_shows_history_and_top10_for_each_model(app):
    at = app()
    assert len(top_titles(at)) == 10
    assert at.dataframe[0].value.shape[0] > 0  # the user's history table
    assert list(at.dataframe[0].value.columns) == ["title", "year", "genres", "rating", "date"]
    for model in ("two_tower", "gru4rec", "sasrec"):
        at.radio(key="model").set_value(model)
        settle(at)
        assert len(top_titles(at)) == 10
        assert at.query_params["model"] == model


def test_random_user_and_actual_next_movie(app):
    at = app(user="7")
    assert at.selectbox(key="user_id").value == 7
    assert any("rank **" in m.value for m in at.markdown)  # held-out movie, inside an expander
    [b for b in at.button if "Random user" in b.label][0].click()
    settle(at)
    assert at.query_params["user"] == str(at.session_state.user_id)


def test_compare_mode_badges_agreement(app):
    at = app(model="compare", user="3")
    rows = top_titles(at)
    assert len(rows) == 30
    assert all("/3 models" in row for row in rows)
    assert any("Overlap of the lists" in c.value for c in at.caption)


def test_personas_reorder_remove_promote_and_search(app):
    at = app(mode="history")
    assert any("history is empty" in i.value for i in at.info)
    at.button(key="persona-90s sci-fi fan").click()
    settle(at)
    history = list(at.session_state.history)
    assert len(history) == 5 and len(top_titles(at)) == 10
    at.button(key="down-0").click()
    settle(at)
    assert at.session_state.history[:2] == [history[1], history[0]]
    at.button(key="remove-0").click()
    settle(at)
    assert list(at.session_state.history) == [history[0], *history[2:]]
    promote = [b for b in at.button if b.key and b.key.startswith("promote-")][0]
    promoted = int(promote.key.rsplit("-", 1)[1])
    promote.click()
    settle(at)
    assert at.session_state.history[-1] == promoted and promoted not in [
        int(x) for x in at.query_params["history"].split(",")[:-1]]
    at.selectbox(key="title_search").set_value(1)
    settle(at)
    assert at.session_state.history[-1] == 1 and at.selectbox(key="title_search").value is None


def test_promote_from_a_user_starts_a_custom_history(app):
    at = app(user="10")
    promote = [b for b in at.button if b.key and b.key.startswith("promote-")][0]
    promote.click()
    settle(at)
    assert at.session_state.mode == "history" and len(at.session_state.history) > 1


def test_bad_url_parameters_warn_and_the_page_still_works(app):
    at = app(model="nope", user="99999", history="1,abc", mode="user", dataset="ml-20m")
    warnings = " ".join(w.value for w in at.warning)
    assert "Unknown model" in warnings and "Unknown user" in warnings
    assert "Unknown dataset" in warnings
    assert len(top_titles(at)) == 10


def test_history_from_url_and_empty_history(app):
    at = app(mode="history", history="50,172,181")
    assert list(at.session_state.history) == [50, 172, 181]
    assert len(top_titles(at)) == 10
    at.button(key=[b.key for b in at.button if b.label == "Clear history"][0]).click()
    settle(at)
    assert not top_titles(at) and "history" not in at.query_params


def test_similar_movies_tab(app):
    at = app(movie="1")
    at.session_state["tab"] = "Similar movies"
    settle(at)
    frames = [d.value for d in at.dataframe if "similarity" in d.value.columns]
    assert len(frames) == 3 and all(len(f) == 10 for f in frames)
    assert all(f["similarity"].is_monotonic_decreasing for f in frames)


def test_quality_and_embedding_map_tabs(app):
    at = app()
    at.session_state["tab"] = "Training & quality"
    settle(at)
    table = [d.value for d in at.dataframe if "NDCG@10" in d.value.columns][0]
    assert list(table["model"]) == ["Two-tower", "GRU4Rec", "SASRec", "Most popular"]
    assert (table["NDCG@10"][:3] > table["NDCG@10"][3]).all()
    assert len(at.get("vega_lite_chart")) >= 3
    at.session_state["tab"] = "Embedding map"
    settle(at)
    assert len(at.get("vega_lite_chart")) == 1


def _submit_retrain(at, model="two_tower", epochs=1):
    at.session_state["tab"] = "Retrain"
    settle(at)
    at.selectbox(key="retrain_model").set_value(model)
    settle(at)
    at.number_input[0].set_value(epochs)
    [b for b in at.button if "Retrain" in b.label][0].click()
    return settle(at)


def test_retrain_runs_in_background_refuses_a_second_and_can_be_used(app):
    at = _submit_retrain(app())
    other = _submit_retrain(app(), model="gru4rec")
    assert any("Another training run" in w.value for w in other.warning)
    deadline = time.time() + 240
    while time.time() < deadline:
        time.sleep(2)
        settle(at)
        if any(b.key == "use-new" for b in at.button):
            break
        assert not at.error, [e.value for e in at.error]
    else:
        pytest.fail("the retrain did not finish in time")
    assert any("Top-10 before → after" in m.value for m in at.markdown)
    at.button(key="use-new").click()
    settle(at)
    assert "two_tower" in at.session_state.served
    assert "runs" in at.session_state.served["two_tower"]
    [b for b in at.button if b.label == "Restore shipped artifacts"][0].click()
    settle(at)
    assert at.session_state.served == {}
    # A new session (a reopened tab) finds the finished run and can still use it.
    later = app()
    later.session_state["tab"] = "Retrain"
    settle(later)
    later.button(key="open-run").click()
    settle(later)
    assert any(b.key == "use-new" for b in later.button)


def test_long_history_in_the_url_is_truncated_with_a_warning(app):
    ids = ",".join(str(i) for i in range(1, 81))
    at = app(mode="history", history=ids)
    assert list(at.session_state.history) == list(range(31, 81))
    assert any("most recent 50" in w.value for w in at.warning)
    assert len(top_titles(at)) == 10


def test_without_movielens_the_app_explains_how_to_provide_it(real_data, tmp_path, monkeypatch):
    # Last in this file: it empties the process-wide caches the other tests share.
    import streamlit as st

    monkeypatch.setenv("RECDEMO_DATA_DIR", str(tmp_path / "empty"))
    st.cache_resource.clear()
    try:
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        at.run()
        assert not at.exception
        assert "RECDEMO_DATA_DIR" in at.error[0].value
        assert any("may not be redistributed" in m.value for m in at.markdown)
    finally:
        st.cache_resource.clear()
