"""The dashboard through `streamlit.testing.v1.AppTest` on the real ml-100k and the shipped
artifacts. Each test starts from empty process caches, so none depends on another's order."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from conftest import ROOT
from html_cells import TableCells
from streamlit.testing.v1 import AppTest
from synthetic import TINY_TRAINING

from dashboard import state
from recdemo import artifacts

APP = str(ROOT / "dashboard" / "app.py")  # the page script `streamlit_app.app` serves
TIMEOUT = 180


@pytest.fixture
def app(real_data, tmp_path, monkeypatch):
    monkeypatch.setenv("RECDEMO_RUNS_DIR", str(tmp_path / "runs"))
    st.cache_resource.clear()
    st.cache_data.clear()
    # No background loading: each test's pages load what they show, and nothing loads
    # behind the next test's back (`test_prefetch_*` checks the prefetch itself).
    monkeypatch.setattr(state, "prefetch", lambda *args: None)

    def start(**query):
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        for key, value in query.items():
            at.query_params[key] = value
        return settle(at)
    yield start
    st.cache_resource.clear()
    st.cache_data.clear()


def settle(at):
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def compare_grid(at) -> pd.DataFrame:
    """The compare grid's cells as drawn (one column per list, `rank` first)."""
    [element] = at.get("bidi_component")
    cells = TableCells()
    cells.feed(json.loads(element.proto.json)["html"])
    header, *rows = cells.rows
    return pd.DataFrame(rows, columns=header)


def top_titles(at) -> list[str]:
    """The single-model list's rows, in page order."""
    return [m.value for m in at.markdown if m.value.startswith("**") and ". " in m.value[:6]]


def open_tab(at, name):
    at.session_state["tab"] = name
    return settle(at)


def test_streamlit_run_serves_the_page_script_with_the_warm_up_hook(monkeypatch):
    from streamlit import config
    from streamlit.web.server.app_discovery import discover_asgi_app

    found = discover_asgi_app(ROOT / "streamlit_app.py")
    assert found.is_asgi_app and found.app_name == "app"
    # Building an `st.App` pins the process's script folder; keep it for the other tests.
    monkeypatch.setattr(config, "_main_script_path", config._main_script_path)
    import streamlit_app

    assert (ROOT / streamlit_app.app.script_path).resolve() == Path(APP).resolve()


def test_the_warm_up_fills_the_cache_the_first_page_reads(real_data, monkeypatch):
    from dashboard import state, warmup

    st.cache_resource.clear()
    loads = []
    real_load = state.load
    monkeypatch.setattr(state, "load", lambda *a, **k: loads.append(a) or real_load(*a, **k))
    warmup.warm_first_page()
    assert len(loads) == 1
    dataset, split, counts = state.cached_data(state.DEFAULT_DATASET)
    assert len(loads) == 1 and len(split.test) == len(real_data[1].test)
    st.cache_resource.clear()


def test_the_warm_up_computes_what_the_first_view_reads_from_the_artifacts(real_data,
                                                                            monkeypatch):
    from dashboard import quality, state, warmup
    from recdemo import artifacts, stored_lists, verdict
    from recdemo.models import MODELS

    st.cache_resource.clear()
    st.cache_data.clear()
    calls = []
    for module, name in ((verdict, "compare"), (stored_lists, "read")):
        real = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *a, real=real, name=name, **k: (
            calls.append(name), real(*a, **k))[1])
    warmup.warm_first_page()
    shipped = [key for key in MODELS
               if artifacts.artifact_dir(key, state.DEFAULT_DATASET).exists()]
    assert sorted(calls) == ["compare"] + ["read"] * len(shipped)
    # What the first script run asks for is then found, not computed again.
    found = quality.headline_comparison(state.DEFAULT_DATASET)
    lists = [state.stored_lists(str(artifacts.artifact_dir(key, state.DEFAULT_DATASET)),
                                state.DEFAULT_DATASET) for key in shipped]
    assert found is not None and None not in lists
    assert len(calls) == 1 + len(shipped)
    st.cache_resource.clear()
    st.cache_data.clear()


def test_the_warm_up_makes_streamlits_once_a_process_first_element_check(monkeypatch):
    from streamlit import delta_generator, env_util

    from dashboard import warmup

    monkeypatch.setattr(delta_generator, "_use_warning_has_been_displayed", False)
    looked = []
    monkeypatch.setattr(env_util, "is_repl", lambda: looked.append(1) or False)
    warmup.streamlit_first_element_check()
    assert looked == [1]
    delta_generator._maybe_print_use_warning()  # what the first element of a script calls
    assert looked == [1]


def history_rows(at) -> list[list[str]]:
    """The history table's rows as drawn (header first)."""
    parser = TableCells()
    parser.feed([h.value for h in at.html if "class='history'" in h.value][0])
    return parser.rows


def test_history_table_lists_the_users_ratings_most_recent_first(app, real_data):
    dataset, split = real_data
    at = app(user="7")
    header, *rows = history_rows(at)
    assert header == ["movie", "rating", "watched"]
    # Reference straight from the ratings file's rows (user 7, the test item held out).
    raw = dataset.ratings[dataset.ratings["user_id"] == 7]
    held_out = split.test[7]
    raw = raw[raw["movie_id"] != held_out]
    assert len(rows) == len(raw) == len(split.history(7))
    by_movie = {row.movie_id: row for row in raw.itertuples()}
    for row, movie in zip(rows, reversed(split.history(7).tolist())):
        watched = time.strftime("%b %Y", time.gmtime(by_movie[movie].timestamp))
        assert row == [dataset.movies.loc[movie, "title"], f"{by_movie[movie].rating} ★",
                       watched]
    stamps = [by_movie[movie].timestamp for movie in reversed(split.history(7).tolist())]
    assert stamps == sorted(stamps, reverse=True)


def test_user_mode_shows_history_and_top10_for_each_model(app):
    at = app()
    assert len(top_titles(at)) == 10
    assert history_rows(at)[0] == ["movie", "rating", "watched"]
    for model in ("two_tower", "gru4rec", "sasrec"):
        at.radio(key="model").set_value(model)
        settle(at)
        assert len(top_titles(at)) == 10
        assert at.query_params["model"] == model


def shares(at) -> list[tuple[str, list[int]]]:
    """Each list row's probability as shown, and the fill the page's stylesheet gives the bar of
    the container it is shown in (read as a browser reads the rules' selectors)."""
    from streamlit.testing.v1.element_tree import Block
    from test_stylesheet import fills_for

    from dashboard.stylesheet import page_css

    css = page_css()
    return [([m.value for m in node if getattr(m, "type", "") == "markdown"][0],
             fills_for(css, f"stVerticalBlock st-key-{node.key}"))
            for node in at.main if isinstance(node, Block) and (node.key or "").startswith("share")]


@pytest.mark.parametrize("present", ["0", "1"])
def test_each_row_shows_the_models_probability_and_a_bar_scaled_to_the_first_pick(app, present):
    import re

    from recdemo.serving import load_data, load_recommender

    at = app(user="7", model="sasrec", present=present)
    labels, fills = zip(*shares(at))
    percents = [float(re.fullmatch(r"(?::gray\[)?([\d.]+)%\]?", label)[1]) for label in labels]
    dataset, split = load_data("ml-100k", download=False)
    expected = [r.probability for r in load_recommender("sasrec", dataset, split).recommend(
        user_id=int(at.session_state.user_id), k=10)]
    assert np.allclose(percents, np.multiply(expected, 100), atol=0.051)
    assert all(len(fill) == 1 for fill in fills)  # one bar each
    assert np.allclose([f for f, in fills], np.divide(expected, expected[0]) * 100, atol=0.5)


def page_text(at) -> str:
    return "\n".join(m.value for m in [*at.markdown, *at.caption, *at.info])


def test_show_me_a_hit_and_the_held_out_reveal(app):
    at = app(user="7")
    [b for b in at.button if "Show me a hit" in b.label][0].click()
    settle(at)
    # Not before the reveal: neither a badge in the list nor a legend under the grid.
    assert "held-out movie]" not in page_text(at)
    at.radio(key="model").set_value("compare")
    settle(at)
    assert "held-out movie]" not in page_text(at) and "held-out" not in _grid_html(at)
    at.toggle(key="reveal").set_value(True)
    settle(at)
    assert "the held-out movie]" in page_text(at) and "held-out" in _grid_html(at)
    assert at.query_params["reveal"] == "1"
    at.radio(key="model").set_value("sasrec")
    settle(at)
    assert any("the held-out movie" in row for row in top_titles(at))
    ranks = [line for m in at.markdown for line in m.value.split("  \n") if "rank **" in line]
    assert len(ranks) == 3 and sum("in the top 10" in r for r in ranks) >= 1
    # Each rank is the one the model gives now (the panel reads the artifacts' recorded ranks).
    from recdemo.insights import held_out_ranks
    from recdemo.serving import load_data, load_recommender

    dataset, split = load_data("ml-100k", download=False)
    user = np.array([int(at.session_state.user_id)])
    for line, key in zip(ranks, ("two_tower", "gru4rec", "sasrec")):
        live = held_out_ranks(load_recommender(key, dataset, split), split, user)[0]
        assert f"rank **{live}** of" in line, (key, line)
    # The reveal is drawn in place, not in a second "Reveal" expander.
    assert not [e for e in at.expander if "Reveal" in e.label]


def test_presenter_mode_folds_the_controls_away_and_keeps_one_line_a_movie(app):
    at = app(user="7", model="sasrec", present="1")
    assert at.session_state.present and at.query_params["present"] == "1"
    # The user panel is folded into an expander named after the user; the headline is gone.
    assert [e.label for e in at.expander if e.label == "User 7"]
    assert not any("2.6×" in c.value or "as often as" in c.value for c in at.caption)
    rows = top_titles(at)
    assert len(rows) == 10 and all("\n" not in row for row in rows)
    # Genres and the reason move to the row's tooltip, labelled as before.
    helps = [m.help for m in at.markdown if m.value in rows]
    assert all(h for h in helps) and any("rests on" in h for h in helps)
    at.toggle(key="present").set_value(False)
    settle(at)
    assert "present" not in at.query_params
    assert any("\n" in row for row in top_titles(at))  # two lines a movie again


def test_every_view_exports_a_titled_slide_and_csv(app):
    for params, title in (({"user": "7", "model": "sasrec"}, "Top 10 from SASRec for user 7"),
                          ({"user": "7", "model": "compare"},
                           "Top 10 from every model for user 7"),
                          ({"tab": "Quality"}, "Held-out quality of the models on ml-100k")):
        at = app(**params)
        buttons = {b.proto.label: b.proto for b in at.get("download_button")}
        assert set(buttons) == {"Slide (PNG)", "Data (CSV)"}, params
        help_text = buttons["Slide (PNG)"].help
        assert title in help_text and "ml-100k" in help_text
        assert buttons["Data (CSV)"].url  # the CSV is ready; the PNG is drawn on click


def test_quality_by_segment_and_a_click_to_an_example_user(app, real_data):
    at = app(tab="Quality")
    table = [d.value for d in at.dataframe if "users" in d.value.columns][0]
    assert list(table.columns) == ["group", "users", "Two-tower", "GRU4Rec", "SASRec",
                                   "Most popular"]
    # History-length quartiles: every test user once, in ascending groups.
    assert table["users"].sum() == len(real_data[1].test) and len(table) == 4
    lows = [int(group.split("-")[0].split()[0]) for group in table["group"]]
    assert lows == sorted(lows) and table["group"].iloc[-1].endswith("items")
    at.segmented_control(key="segment_kind").set_value("held-out popularity")
    settle(at)
    table = [d.value for d in at.dataframe if "users" in d.value.columns][0]
    assert table["group"].tolist() == ["head", "torso", "tail"]
    # Most popular can only hit the head: it never ranks a tail movie in its top 10.
    assert table.loc[table["group"] == "tail", "Most popular"].item() == 0.0
    example = [b for b in at.button if b.key and b.key.startswith("segment-user-")][0]
    user = int(example.key.rsplit("-", 1)[1])
    example.click()
    settle(at)
    assert at.session_state.user_id == user and at.session_state.tab == "Top 10"
    assert len(top_titles(at)) == 10


def _grid_html(at) -> str:
    return json.loads(at.get("bidi_component")[0].proto.json)["html"]


def _grid_ids(at) -> list[int]:
    return [int(part.split("'")[0]) for part in _grid_html(at).split("data-movie='")[1:]]


def test_a_grid_movie_s_standing_and_agreement_over_all_users(app):
    at = app(model="compare", user="7")
    grid = compare_grid(at)
    first = grid["SASRec"].iloc[0]
    movie = [m for m in at.selectbox(key="grid_movie").options
             if m.startswith(first)][0]
    at.selectbox(key="grid_movie").set_value(movie)
    settle(at)
    said = [m.value for m in at.markdown if "**SASRec**: rank" in m.value][0]
    assert "**SASRec**: rank 1 ·" in said and said.count("rank") == 3
    chosen = at.selectbox(key="grid_movie").value
    assert "selected" in _grid_html(at).split(f"data-movie='{chosen}'")[0].rsplit("<td", 1)[1]
    # A click on a cell (the component's callback stores the id) picks that movie; an id
    # that is not in the grid, or not an id, changes nothing.
    popular = _grid_ids(at)[-1]
    for sent, expected in ((popular, popular), (999_999, popular), ("1", popular),
                           (True, popular)):
        at.session_state["grid_clicked"] = sent
        settle(at)
        assert at.selectbox(key="grid_movie").value == expected
    said = [m.value for m in at.markdown if "**SASRec**: rank" in m.value][0]
    assert said.count("rank") == 3 or "not a candidate" in said
    assert not any(d for d in at.get("arrow_vega_lite_chart"))  # closed: nothing computed
    at.session_state["agreement"] = True  # the presenter opens the expander
    settle(at)
    assert any("On average they share" in c.value for c in at.caption)
    differ = [b for b in at.button if b.key and b.key.startswith("differ-user-")]
    assert len(differ) == 8
    differ[0].click()
    settle(at)
    assert at.session_state.user_id == int(differ[0].key.rsplit("-", 1)[1])


def test_sasrec_shows_where_it_looked_only_when_asked_and_labelled_as_attention(app):
    at = app(model="sasrec", user="7")
    assert [e.label for e in at.expander if "looked" in e.label] == [
        "Where SASRec looked in this history"]
    assert not any("Attention of SASRec" in c.value for c in at.caption)  # closed: not computed
    at.session_state["attention-sasrec"] = True
    settle(at)
    said = [c.value for c in at.caption if "Attention of SASRec" in c.value][0]
    assert "most recent watches" in said and "not the reason for any one pick" in said
    at.radio(key="model").set_value("gru4rec")
    settle(at)
    assert not any("looked" in e.label for e in at.expander)  # no attention to show


def finished_run(root: Path, model: str, valid_ranks: list[int] | None = None) -> Path:
    """A finished retrain run of `model` whose artifact is the shipped one, its per-user
    validation ranks (and their means) replaced by `valid_ranks`."""
    from recdemo.dataset import sha256_of
    from recdemo.metrics import ranking_metrics

    folder = root / f"20261205-120000-{model}-abc123"
    shutil.copytree(artifacts.resolve(artifacts.artifact_dir(model)), folder / "artifact")
    if valid_ranks is not None:
        path = folder / "artifact" / "metrics.json"
        metrics = json.loads(path.read_text())
        metrics["ranks"]["valid"]["ranks"] = valid_ranks
        metrics["valid"] = ranking_metrics(np.array(valid_ranks))
        path.write_text(json.dumps(metrics))
        manifest = json.loads((folder / "artifact" / "manifest.json").read_text())
        manifest["metrics.json"] = sha256_of(path)
        (folder / "artifact" / "manifest.json").write_text(json.dumps(manifest))
    (folder / "request.json").write_text(json.dumps({
        "model": model, "dataset": "ml-100k", "epochs": 3, "learning_rate": 0.001,
        "embedding_dim": 64, "data_dir": None}))
    logs = json.loads((folder / "artifact" / "history.json").read_text())[:3]
    history = [{**log, "seconds": s} for log, s in zip(logs, (9.0, 4.0, 6.0))]
    (folder / "progress.json").write_text(json.dumps({
        "status": "done", "phase": "done", "epoch": 3, "epochs": 3, "history": history,
        "started_at": 1000.0, "finished_at": 1030.0}))
    return folder


def another_seed(ranks: np.ndarray) -> list[int]:
    """Ranks as another seed of the same recipe might give: every user's rank jitters
    (log-normal), then a few hits slip out of the top 10 and a few move up to rank 1 until the
    mean NDCG@10 is 2 % higher while the hit rate is lower (the defect's "better (+2 %)")."""
    from recdemo.metrics import ranking_metrics

    before = ranking_metrics(ranks)
    rng = np.random.default_rng(0)
    jittered = np.maximum(np.rint(ranks * np.exp(rng.normal(0, 0.4, len(ranks)))), 1)
    while ranking_metrics(jittered)["hr@10"] >= before["hr@10"]:
        jittered[rng.choice(np.flatnonzero(jittered == 10))] = 11
    while ranking_metrics(jittered)["ndcg@10"] < before["ndcg@10"] * 1.02:
        jittered[rng.choice(np.flatnonzero((jittered >= 2) & (jittered <= 4)))] = 1
    return jittered.astype(int).tolist()


def test_a_one_seed_nudge_is_no_detectable_difference(app, tmp_path):
    shipped = json.loads((artifacts.artifact_dir("sasrec") / "metrics.json").read_text())
    served = np.array(shipped["ranks"]["valid"]["ranks"])
    run = finished_run(tmp_path / "runs", "sasrec", another_seed(served))
    new = json.loads((run / "artifact" / "metrics.json").read_text())["valid"]
    # The defect: a higher NDCG@10 and a lower hit rate used to read "better (+n %)".
    assert new["ndcg@10"] > shipped["valid"]["ndcg@10"]
    assert new["hr@10"] < shipped["valid"]["hr@10"]
    at = app(run=run.name, tab="Retrain")
    assert not at.success
    verdicts = [i.value for i in at.info if "No detectable difference" in i.value]
    assert verdicts and "on validation" in verdicts[0] and "CI" in verdicts[0]
    assert at.button(key="use-new").proto.type == "secondary"
    assert at.query_params["run"] == run.name


def test_a_real_gain_is_better(app, tmp_path):
    shipped = json.loads((artifacts.artifact_dir("sasrec") / "metrics.json").read_text())
    served = np.array(shipped["ranks"]["valid"]["ranks"])
    run = finished_run(tmp_path / "runs", "sasrec", np.maximum(served // 2, 1).tolist())
    at = app(run=run.name, tab="Retrain")
    assert at.success and "**better**" in at.success[0].value
    assert at.button(key="use-new").proto.type == "primary"


def test_a_link_carries_the_served_retrained_model(app, tmp_path):
    run = finished_run(tmp_path / "runs", "gru4rec")
    at = app(model="gru4rec", user="7", serve=f"gru4rec:{run.name}")
    assert at.session_state.served == {"gru4rec": str(run / "artifact")}
    assert any("Serving a retrained model for: GRU4Rec" in i.value for i in at.sidebar.info)
    assert at.query_params["serve"] == f"gru4rec:{run.name}"
    gone = app(model="gru4rec", user="7", serve="gru4rec:20260101-000000-gru4rec-ffffff")
    assert gone.session_state.served == {}
    assert any("this server does not have that run" in w.value for w in gone.warning)


def test_the_retrain_form_follows_the_model_on_screen(app):
    at = app(model="gru4rec", tab="Retrain")
    assert at.selectbox(key="retrain_model").value == "gru4rec"
    at.radio(key="model").set_value("two_tower")
    settle(at)
    assert at.selectbox(key="retrain_model").value == "two_tower"


def test_the_retrain_form_quotes_this_servers_measured_epochs(app, tmp_path):
    finished_run(tmp_path / "runs", "sasrec")
    at = app(model="sasrec", tab="Retrain")
    text = "\n".join(c.value for c in at.caption)
    assert "under a minute" not in text
    # Epochs 2-3 took 4 and 6 s; the run spent 30 - 19 = 11 s outside its epochs.
    assert "epoch took 5.0 s in its last run" in text


def test_compare_mode_is_one_rank_by_model_grid(app):
    at = app(model="compare", user="3")
    grid = compare_grid(at)
    assert list(grid.columns) == ["rank", "Two-tower", "GRU4Rec", "SASRec", "Most popular"]
    assert len(grid) == 10 and grid.notna().all().all()
    assert any("shared movies" in m.value for m in at.markdown)


def test_personas_reorder_remove_promote_and_search(app):
    at = app(mode="history")
    assert any("history is empty" in i.value for i in at.info)
    at.button(key="persona-90s sci-fi fan").click()
    settle(at)
    history = list(at.session_state.history)
    assert len(history) == 5 and len(top_titles(at)) == 10
    at.button(key="down-1").click()  # oldest-first index 1 becomes index 0 (watched earlier)
    settle(at)
    assert at.session_state.history[:2] == [history[1], history[0]]
    at.button(key="remove-0").click()
    settle(at)
    assert list(at.session_state.history) == [history[0], *history[2:]]
    promote = [b for b in at.button if b.key and b.key.startswith("promote-")][0]
    promoted = int(promote.key.rsplit("-", 1)[1])
    promote.click()
    settle(at)
    assert at.session_state.history[-1] == promoted
    assert any(":orange-badge[" in row for row in top_titles(at))  # change markers
    at.selectbox(key="title_search").set_value(1)
    settle(at)
    assert at.session_state.history[-1] == 1 and at.selectbox(key="title_search").value is None


def test_every_view_change_reaches_the_link(app):
    at = app(user="42", movie="1")
    at.radio(key="mode").set_value("history")
    settle(at)
    at.selectbox(key="title_search").set_value(1)
    settle(at)
    at.selectbox(key="title_search").set_value(50)
    settle(at)
    assert at.query_params["history"] == "1,50" and at.query_params["movie"] == "1"
    at.radio(key="mode").set_value("user")
    settle(at)
    assert at.query_params["user"] == "42" and len(top_titles(at)) == 10


def test_history_is_listed_most_recent_first(app):
    at = app(mode="history", history="50,172,181")
    rows = [m.value for m in at.markdown if m.value[:3] in ("1\\.", "2\\.", "3\\.")]
    assert rows[0].startswith("1\\. Return of the Jedi") and "Star Wars" in rows[2]


def test_promote_from_a_user_starts_a_built_history(app):
    at = app(user="10")
    [b for b in at.button if b.key and b.key.startswith("promote-")][0].click()
    settle(at)
    assert at.session_state.mode == "history" and len(at.session_state.history) > 1


@pytest.mark.parametrize("query, expected", [
    ({"model": "nope", "user": "99999", "dataset": "ml-20m"},
     ["Unknown model", "Unknown user", "Unknown dataset"]),
    ({"movie": "²", "user": "²", "tab": "<b>x</b>"}, ["Unknown movie", "Unknown user",
                                                      "Unknown tab"]),
    ({"mode": "history", "history": ",".join(["7"] * 5000)}, ["merged"]),
])
def test_hostile_links_warn_and_the_page_still_works(app, query, expected):
    at = app(**query)
    warnings = " ".join(w.value for w in at.warning)
    assert all(word in warnings for word in expected), warnings
    assert len(top_titles(at)) == 10


def test_titles_are_shown_literally(app, real_data):
    dataset, _ = real_data
    mash = int(dataset.movies.index[dataset.movies["title"] == "M*A*S*H (1970)"][0])
    at = app(mode="history", history=str(mash))
    assert any("M\\*A\\*S\\*H" in m.value for m in at.markdown)


def test_the_open_tab_is_in_the_link(app):
    at = app(tab="Quality")
    assert at.session_state["tab"] == "Quality"
    open_tab(at, "Embedding map")
    assert at.query_params["tab"] == "Embedding map"


def test_similar_movies_show_their_numbers(app):
    at = app(movie="1", tab="Similar movies")
    frame = [d.value for d in at.dataframe if "similarity" in d.value.columns][0]
    assert len(frame) == 10 and frame["similarity"].is_monotonic_decreasing
    assert frame["similarity"].between(-1, 1).all()


def test_quality_tab_headline_table_and_curves(app):
    at = app(tab="Quality")
    # Said once: in the page's caption, not again as the tab's heading.
    said = [e.value for e in [*at.markdown, *at.caption]
            if "×** as often as the ten most popular" in e.value and "interval" in e.value]
    assert len(said) == 1
    # Presenter mode hides the page's headline, so the tab carries it.
    shown = app(tab="Quality", present="1")
    assert [m.value for m in shown.markdown if "×** as often as" in m.value]
    assert not [c.value for c in shown.caption if "×** as often as" in c.value]
    table = [d.value for d in at.dataframe if "hit rate @10" in d.value.columns][0]
    assert list(table["model"]) == ["Two-tower", "GRU4Rec", "SASRec", "Most popular"]
    assert "over 3 seeds" in table["recipe's hit rate"][2]
    # Is the difference real? SASRec against GRU4Rec by default, then against most popular.
    said = [m.value for m in at.markdown if "on the test movies" in m.value]
    assert said and "CI" in said[0] and "users better" in said[0]
    at.selectbox(key="paired_b").set_value("most_popular")
    settle(at)
    assert any("SASRec is **better** than Most popular on the test movies" in m.value
               for m in at.markdown)
    assert table["hit rate @10"].notna().all() and table["NDCG@10"].notna().all()
    assert (table["hit rate @10"][:3] > table["hit rate @10"][3]).all()
    assert len(at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")) == 6


def _map_layers(at) -> dict:
    """The embedding map's data, by what each layer holds."""
    import pyarrow as pa

    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    assert len(charts) == 1
    spec = json.loads(charts[0].proto.spec)
    tables = [pa.ipc.open_stream(d.data.data).read_all().to_pandas()
              for d in charts[0].proto.datasets]
    return {"spec": spec, "tables": tables}


def test_embedding_map_draws_the_whole_catalogue_and_the_taste_in_view(app, real_data):
    at = app(tab="Embedding map", user="7")
    found = _map_layers(at)
    points = max(found["tables"], key=len)
    catalogue = points[points.role == "catalogue"]
    shown = [t for t in found["tables"] if "role" in t and len(t) < len(points)
             and not (t.role == "catalogue").any()]
    highlighted = max(shown, key=len)
    # Every movie once; the history (minus what the top 10 took over) and the top 10 on top.
    assert len(catalogue) + len(highlighted) == len(real_data[0].movies)
    assert (highlighted.role == "top 10").sum() == 10 and "held out" not in set(highlighted.role)
    assert sorted(highlighted.label[highlighted.label != ""].astype(int)) == list(range(1, 11))
    text = json.dumps(found["spec"])
    assert '"held out"' not in text  # nothing about the held-out movie before the reveal
    arrow = next(t for t in found["tables"] if "x2" in t)
    domain = [layer["encoding"]["x"]["scale"]["domain"] for layer in found["spec"]["layer"]
              if "x" in layer.get("encoding", {})][0]
    assert domain[0] < arrow.x2[0] < domain[1]
    # Every point is inside the view, markers whole.
    assert points.x.between(*domain).all()


def test_the_revealed_held_out_movie_shows_on_the_map(app, real_data):
    at = app(tab="Embedding map", user="7", reveal="1", model="sasrec")
    highlighted = [t for t in _map_layers(at)["tables"] if "role" in t
                   and (t.role == "held out").any()]
    held_out = real_data[1].test[7]
    assert len(highlighted) == 1 and highlighted[0].title[highlighted[0].role == "held out"
                                                         ].tolist() == [
        real_data[0].movies.loc[held_out, "title"]]


def _shipped_copy(tmp_path, monkeypatch):
    root = tmp_path / "artifacts"
    shutil.copytree(artifacts.DEFAULT_ROOT, root, symlinks=True)
    monkeypatch.setenv("RECDEMO_ARTIFACTS_DIR", str(root))
    return root


def test_a_replaced_artifact_is_served_and_described_at_once(app, tmp_path, monkeypatch):
    root = _shipped_copy(tmp_path, monkeypatch)
    at = app(tab="Quality")
    folder = artifacts.artifact_dir("sasrec", "ml-100k", root)
    _, model = artifacts.load_model(folder)
    documents = {n: artifacts.read_json(folder, n) for n in artifacts.JSON_FILES}
    documents["metrics.json"]["test"]["hr@10"] = 0.5
    artifacts.save(model, folder, model_key="sasrec",
                   train_config=documents["config.json"]["train"],
                   history=documents["history.json"], metrics=documents["metrics.json"],
                   provenance_info=documents["provenance.json"])
    settle(at)
    table = [d.value for d in at.dataframe if "hit rate @10" in d.value.columns][0]
    assert table.loc[table["model"] == "SASRec", "hit rate @10"].item() == 0.5


def test_a_broken_model_is_reported_and_the_others_serve(app, tmp_path, monkeypatch):
    root = _shipped_copy(tmp_path, monkeypatch)
    weights = artifacts.resolve(artifacts.artifact_dir("gru4rec", "ml-100k", root))
    (weights / artifacts.WEIGHTS_FILE).write_bytes(b"truncated")
    at = app(model="sasrec")
    assert len(top_titles(at)) == 10
    assert any("GRU4Rec is unavailable" in e.value for e in at.error)


def _submit_retrain(at, model="two_tower", epochs=1):
    open_tab(at, "Retrain")
    at.selectbox(key="retrain_model").set_value(model)
    settle(at)
    at.number_input[0].set_value(epochs)
    [b for b in at.button if "Retrain" in b.label][0].click()
    return settle(at)


def test_retrain_is_watched_judged_on_validation_and_can_be_used(app):
    at = _submit_retrain(app())
    other = open_tab(app(), "Retrain")  # a second visitor sees the run, not a form
    assert any("being trained right now" in i.value for i in other.info)
    deadline = time.time() + 240
    while time.time() < deadline:
        time.sleep(2)
        settle(at)
        if any(b.key == "use-new" for b in at.button):
            break
        assert not at.error, [e.value for e in at.error]
    else:
        pytest.fail("the retrain did not finish in time")
    table = [d.value for d in at.dataframe if "validation NDCG@10" in d.value.columns][0]
    assert list(table["model"])[:2] == ["this run", "now serving"]
    assert not [c for c in table.columns if "test" in c.lower()]
    # The shipped two-tower was refitted before per-user validation ranks were recorded: the
    # page says it cannot judge rather than guessing from two means.
    assert not at.success
    assert any("cannot be compared user by user" in i.value for i in at.info)
    at.button(key="use-new").click()
    settle(at)
    assert "runs" in at.session_state.served["two_tower"]
    assert any("Now serving the retrained" in m.value for m in at.markdown)
    [b for b in at.button if b.label == "Restore shipped models"][0].click()
    settle(at)
    assert at.session_state.served == {}
    later = open_tab(app(), "Retrain")  # a reopened tab finds the finished run
    later.button(key="open-run").click()
    settle(later)
    assert any(b.key == "use-new" for b in later.button)


def test_without_movielens_nothing_downloads_until_asked(app, tmp_path, monkeypatch):
    from recdemo import RecdemoError, movielens

    calls = []

    def offline(name):
        calls.append(name)
        raise RecdemoError("Could not download ml-1m (offline).")

    monkeypatch.setattr(movielens, "fetch", offline)
    monkeypatch.setenv("RECDEMO_CACHE_DIR", str(tmp_path / "cache"))
    at = app(dataset="ml-1m")
    assert "RECDEMO_DATA_DIR" in at.error[0].value and calls == []
    at.button(key="download").click()
    settle(at)
    assert calls == ["ml-1m"] and any("last download attempt failed" in w.value
                                      for w in at.warning)
    app(dataset="ml-1m")  # another visit: the failure is shown, not retried
    assert calls == ["ml-1m"]


def test_share_link_and_headline(app):
    at = app(user="7", tab="Similar movies", movie="1")
    link = [c.value for c in at.code][0]
    assert "user=7" in link and "tab=Similar+movies" in link and "movie=1" in link
    assert any("as often as the ten most popular" in c.value and "interval" in c.value
               for c in at.caption)


def test_every_quick_preset_fits_the_retrain_form():
    from dashboard.retrain_tab import LEARNING_RATES
    from recdemo.models import MODELS, preset

    for key in MODELS:
        model, train = preset("quick", key)
        assert train["learning_rate"] in LEARNING_RATES
        assert model["embedding_dim"] in (16, 32, 64, 128)


def test_ml1m_end_to_end_on_files_in_its_format(app, tmp_path, monkeypatch, capsys):
    # Real ml-1m cannot be downloaded here: synthetic files in its exact layout (`::`,
    # latin-1 titles, `|` genres, id gaps) go through `train --model all` and the app.
    from synthetic import write_ml1m

    from recdemo import models
    from recdemo.cli import main
    from recdemo.models import MODELS

    write_ml1m(tmp_path / "data")
    root = tmp_path / "artifacts"
    code = main(["train", "--dataset", "ml-1m", "--model", "all", *TINY_TRAINING,
                 "--data-dir", str(tmp_path / "data"), "--out", str(root)])
    assert code == 0, capsys.readouterr().err
    monkeypatch.setenv("RECDEMO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RECDEMO_ARTIFACTS_DIR", str(root))
    at = app(dataset="ml-1m")
    # `--model all` trained every registered model, the test-only fourth one too: each is
    # offered, described and serves a list, with no change to the dashboard.
    assert at.radio(key="model").options == [*models.DISPLAY_NAMES.values(), "Compare all models"]
    about = " ".join(m.value for m in at.sidebar.expander[0].markdown)
    assert all(f"**{models.DISPLAY_NAMES[key]}** {models.card(key).description}" in about
               for key in MODELS) and "Mean pool" in about
    for model in MODELS:
        at.radio(key="model").set_value(model)
        settle(at)
        assert len(top_titles(at)) == 10, [e.value for e in at.error]
    assert at.selectbox(key="dataset_choice").value == "ml-1m"


def test_custom_data_end_to_end_with_its_own_ids(app, tmp_path, monkeypatch, capsys):
    # Your own logs: string ids, ISO times, some items without titles; offered by the
    # operator in RECDEMO_CUSTOM_DATA, picked by name in the link.
    from synthetic import custom_user, write_custom

    from recdemo.cli import main

    folder = write_custom(tmp_path)
    root = tmp_path / "artifacts"
    code = main(["train", "--dataset", f"custom:{folder}", "--model", "all", *TINY_TRAINING,
                 "--out", str(root)])
    assert code == 0, capsys.readouterr().err
    monkeypatch.setenv("RECDEMO_CUSTOM_DATA", str(folder))
    monkeypatch.setenv("RECDEMO_ARTIFACTS_DIR", str(root))
    at = app(dataset="custom-shop")
    assert at.selectbox(key="dataset_choice").value == "custom-shop"
    assert "ml-100k" in at.selectbox(key="dataset_choice").options
    users = at.selectbox(key="user_id")
    assert custom_user(1) in users.options and users.value == 1
    shown = []
    for model in ("two_tower", "gru4rec", "sasrec"):
        at.radio(key="model").set_value(model)
        settle(at)
        assert len(top_titles(at)) == 10, [e.value for e in at.error]
        shown += top_titles(at)
    # An item without a title is listed by its id (Markdown-escaped: "sku\-3\-...").
    assert any(title.startswith("**") and "sku" in title for title in shown)


def test_a_run_that_ended_stops_its_clock_and_its_estimate():
    from dashboard.retrain_tab import phase_text

    history = [{"seconds": 9.0}, {"seconds": 4.0}, {"seconds": 6.0}]
    running = {"status": "running", "phase": "training", "epoch": 3, "epochs": 10,
               "history": history, "started_at": 1000.0}
    assert phase_text(running, now=1020.0) == ("Training: epoch 3/10 · 20 s elapsed · "
                                               "about 40 s left")
    done = {**running, "status": "done", "phase": "done", "finished_at": 1096.0}
    # Reopened hours later, a 96 s run still took 96 s.
    assert phase_text(done, now=99999.0) == "Finished · took 96 s"
    cancelled = {**running, "status": "cancelled", "finished_at": 1021.0}
    assert phase_text(cancelled, now=99999.0) == "Cancelled after epoch 3/10 · took 21 s"


def test_the_named_reason_is_what_the_score_rests_on(app):
    """Removing the movie a pick is said to rest on drops that pick to the rank quoted."""
    import re

    at = app(mode="history", model="sasrec")
    at.button(key="persona-Romantic comedies").click()
    settle(at)
    rows = top_titles(at)
    found = re.search(r"\*\*1\. (.+?)\*\*.*rests on (.+?) \(#1 → #(\d+) without it\)",
                      rows[0], re.S)
    assert found, rows[0]
    title, reason, quoted = found.group(1), found.group(2), int(found.group(3))
    history = list(at.session_state.history)
    from recdemo.display import markdown_escape
    from recdemo.serving import load_data

    movies = load_data("ml-100k", download=False)[0].movies
    index = next(i for i, m in enumerate(history)
                 if markdown_escape(movies.loc[m, "title"]) == reason)
    at.button(key=f"remove-{index}").click()
    settle(at)
    new_rank = next((i for i, row in enumerate(top_titles(at), start=1) if title in row), 11)
    # The removed movie becomes a candidate again, which can push the pick down one more.
    assert new_rank in (quoted, quoted + 1) or (quoted > 10 and new_rank == 11)
    assert new_rank > 1


def test_a_known_two_tower_user_gets_no_invented_reason(app):
    at = app(model="two_tower", user="7")
    assert not any("rests on" in row for row in top_titles(at))
    assert any("vector learned in training" in c.value for c in at.caption)
    history = app(mode="history", model="two_tower", history="50,181,172,1,121")
    assert any("rests on" in row for row in top_titles(history))


def test_serving_a_retrained_model_keeps_the_page_consistent(app, tmp_path):
    """After 'Use new model': the headline still reports the shipped models, and the Quality
    table labels the one-seed run next to the shipped one instead of mixing them."""
    run = finished_run(tmp_path / "runs", "gru4rec")
    before = app(tab="Quality")
    headline = [c.value for c in before.caption if "as often as" in c.value]
    at = app(tab="Quality", serve=f"gru4rec:{run.name}")
    assert [c.value for c in at.caption if "as often as" in c.value] == headline
    table = [d.value for d in at.dataframe if "hit rate @10" in d.value.columns][0]
    assert list(table["model"])[:3] == ["Two-tower", "GRU4Rec (retrained here, serving)",
                                        "GRU4Rec (shipped)"]



def test_prefetch_loads_the_model_on_screen_first_once_the_view_is_drawn(monkeypatch):
    """The first server view starts loading every offered model, the one on screen first, but
    only after `PREFETCH_AFTER_S`; a later view does not start it again."""
    import threading
    import time

    st.cache_resource.clear()
    loaded = []
    monkeypatch.setattr(state, "PREFETCH_AFTER_S", 0.4)
    monkeypatch.setattr(state, "offered_models", lambda name: ["two_tower", "gru4rec", "sasrec"])
    monkeypatch.setattr(state, "recommender", lambda folder, name: loaded.append(
        (Path(folder).name, name)))
    started = time.perf_counter()
    state.prefetch("ml-100k", "sasrec")
    assert loaded == []  # nothing competes with the browser drawing the view just sent
    state.prefetch("ml-100k", "gru4rec")
    for thread in threading.enumerate():
        if thread.name == "recdemo-prefetch":
            thread.join(timeout=30)
    assert time.perf_counter() - started >= 0.4
    assert loaded == [("sasrec", "ml-100k"), ("two_tower", "ml-100k"), ("gru4rec", "ml-100k")]
    st.cache_resource.clear()


def test_a_users_first_list_needs_no_model_and_is_what_the_model_serves(app, monkeypatch):
    """The default view comes from the lists stored with the artifact, without loading a
    model; the same page computed by the model shows the same rows, reasons included; any
    other view runs the model."""
    from dashboard import state

    loads = []
    real_loader = state._cached_recommender
    monkeypatch.setattr(state, "_cached_recommender",
                        lambda *args: loads.append(args) or real_loader(*args))
    stored = top_titles(app(user="7", model="gru4rec"))
    assert len(stored) == 10 and any("rests on" in row for row in stored)
    assert loads == []
    filtered = app(user="7", model="gru4rec", genre="Drama")
    assert loads and top_titles(filtered) != stored
    monkeypatch.setattr(state, "stored_lists", lambda *args: None)
    assert top_titles(app(user="7", model="gru4rec")) == stored
