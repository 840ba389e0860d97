"""recdemo dashboard: explore, compare and retrain three MovieLens recommenders.

Only UI lives here: every number shown comes from the `recdemo` package (the same `recommend`
path as the CLI and the evaluation). Loaded data and models are cached once per process and
shared by all sessions; the view lives in the URL so a link reopens it.
"""

from __future__ import annotations

import dataclasses
import json
import random
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

import recdemo  # noqa: F401  (pins the JAX backend before keras is imported)
from recdemo import RecdemoError, artifacts, insights, retrain
from recdemo.data import DATASETS, how_to_provide
from recdemo.metrics import target_ranks
from recdemo.models import DISPLAY_NAMES, MODELS
from recdemo.presets import preset
from recdemo.serving import load_data, recommender_from_folder

COMPARE = "compare"
MODEL_CHOICES = [*MODELS, COMPARE]
MODES = {"user": "A MovieLens user", "history": "Build a history"}
K = 10
# A custom history keeps its most recent MAX_HISTORY movies: the sequence models' context.
MAX_HISTORY = 50
LEARNING_RATES = [3e-4, 1e-3, 2e-3, 3e-3, 5e-3, 1e-2]

st.set_page_config(page_title="recdemo: MovieLens recommenders", page_icon=":material/movie:",
                   layout="wide")
# Less empty space above the title: more of the page fits on a projector.
st.html("<style>.block-container {padding-top: 2.5rem;}</style>")


# -- cached resources (shared by every session of this process) ---------------------------------
@st.cache_resource(show_spinner="Loading MovieLens…")
def cached_data(dataset_name: str):
    """The dataset, its split and train popularity."""
    dataset, split = load_data(dataset_name)
    counts = split.train_counts(dataset.num_items)
    return dataset, split, counts


@st.cache_resource(show_spinner="Loading model…", max_entries=12)
def cached_recommender(folder: str, dataset_name: str):
    """A verified artifact's recommender, warmed up so the first click is instant."""
    dataset, split, _ = cached_data(dataset_name)
    recommender = recommender_from_folder(folder, dataset, split)
    first_user = int(split.users[0])
    recommender.recommend(user_id=first_user)
    recommender.recommend(history=list(split.history(first_user)[:3]))
    return recommender


@st.cache_data(show_spinner=False)
def cached_json(folder: str, name: str, _stamp: float):
    """One JSON document of an artifact (re-read when the file changes)."""
    return artifacts.read_json(folder, name)


def artifact_json(folder: str, name: str):
    """`cached_json` keyed by the file's modification time."""
    path = Path(folder) / name
    return cached_json(folder, name, path.stat().st_mtime if path.exists() else 0.0)


# -- state: session + URL -----------------------------------------------------------------------
def _parse_ids(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def init_state_from_url(user_ids: np.ndarray, dataset) -> None:
    """On a session's first run, read the view from the URL; bad values become warnings."""
    if "initialized" in st.session_state:
        return
    state, params, warnings = st.session_state, st.query_params, []
    state.initialized = True
    state.served = {}
    state.history = []
    state.run_folder = None
    state.model = params.get("model", "sasrec")
    if state.model not in MODEL_CHOICES:
        warnings.append(f"Unknown model {state.model!r} in the link; showing SASRec.")
        state.model = "sasrec"
    state.mode = params.get("mode", "user")
    if state.mode not in MODES:
        warnings.append(f"Unknown mode {state.mode!r} in the link.")
        state.mode = "user"
    state.user_id = int(user_ids[0])
    if "user" in params:
        try:
            wanted = int(params["user"])
        except ValueError:
            wanted = None
        if wanted in set(user_ids.tolist()):
            state.user_id = wanted
        else:
            warnings.append(f"Unknown user {params['user']!r} in the link; showing user "
                            f"{state.user_id}.")
    if "history" in params:
        try:
            ids = _parse_ids(params["history"])
        except ValueError:
            ids = None
        known = [] if ids is None else [i for i in ids if i in dataset.movies.index]
        if ids is None or len(known) < len(ids):
            warnings.append("Some movie ids in the link's history are unknown and were dropped.")
        if len(known) > MAX_HISTORY:
            warnings.append(f"The link's history has {len(known)} movies; the most recent "
                            f"{MAX_HISTORY} are kept.")
        state.history = list(dict.fromkeys(known))[-MAX_HISTORY:]
    state.exclude_seen = params.get("seen", "hide") != "show"
    state.genres = [g for g in params.get_all("genre") if g in insights.genre_names(dataset.movies)]
    movie = params.get("movie")
    state.similar_movie = int(movie) if movie and movie.isdigit() and int(
        movie) in dataset.movies.index else None
    state.url_warnings = warnings


def write_state_to_url(dataset_name: str) -> None:
    """Mirror the current view into the URL query string."""
    state = st.session_state
    view = {"dataset": dataset_name, "model": state.model, "mode": state.mode}
    if state.mode == "user":
        view["user"] = str(state.user_id)
    elif state.history:
        view["history"] = ",".join(map(str, state.history))
    if not state.exclude_seen:
        view["seen"] = "show"
    if state.genres:
        view["genre"] = list(state.genres)
    if state.get("similar_movie"):
        view["movie"] = str(state.similar_movie)
    st.query_params.from_dict(view)


def served_folder(model_key: str, dataset_name: str) -> str:
    """The artifact this session serves for a model (a retrained run, or the shipped one)."""
    return st.session_state.served.get(model_key) or str(
        artifacts.artifact_dir(model_key, dataset_name))


# -- formatting helpers ----------------------------------------------------------------------------
def movie_label(movies: pd.DataFrame, movie_id: int) -> str:
    """`Title (year)` as the dataset spells it."""
    return str(movies.loc[movie_id, "title"])


def genres_text(movies: pd.DataFrame, movie_id: int) -> str:
    """Genres joined for display."""
    return ", ".join(movies.loc[movie_id, "genres"]) or "—"


# -- regions of the page -------------------------------------------------------------------------
def sidebar(dataset) -> None:
    """Who, which model, and the filters."""
    with st.sidebar:
        st.header(":material/movie: recdemo")
        st.caption("MovieLens recommenders on Keras 3 + JAX")
        st.radio("Recommend for", list(MODES), format_func=MODES.get, key="mode")
        st.radio("Model", MODEL_CHOICES, key="model",
                 format_func=lambda k: "Compare all three" if k == COMPARE else DISPLAY_NAMES[k])
        st.toggle("Exclude watched movies", key="exclude_seen")
        st.multiselect("Only these genres", insights.genre_names(dataset.movies), key="genres",
                       placeholder="All genres")
        if st.session_state.served:
            st.info("Serving a retrained model for: " + ", ".join(
                DISPLAY_NAMES[k] for k in st.session_state.served))
        st.button("Restore shipped artifacts", on_click=restore_shipped,
                  disabled=not st.session_state.served, width="stretch")


def restore_shipped() -> None:
    """Serve the shipped artifacts again."""
    st.session_state.served = {}


def pick_random_user(user_ids: np.ndarray) -> None:
    """Callback of the random-user button."""
    st.session_state.user_id = int(random.choice(user_ids.tolist()))


def user_panel(dataset, split) -> tuple[int, list[int]]:
    """Choose a user; show their history and (on request) the held-out next movie."""
    movies = dataset.movies
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    left.selectbox("User id", split.users.tolist(), key="user_id")
    right.button("Random user", icon=":material/casino:", on_click=pick_random_user,
                 args=(split.users,),
                 width="stretch")
    user = int(st.session_state.user_id)
    history = [int(i) for i in split.history(user)]
    ratings = dataset.ratings[dataset.ratings["user_id"] == user].set_index("movie_id")
    rows = [{"title": movie_label(movies, m), "year": movies.loc[m, "year"],
             "genres": genres_text(movies, m), "rating": int(ratings.loc[m, "rating"]),
             "date": pd.to_datetime(int(ratings.loc[m, "timestamp"]), unit="s").date()}
            for m in reversed(history)]
    st.caption(f"User {user} watched {len(history)} movies (most recent first; the held-out "
               "last one is hidden).")
    st.dataframe(pd.DataFrame(rows), hide_index=True, height=320, width="stretch",
                 column_config={
                     "title": st.column_config.TextColumn(width="medium"),
                     "year": st.column_config.NumberColumn(format="%d", width="small"),
                     "genres": st.column_config.TextColumn(width="small"),
                     "rating": st.column_config.NumberColumn(format="%d ★", width="small"),
                     "date": st.column_config.DateColumn(width="small")})
    return user, history


def actual_next_movie(dataset, split, user: int, recommenders: dict) -> None:
    """Reveal the held-out test movie and its conservative rank under each model."""
    target = split.test.get(user)
    if target is None:
        return
    with st.expander("Actual next movie (held out)", expanded=False,
                     icon=":material/visibility:"):
        st.markdown(f"**{movie_label(dataset.movies, target)}** — "
                    f"{genres_text(dataset.movies, target)}")
        history = split.history(user)
        for key, recommender in recommenders.items():
            scores = recommender.scores([user], [history])
            rank = int(target_ranks(scores, np.array([target]))[0])
            verdict = ":green-badge[hit]" if rank <= K else ":red-badge[miss]"
            st.markdown(f"{DISPLAY_NAMES[key]}: rank **{rank}** of "
                        f"{int(np.isfinite(scores).sum())} — {verdict}")


def add_to_history(movie_id: int) -> None:
    """Append a movie to the custom history (once), keeping the most recent MAX_HISTORY."""
    if movie_id not in st.session_state.history:
        st.session_state.history = [*st.session_state.history, movie_id][-MAX_HISTORY:]


def add_searched_movie() -> None:
    """Callback of the title search box: add the picked movie and clear the box."""
    picked = st.session_state.get("title_search")
    if picked is not None:
        add_to_history(int(picked))
    st.session_state.title_search = None


def move_in_history(index: int, step: int) -> None:
    """Swap a history entry with its neighbour (order matters to sequence models)."""
    history = list(st.session_state.history)
    other = index + step
    if 0 <= other < len(history):
        history[index], history[other] = history[other], history[index]
        st.session_state.history = history


def remove_from_history(index: int) -> None:
    """Drop one history entry."""
    st.session_state.history = [m for i, m in enumerate(st.session_state.history) if i != index]


def use_persona(name: str, dataset, counts) -> None:
    """Replace the history with a persona's starting movies."""
    st.session_state.history = insights.persona_history(name, dataset.movies, counts)


def history_panel(dataset, counts) -> list[int]:
    """Build a history: search, personas, reorder, remove."""
    movies = dataset.movies
    st.caption("Personas (a starting point built from genres and popularity):")
    with st.container(horizontal=True):
        for name in insights.PERSONAS:
            st.button(name, key=f"persona-{name}", on_click=use_persona,
                      args=(name, dataset, counts), width="content")
    st.selectbox("Add a movie (type to search titles)", movies.index.tolist(), index=None,
                 key="title_search", format_func=lambda m: movie_label(movies, m),
                 placeholder="Type a title…", on_change=add_searched_movie)
    history = list(st.session_state.history)
    if not history:
        st.info("The history is empty: search for a title or pick a persona.")
        return []
    st.caption(f"Watched, oldest first ({len(history)}/{MAX_HISTORY}; adding more drops the "
               "oldest). Order matters to GRU4Rec and SASRec, which read the most recent "
               f"{MAX_HISTORY}; the two-tower model folds the whole set in.")
    for index, movie_id in enumerate(history):
        text, up, down, drop = st.columns([5, 1, 1, 1], vertical_alignment="center")
        text.markdown(f"{index + 1}. {movie_label(movies, movie_id)}")
        up.button(":material/arrow_upward:", key=f"up-{index}", on_click=move_in_history,
                  args=(index, -1), disabled=index == 0, help="Earlier")
        down.button(":material/arrow_downward:", key=f"down-{index}", on_click=move_in_history,
                    args=(index, 1), disabled=index == len(history) - 1, help="Later")
        drop.button(":material/close:", key=f"remove-{index}", on_click=remove_from_history,
                    args=(index,), help="Remove")
    st.button("Clear history", on_click=lambda: st.session_state.update(history=[]))
    return history


def recommendations_for(recommender, query: dict, dataset) -> list:
    """Top-K after the genre filter, through the single `recommend` path."""
    wanted = set(st.session_state.genres)
    # With a genre filter the top-K is found further down the full ranking.
    ranked = recommender.recommend(**query, k=dataset.num_items if wanted else K,
                                   exclude_seen=st.session_state.exclude_seen)
    if wanted:
        ranked = [r for r in ranked if wanted & set(dataset.movies.loc[r.movie_id, "genres"])]
    return ranked[:K]


def recommendation_list(model_key: str, recs: list, recommender, history: list[int], dataset,
                        counts, agreement: dict[int, int] | None = None) -> None:
    """One model's top-K: rank, title, genres, score bar, because-you-watched, promote."""
    movies = dataset.movies
    if not recs:
        st.warning("No movie matches these filters.")
        return
    percentiles = insights.popularity_percentiles(counts, recommender.catalogue)
    ids = [r.movie_id for r in recs]
    st.markdown(
        f":blue-badge[popularity percentile {np.mean(percentiles[ids]):.0f}] "
        f":violet-badge[{insights.genre_diversity(movies, ids)} genres]")
    top_score, low_score = recs[0].score, recs[-1].score
    narrow = agreement is not None  # three lists side by side: one column per movie
    for rank, rec in enumerate(recs, start=1):
        if narrow:
            text = score = action = st.container()
        else:
            text, score, action = st.columns([7, 2, 1], vertical_alignment="center")
        badge = ""
        if agreement is not None:
            votes = agreement[rec.movie_id]
            colour = {3: "green", 2: "orange"}.get(votes, "gray")
            badge = f" :{colour}-badge[{votes}/3 models]"
        because = insights.because_you_watched(recommender.item_table, history, rec.movie_id)
        why = "; ".join(f"{movie_label(movies, m)} ({s:.2f})" for m, s in because)
        text.markdown(f"**{rank}. {rec.title}**{badge}  \n"
                      f":gray[{genres_text(movies, rec.movie_id)}]  \n"
                      f":gray[Because you watched: {why}]" if why else
                      f"**{rank}. {rec.title}**{badge}")
        spread = (top_score - low_score) or 1.0
        score.progress(float(np.clip(0.15 + 0.85 * (rec.score - low_score) / spread, 0, 1)),
                       text=f"{rec.score:.2f}")
        in_history = st.session_state.mode == "history" and rec.movie_id in history
        action.button(":material/add: Add to history" if narrow else ":material/add:",
                      type="tertiary" if narrow else "secondary",
                      key=f"promote-{model_key}-{rec.movie_id}",
                      help="Add to the history (from a MovieLens user: starts a custom history "
                           f"from their {MAX_HISTORY - 1} most recent movies)",
                      on_click=promote, args=(rec.movie_id, history), disabled=in_history)
    st.caption("Scores: query · item dot products. “Because you watched”: the history items "
               "closest to the recommendation by item-embedding cosine similarity.")


def promote(movie_id: int, current_history: list[int]) -> None:
    """Move a recommended movie into a custom history (starting from the current one)."""
    state = st.session_state
    if state.mode != "history":
        state.history = list(current_history)[-(MAX_HISTORY - 1):]
        state.mode = "history"
    add_to_history(movie_id)


def recommendations_panel(query: dict, history: list[int], recommenders: dict, dataset,
                          counts) -> None:
    """The top-K of one model, or three columns in compare mode."""
    try:
        lists = {key: recommendations_for(rec, query, dataset)
                 for key, rec in recommenders.items()}
    except RecdemoError as exc:
        st.warning(str(exc))
        return
    if len(lists) == 1:
        (key, recs), = lists.items()
        st.subheader(f"Top {K} from {DISPLAY_NAMES[key]}")
        recommendation_list(key, recs, recommenders[key], history, dataset, counts)
        return
    votes: dict[int, int] = {}
    for recs in lists.values():
        for rec in recs:
            votes[rec.movie_id] = votes.get(rec.movie_id, 0) + 1
    keys = list(lists)
    overlap = ", ".join(
        f"{DISPLAY_NAMES[a]} ∩ {DISPLAY_NAMES[b]}: "
        f"{len({r.movie_id for r in lists[a]} & {r.movie_id for r in lists[b]})}"
        for i, a in enumerate(keys) for b in keys[i + 1:])
    st.subheader(f"Top {K} from all three models")
    st.caption(f"Overlap of the lists — {overlap}; in all three: "
               f"{sum(1 for v in votes.values() if v == 3)}.")
    for column, key in zip(st.columns(len(keys)), keys):
        with column:
            st.markdown(f"#### {DISPLAY_NAMES[key]}")
            recommendation_list(key, lists[key], recommenders[key], history, dataset, counts,
                                agreement=votes)


def similar_movies_panel(recommenders: dict, dataset) -> None:
    """Nearest movies to a chosen movie in each model's item space."""
    movies = dataset.movies
    st.selectbox("Movie", movies.index.tolist(), index=None, key="similar_movie",
                 format_func=lambda m: movie_label(movies, m), placeholder="Type a title…")
    movie = st.session_state.similar_movie
    if movie is None:
        st.info("Pick a movie to see its nearest neighbours in each model's item space.")
        return
    for column, (key, recommender) in zip(st.columns(len(recommenders)), recommenders.items()):
        neighbours = insights.similar_movies(recommender.item_table, movie,
                                             recommender.catalogue)
        frame = pd.DataFrame([{"title": movie_label(movies, m), "similarity": s}
                              for m, s in neighbours])
        column.markdown(f"#### {DISPLAY_NAMES[key]}")
        column.dataframe(frame, hide_index=True, width="stretch", column_config={
            "similarity": st.column_config.ProgressColumn(format="%.2f", min_value=-1,
                                                          max_value=1)})
    st.caption("Cosine similarity between item embeddings.")


def metrics_table(folders: dict[str, str]) -> pd.DataFrame:
    """Test metrics of each served artifact, with most-popular, as one table."""
    rows = []
    for key, folder in folders.items():
        metrics = artifact_json(folder, "metrics.json")
        mean = metrics.get("mean_over_seeds", {}).get("test", {})
        rows.append({"model": DISPLAY_NAMES[key], "HR@10": metrics["test"]["hr@10"],
                     "NDCG@10": metrics["test"]["ndcg@10"], "MRR": metrics["test"]["mrr"],
                     "HR@10 (seed mean)": mean.get("hr@10"),
                     "NDCG@10 (seed mean)": mean.get("ndcg@10"),
                     "seeds": len(metrics.get("seeds", []))})
    popular = artifact_json(next(iter(folders.values())), "metrics.json")["most_popular"]["test"]
    rows.append({"model": "Most popular", "HR@10": popular["hr@10"],
                 "NDCG@10": popular["ndcg@10"], "MRR": popular["mrr"]})
    return pd.DataFrame(rows)


def history_charts(history: list[dict], title: str) -> alt.Chart:
    """Train/validation loss and validation NDCG@10 per epoch, side by side."""
    frame = pd.DataFrame(history)
    loss = frame.melt("epoch", ["train_loss", "val_loss"], var_name="curve", value_name="loss")
    loss_chart = alt.Chart(loss, title=f"{title}: loss").mark_line(point=True).encode(
        x=alt.X("epoch:Q", title="epoch"), y=alt.Y("loss:Q", scale=alt.Scale(zero=False)),
        color=alt.Color("curve:N", legend=alt.Legend(orient="bottom")),
        tooltip=["epoch", "curve", alt.Tooltip("loss:Q", format=".4f")])
    ndcg_chart = alt.Chart(frame, title=f"{title}: validation NDCG@10").mark_line(
        point=True, color="#2ca02c").encode(
        x="epoch:Q", y=alt.Y("val_ndcg10:Q", title="NDCG@10"),
        tooltip=["epoch", alt.Tooltip("val_ndcg10:Q", format=".4f")])
    return alt.hconcat(loss_chart.properties(width=380, height=240),
                       ndcg_chart.properties(width=380, height=240))


def quality_panel(folders: dict[str, str]) -> None:
    """Metrics table, per-model training curves and provenance."""
    st.subheader("Test metrics (leave-last-out, full ranking, conservative ties)")
    st.dataframe(metrics_table(folders), hide_index=True, width="stretch",
                 column_config={c: st.column_config.NumberColumn(format="%.4f") for c in
                                ("HR@10", "NDCG@10", "MRR", "HR@10 (seed mean)",
                                 "NDCG@10 (seed mean)")})
    for key, folder in folders.items():
        history = artifact_json(folder, "history.json")
        provenance = artifact_json(folder, "provenance.json")
        config = artifact_json(folder, "config.json")
        seed_run = next((run for run in artifact_json(folder, "metrics.json").get("seeds", [])
                         if run["seed"] == provenance["seed"]), {})
        refit = (f" Then refitted on train + validation for {provenance['best_epoch']} epochs "
                 "(the curves are the selection run)." if seed_run.get("refit") else "")
        st.altair_chart(history_charts(history, DISPLAY_NAMES[key]))
        with st.expander(f"{DISPLAY_NAMES[key]}: provenance and hyperparameters"):
            st.markdown(
                f"Trained **{provenance['created_at']}** on **{provenance['device']}**, "
                f"{provenance['epochs_run']} epochs (best {provenance['best_epoch']}), "
                f"seed {provenance['seed']}, {provenance['wall_seconds']} s.{refit} "
                f"Data sha256: `{json.dumps(provenance['data_sha256'])}`.")
            st.json({"model": config["config"], "training": config["train"]}, expanded=False)


def embedding_map(recommender, history: list[int], query: dict, recs: list, dataset,
                  model_key: str) -> None:
    """PCA of the item embeddings coloured by genre; history, query and top-K highlighted."""
    movies = dataset.movies
    ids = movies.index.to_numpy()
    points, project = insights.pca_2d(recommender.item_table, ids)
    frame = pd.DataFrame({"x": points[:, 0], "y": points[:, 1],
                          "title": movies["title"].to_numpy(),
                          "genre": [g[0] if g else "unknown" for g in movies["genres"]]},
                         index=ids)
    frame["role"] = "catalogue"
    frame.loc[[m for m in history if m in frame.index], "role"] = "history"
    frame.loc[[r.movie_id for r in recs], "role"] = "top-10"
    try:
        _, resolved = recommender.resolve(**query)
        vector = recommender.query_vectors([query.get("user_id")], [resolved])
        qx, qy = project(vector)[0]
        frame.loc[0] = {"x": qx, "y": qy, "title": "the query", "genre": "query",
                        "role": "query"}
    except RecdemoError:
        pass
    base = alt.Chart(frame[frame.role == "catalogue"]).mark_circle(size=28, opacity=0.45)
    base = base.encode(x=alt.X("x:Q", title="PC 1"), y=alt.Y("y:Q", title="PC 2"),
                       color=alt.Color("genre:N", title="first genre"),
                       tooltip=["title", "genre"])
    marks = alt.Chart(frame[frame.role != "catalogue"]).mark_point(
        size=160, filled=True, stroke="black", strokeWidth=1).encode(
        x="x:Q", y="y:Q",
        shape=alt.Shape("role:N", scale=alt.Scale(
            domain=["history", "top-10", "query"], range=["square", "diamond", "cross"])),
        color=alt.Color("role:N", scale=alt.Scale(
            domain=["history", "top-10", "query"], range=["#1f77b4", "#d62728", "#000000"]),
            legend=None),
        tooltip=["title", "role"])
    st.altair_chart((base + marks).properties(height=520).interactive(),
                    width="stretch")
    st.caption(f"{DISPLAY_NAMES[model_key]} item embeddings projected with PCA (2 components); "
               "squares: history, diamonds: top-10, cross: the query vector.")


def retrain_panel(dataset_name: str, query: dict, recommenders: dict) -> None:
    """Controls, live progress, and the before/after comparison of a retrained model."""
    busy = retrain.training_in_progress()
    model_key = st.selectbox("Model to retrain", list(MODELS), format_func=DISPLAY_NAMES.get,
                             key="retrain_model")
    model_defaults, train_defaults = preset("quick", model_key)
    # The form's defaults are the model's quick preset; keys per model keep them apart.
    with st.form(f"retrain-{model_key}"):
        columns = st.columns(3)
        epochs = columns[0].number_input("Epochs", 1, 100, train_defaults["epochs"])
        learning_rate = columns[1].select_slider(
            "Learning rate", LEARNING_RATES, value=train_defaults["learning_rate"])
        embedding_dim = columns[2].select_slider(
            "Embedding size", [16, 32, 64, 128], value=model_defaults["embedding_dim"])
        submitted = st.form_submit_button("Retrain", type="primary",
                                          icon=":material/model_training:")
    st.caption("The quick configuration finishes in about a minute on 2 CPU cores. Training "
               "runs in a separate process (never on the served model); one run at a time "
               "across all sessions. Runs are saved under runs/ (shipped artifacts are never "
               "modified).")
    if submitted:
        try:
            st.session_state.run_folder = str(retrain.start(
                model_key, dataset_name, epochs=int(epochs), learning_rate=learning_rate,
                embedding_dim=embedding_dim))
            st.session_state.run_decided = False
        except RecdemoError as exc:
            st.warning(str(exc))
    elif busy and not st.session_state.run_folder:
        st.info("Another session is training a model right now; Retrain is available when it "
                "finishes.")
    earlier_runs(dataset_name)
    if not st.session_state.run_folder:
        return
    folder = Path(st.session_state.run_folder)
    progress = retrain.read_progress(folder)
    if progress["status"] in ("starting", "running"):
        run_progress(folder)
        return
    show_progress(folder, progress)
    if progress["status"] == "done":
        model_key = retrain.read_request(folder)["model"]
        retrain_result(folder / "artifact", model_key, query, recommenders, dataset_name)


def earlier_runs(dataset_name: str) -> None:
    """Reopen a finished run (a closed tab or another session's run is not lost)."""
    finished = [str(f) for f in retrain.list_finished(dataset_name=dataset_name)]
    if not finished:
        return

    def describe(folder: str) -> str:
        request = retrain.read_request(Path(folder))
        return (f"{Path(folder).name}: {DISPLAY_NAMES[request['model']]}, "
                f"{request['epochs']} epochs, lr {request['learning_rate']}, "
                f"dim {request['embedding_dim']}")

    pick, show = st.columns([4, 1], vertical_alignment="bottom")
    chosen = pick.selectbox("Finished runs", finished, format_func=describe, key="earlier_run")
    if show.button("Open run", key="open-run"):
        st.session_state.run_folder = chosen
        st.session_state.run_decided = False


def show_progress(folder: Path, progress: dict) -> None:
    """Epoch x/N, the live loss curve, and a failure if there was one."""
    model_key = retrain.read_request(folder)["model"]
    status, total = progress["status"], max(progress.get("epochs", 1), 1)
    st.progress(min(progress.get("epoch", 0) / total, 1.0),
                text=f"{DISPLAY_NAMES[model_key]}: {status}, epoch {progress.get('epoch', 0)}"
                     f"/{total}")
    if progress["history"]:
        st.altair_chart(history_charts(progress["history"], "This run"))
    if status == "failed":
        st.error(f"Training failed: {progress.get('error', 'unknown error')}")


@st.fragment(run_every=1.0)
def run_progress(folder: Path) -> None:
    """Poll a running run every second; only this fragment re-runs, so the page stays live.
    When the run ends, the whole page re-runs once to show the result."""
    progress = retrain.read_progress(folder)
    show_progress(folder, progress)
    if progress["status"] not in ("starting", "running"):
        st.rerun()


def retrain_result(artifact: Path, model_key: str, query: dict, recommenders: dict,
                   dataset_name: str) -> None:
    """New metrics beside the shipped ones, the top-10 diff, and the use/keep choice."""
    shipped = str(artifacts.artifact_dir(model_key, dataset_name))
    new_metrics = artifact_json(str(artifact), "metrics.json")["test"]
    old_metrics = artifact_json(served_folder(model_key, dataset_name), "metrics.json")["test"]
    shipped_metrics = artifact_json(shipped, "metrics.json")["test"]
    st.dataframe(pd.DataFrame([{"model": "new run", **new_metrics},
                               {"model": "currently served", **old_metrics},
                               {"model": "shipped", **shipped_metrics}]),
                 hide_index=True, width="stretch")
    dataset = cached_data(dataset_name)[0]
    try:
        new = cached_recommender(str(artifact), dataset_name)
        current = recommenders.get(model_key) or cached_recommender(
            served_folder(model_key, dataset_name), dataset_name)
        before = [r.movie_id for r in current.recommend(**query, k=K)]
        after = [r.movie_id for r in new.recommend(**query, k=K)]
    except RecdemoError as exc:
        st.warning(f"Top-10 comparison unavailable: {exc}")
    else:
        diff = insights.diff_top_k(before, after)
        titles = dataset.movies["title"]
        st.markdown("**Top-10 before → after** for the current user/history")
        new = ", ".join(titles[m] for m in diff.new) or "none"
        dropped = ", ".join(titles[m] for m in diff.dropped) or "none"
        moved = ", ".join(f"{titles[m]} ({a}→{b})" for m, a, b in diff.moved) or "none"
        st.markdown(f"- :material/fiber_new: new: {new}\n"
                    f"- :material/delete: dropped: {dropped}\n"
                    f"- :material/swap_vert: moved: {moved}")
    if not st.session_state.get("run_decided"):
        use, keep = st.columns(2)
        if use.button("Use new model", type="primary", key="use-new"):
            st.session_state.served = {**st.session_state.served, model_key: str(artifact)}
            st.session_state.run_decided = True
            st.rerun()
        if keep.button("Keep current", key="keep-current"):
            st.session_state.run_decided = True
            st.session_state.run_folder = None
            st.rerun()
    else:
        st.success("The new model is being served in this session.")


def missing_data_page(dataset_name: str, error: RecdemoError) -> None:
    """What to do when MovieLens is not available."""
    st.title(":material/movie: recdemo needs MovieLens")
    st.error(str(error))
    st.markdown(
        f"""
MovieLens may not be redistributed, so recdemo does not ship it. To provide **{dataset_name}**:

1. Download `https://files.grouplens.org/datasets/movielens/{dataset_name}.zip` and unzip it,
   so that `DIR/{dataset_name}/` holds its files.
2. Start the app with `RECDEMO_DATA_DIR=DIR make run`
   (or leave the folder in `~/.cache/recdemo/`, or let recdemo download it when online).

{how_to_provide(dataset_name)}
""")


@dataclasses.dataclass
class PageContext:
    """What every tab may need for the current view."""

    dataset_name: str
    dataset: object
    split: object
    counts: np.ndarray
    folders: dict[str, str]
    keys: list[str]
    recommenders: dict
    available: dict
    query: dict
    history: list[int]


def recommendations_tab(page: PageContext) -> None:
    """The top-10 of the chosen model, or of all three."""
    if not page.recommenders:
        st.warning("No model is available.")
    elif page.query.get("history") == []:
        st.info("Add movies to the history to see recommendations.")
    else:
        recommendations_panel(page.query, page.history, page.recommenders, page.dataset,
                              page.counts)


def similar_tab(page: PageContext) -> None:
    """Nearest neighbours in all three item spaces."""
    similar_movies_panel(page.available, page.dataset)


def quality_tab(page: PageContext) -> None:
    """Metrics and training curves of the served artifacts."""
    try:
        quality_panel(page.folders)
    except RecdemoError as exc:
        st.error(str(exc))


def map_tab(page: PageContext) -> None:
    """The embedding map of the chosen model (pick one in compare mode)."""
    if not page.recommenders:
        st.warning("No model is available.")
        return
    map_key = page.keys[0]
    if st.session_state.model == COMPARE:
        map_key = st.selectbox("Model", list(page.recommenders), format_func=DISPLAY_NAMES.get,
                               key="map_model")
    recommender = page.recommenders[map_key]
    recs = []
    if page.query.get("history") != []:
        try:
            recs = recommendations_for(recommender, page.query, page.dataset)
        except RecdemoError as exc:
            st.warning(str(exc))
    embedding_map(recommender, page.history, page.query, recs, page.dataset, map_key)


def retrain_tab(page: PageContext) -> None:
    """Retrain controls and results."""
    retrain_panel(page.dataset_name, page.query, page.available)


TAB_RENDERERS = {"Recommendations": recommendations_tab, "Similar movies": similar_tab,
                 "Training & quality": quality_tab, "Embedding map": map_tab,
                 "Retrain": retrain_tab}
TABS = list(TAB_RENDERERS)


def main() -> None:
    """Lay out the page."""
    dataset_name = st.query_params.get("dataset", "ml-100k")
    if dataset_name not in DATASETS:
        st.warning(f"Unknown dataset {dataset_name!r} in the link; using ml-100k.")
        dataset_name = "ml-100k"
    try:
        dataset, split, counts = cached_data(dataset_name)
    except RecdemoError as exc:
        missing_data_page(dataset_name, exc)
        return
    init_state_from_url(split.users, dataset)
    sidebar(dataset)
    # A link's problems are said once, on the first page of the session.
    for warning in st.session_state.pop("url_warnings", []):
        st.warning(warning)

    keys = list(MODELS) if st.session_state.model == COMPARE else [st.session_state.model]
    folders = {key: served_folder(key, dataset_name) for key in MODELS}
    # All three load on the first run (cached for the process), so switching is instant.
    available = {}
    for key in MODELS:
        try:
            available[key] = cached_recommender(folders[key], dataset_name)
        except RecdemoError as exc:
            st.error(f"{DISPLAY_NAMES[key]} is unavailable: {exc}")
    recommenders = {key: available[key] for key in keys if key in available}

    st.title(":material/movie: MovieLens recommender playground")
    who, views = st.columns([2, 3], gap="large")
    with who:
        if st.session_state.mode == "user":
            user, history = user_panel(dataset, split)
            query = {"user_id": user}
            actual_next_movie(dataset, split, user, available)
        else:
            history = history_panel(dataset, counts)
            query = {"history": history}
    with views:
        # Only the open tab runs (on_change="rerun"), which keeps every interaction fast.
        tabs = dict(zip(TABS, st.tabs(TABS, key="tab", on_change="rerun")))
        context = PageContext(dataset_name, dataset, split, counts, folders, keys,
                              recommenders, available, query, history)
        for name, tab in tabs.items():
            if tab.open:
                with tab:
                    TAB_RENDERERS[name](context)
    write_state_to_url(dataset_name)


main()
