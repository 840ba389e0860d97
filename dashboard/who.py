"""The sidebar (dataset, model, filters) and the left panel: whose recommendations these are.

Histories are listed most recent first everywhere: a MovieLens user's and a built one.
"""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import streamlit as st

from dashboard.state import DEFAULT_DATASET, MAX_HISTORY, K, offered_models
from recdemo import insights, urlstate
from recdemo.data import available
from recdemo.display import markdown_escape
from recdemo.models import DISPLAY_NAMES, card
from recdemo.watches import history_html, watches

MODES = {"user": "A MovieLens user", "history": "Build a history"}


def model_label(key: str) -> str:
    """What the model picker shows."""
    return "Compare all models" if key == urlstate.COMPARE else DISPLAY_NAMES[key]


def sidebar(genres: list[str]) -> None:
    """Dataset, mode, model, filters, and what the models are."""
    state = st.session_state
    with st.sidebar:
        st.header(":material/movie: recdemo")
        st.caption("MovieLens recommenders on Keras 3 + JAX")
        datasets = available()
        st.selectbox("Dataset", datasets, index=datasets.index(state.dataset),
                     key="dataset_choice", on_change=_switch_dataset)
        st.radio("Recommend for", list(MODES), format_func=MODES.get, key="mode")
        offered = offered_models()
        st.radio("Model", [*offered, urlstate.COMPARE], key="model", format_func=model_label)
        st.toggle("Exclude watched movies", key="exclude_seen")
        st.toggle("Presenter mode", key="present",
                  help="For a projector: a whole top 10 or the compare grid fits 1280×720, "
                       "the user or history folds away above the list, and the sidebar "
                       "starts closed when the link is opened.")
        st.multiselect("Only these genres", genres, key="genres", placeholder="All genres")
        if state.served:
            st.info("Serving a retrained model for: " + ", ".join(
                DISPLAY_NAMES[k] for k in state.served))
        st.button("Restore shipped models", on_click=lambda: state.update(served={}),
                  disabled=not state.served, width="stretch")
        with st.expander("About the models", icon=":material/info:"):
            for key in offered:
                st.markdown(f"**{DISPLAY_NAMES[key]}** {card(key).description}")


def _switch_dataset() -> None:
    """A new dataset starts a new view (its users and movies differ)."""
    choice = st.session_state.dataset_choice
    st.query_params.from_dict({} if choice == DEFAULT_DATASET else {"dataset": choice})
    st.session_state.initialized_for = None


def movie_label(movies: pd.DataFrame, movie_id: int) -> str:
    """`Title (year)` as the dataset spells it, escaped for Markdown."""
    return markdown_escape(movies.loc[movie_id, "title"])


def genres_text(movies: pd.DataFrame, movie_id: int) -> str:
    """Genres joined for display."""
    return ", ".join(movies.loc[movie_id, "genres"]) or "—"


def view_query(split) -> tuple[dict, list[int]]:
    """What is being viewed, `(query, history)`: the MovieLens user (`{"user_id": id}` and their
    history) or the built history (`{"history": ids}`), oldest first. Read from the session,
    where the panels' widgets have put their values before the script runs, so the views can
    be drawn before the panels."""
    session = st.session_state
    if session.mode != "user":
        history = list(session.history)
        return {"history": history}, history
    user = int(session.user_id)
    return {"user_id": user}, [int(i) for i in split.history(user)]


def user_panel(dataset, split, hit_ranks, user: int, history: list[int]) -> None:
    """Choose a user and show their `history` (oldest first), most recent first.

    Args:
        hit_ranks: a callable giving the current model's held-out rank of every user (for
            "show me a hit"), or None when no model is available.
    """
    st.selectbox("User id", split.users.tolist(), key="user_id", format_func=dataset.user_key)
    pick, hit = st.columns(2)
    pick.button("Random user", icon=":material/casino:", width="stretch",
                on_click=lambda: st.session_state.update(
                    user_id=int(random.choice(split.users.tolist()))))
    hit.button("Show me a hit", icon=":material/target:", width="stretch",
               disabled=hit_ranks is None, on_click=_pick_hit, args=(split, hit_ranks),
               help=f"A random user whose held-out next movie this model ranks in its top {K}.")
    st.caption(f"User {dataset.user_key(user)} watched {len(history)} movies, most recent "
               "first. Their last movie is held out: the models never saw it.")
    with st.container(height=320, border=True):
        st.html(history_html(watches(dataset, user, len(history))))


def _pick_hit(split, hit_ranks) -> None:
    users, ranks = hit_ranks()
    hits = users[ranks <= K]
    if len(hits):
        st.session_state.user_id = int(random.choice(hits.tolist()))


def held_out_panel(dataset, split, user: int, ranks: dict[str, int], total: int) -> None:
    """Reveal the held-out movie and its rank under each model."""
    target = split.test.get(user)
    if target is None:
        return
    lines = [f"**{movie_label(dataset.movies, target)}** — {genres_text(dataset.movies, target)}"]
    for key, rank in ranks.items():
        verdict = ":green-badge[in the top 10]" if rank <= K else ":gray-badge[missed]"
        lines.append(f"{DISPLAY_NAMES[key]}: rank **{rank}** of {total} {verdict}")
    # Presenter mode: one line, so that the list under it still fits the screen.
    separator = " · " if st.session_state.get("present") else "  \n"
    with st.container(border=True):
        st.markdown(separator.join(lines))


def add_to_history(movie_id: int) -> None:
    """Make a movie the most recent watch (once), keeping the most recent MAX_HISTORY."""
    history = [m for m in st.session_state.history if m != movie_id]
    st.session_state.history = [*history, movie_id][-MAX_HISTORY:]


def _add_searched_movie() -> None:
    picked = st.session_state.get("title_search")
    if picked is not None:
        add_to_history(int(picked))
    st.session_state.title_search = None


def move_in_history(index: int, step: int) -> None:
    """Swap a history entry (oldest-first index) with its neighbour `step` away."""
    history = list(st.session_state.history)
    other = index + step
    if 0 <= other < len(history):
        history[index], history[other] = history[other], history[index]
        st.session_state.history = history


def remove_from_history(index: int) -> None:
    """Drop one history entry (oldest-first index)."""
    st.session_state.history = [m for i, m in enumerate(st.session_state.history) if i != index]


def history_panel(dataset, counts: np.ndarray, history: list[int]) -> None:
    """Build a history: personas, title search, reorder, remove (`history`: oldest first)."""
    movies = dataset.movies
    st.caption("Start from a persona (its most watched movies of a genre) or add titles:")
    with st.container(horizontal=True):
        for name in insights.PERSONAS:
            st.button(name, key=f"persona-{name}", width="content",
                      on_click=lambda n=name: st.session_state.update(
                          history=insights.persona_history(n, movies, counts)))
    st.selectbox("Add a movie (type to search titles)", movies.index.tolist(), index=None,
                 key="title_search", format_func=lambda m: movies.loc[m, "title"],
                 placeholder="Type a title…", on_change=_add_searched_movie)
    if not history:
        st.info("The history is empty: pick a persona or search for a title.")
        return
    st.caption(f"Watched, most recent first ({len(history)}/{MAX_HISTORY}; adding more drops "
               "the oldest). GRU4Rec and SASRec read the order; two-tower uses the set.")
    last = len(history) - 1
    for row, index in enumerate(reversed(range(len(history)))):
        with st.container(horizontal=True, vertical_alignment="center", gap="small",
                          wrap=False):
            st.markdown(f"{row + 1}\\. {movie_label(movies, history[index])}", width="stretch")
            st.button("", icon=":material/arrow_upward:", key=f"up-{index}", type="tertiary",
                      on_click=move_in_history, args=(index, 1), disabled=index == last,
                      help="Watched later (more recent)", width="content")
            st.button("", icon=":material/arrow_downward:", key=f"down-{index}",
                      type="tertiary", on_click=move_in_history, args=(index, -1),
                      disabled=index == 0, help="Watched earlier", width="content")
            st.button("", icon=":material/close:", key=f"remove-{index}", type="tertiary",
                      on_click=remove_from_history, args=(index,), help="Remove",
                      width="content")
    st.button("Clear history", key="clear-history",
              on_click=lambda: st.session_state.update(history=[]))
