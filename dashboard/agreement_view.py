"""Under the compare grid: where one movie of the grid stands under each model, and how much
two models' lists agree over all users, with the users where they differ most
(`recdemo.disagreement`). Altair is imported with the chart: the first view draws none."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.segments_view import open_user
from dashboard.state import K, cached_data, recommender, stored_lists, version_of
from dashboard.widgets import pick_pair
from recdemo import disagreement
from recdemo.models import DISPLAY_NAMES


@st.cache_resource(show_spinner=False, max_entries=16)
def _all_lists(version: str, digest: str, folder: str, dataset_name: str):
    stored = stored_lists(folder, dataset_name)
    if stored is not None:
        return stored.arrays["users"], stored.arrays["ids"]
    _, split, _ = cached_data(dataset_name)
    users = split.users
    return users, disagreement.all_top_k(recommender(folder, dataset_name), users, K)


def all_lists(folder: str, dataset_name: str):
    """`(users, (users, K) ids)`: every user's top K under a served model, cached per artifact
    version (the lists stored with the artifact, or one batched call the first time)."""
    return _all_lists(*version_of(folder), folder, dataset_name)


def movie_standing(page, movie_ids: list[int]) -> None:
    """A picker over the grid's movies and that movie's rank and probability per model."""
    movies = page.dataset.movies
    movie = st.selectbox("Where does a movie of the grid stand?", movie_ids, index=None,
                         format_func=lambda m: movies.loc[m, "title"], key="grid_movie",
                         placeholder="Pick a movie from the grid…")
    if movie is None:
        return
    parts = []
    for key, model in page.recommenders.items():
        where = disagreement.standing(model, movie, exclude_seen=st.session_state.exclude_seen,
                                      candidates=page.candidates, **page.query)
        parts.append(f"**{DISPLAY_NAMES[key]}**: " + (
            f"rank {where.rank} · {where.probability:.2%}" if where.rank is not None
            else "not a candidate (watched, or outside the chosen genres)"))
    st.markdown(" · ".join(parts), help="Rank among the movies the model may recommend here "
                "(ties against the movie), and the model's probability that it is the next "
                "movie, over the same movies.")


def agreement_over_users(page, keys: list[str]) -> None:
    """Two models' overlap over every user (`keys`: the models in the grid): its distribution
    and the most different users."""
    import altair as alt

    if len(keys) < 2 or st.session_state.mode != "user":
        return
    expander = st.expander("How much do two models agree over all users?",
                           icon=":material/join_inner:", key="agreement", on_change="rerun")
    # Every user's lists are computed only once someone opens it (rerun on open).
    if not expander.open:
        return
    with expander:
        pair = pick_pair(keys, DISPLAY_NAMES, ("agree_a", "agree_b"), "and")
        if pair is None:
            return
        a, b = pair
        with st.spinner("Every user's top 10 from both models…"):
            users, lists_a = all_lists(page.folders[a], page.dataset.name)
            _, lists_b = all_lists(page.folders[b], page.dataset.name)
        overlaps = disagreement.overlap_counts(lists_a, lists_b)
        counts = disagreement.distribution(overlaps, K)
        frame = pd.DataFrame({"shared movies": range(K + 1), "users": counts})
        st.altair_chart(alt.Chart(frame, title=alt.TitleParams(
            f"{DISPLAY_NAMES[a]} and {DISPLAY_NAMES[b]}: movies their top {K} share",
            subtitle=f"{page.dataset.name} · every user · watched movies excluded",
            subtitleColor="#8b949e", anchor="start")).mark_bar().encode(
            x=alt.X("shared movies:O", axis=alt.Axis(labelAngle=0)), y="users:Q",
            tooltip=["shared movies", "users"]).properties(height=180), width="stretch")
        st.caption(f"On average they share {overlaps.mean():.1f} of {K} movies; "
                   f"{(overlaps == 0).sum()} users get two lists with nothing in common.")
        st.markdown("Users where they differ most:")
        with st.container(horizontal=True, gap="small"):
            for user in disagreement.most_different(users, overlaps):
                st.button(f"User {page.dataset.user_key(user)}", key=f"differ-user-{user}",
                          type="tertiary", on_click=open_user, args=(user,))
