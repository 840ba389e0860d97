"""The Quality tab's *Where does each model win?*: quality by segment of users
(`recdemo.segments`), with a click to open example users of a segment."""

from __future__ import annotations

import streamlit as st

from dashboard.state import POPULAR, cached_data, held_out_ranks
from recdemo import segments
from recdemo.models import DISPLAY_NAMES

# Smaller groups are left out: a hit rate over a dozen users says little.
MIN_USERS = 20


def open_user(user: int) -> None:
    """Show a user's top 10 (the example buttons' callback)."""
    st.session_state.update(mode="user", user_id=user, tab="Top 10")


def where_models_win(page) -> None:
    """A segmentation picker, the per-segment hit rates, and example users."""
    st.markdown("#### Where does each model win?")
    dataset, split, counts = cached_data(page.dataset.name)
    kinds = segments.kinds_for(dataset)
    kind = st.segmented_control("Users by", kinds, default=kinds[0], key="segment_kind") \
        or kinds[0]
    sources = {**{DISPLAY_NAMES[k]: f for k, f in page.folders.items()}, "Most popular": POPULAR}
    ranks = {name: held_out_ranks(folder, "test", dataset.name)
             for name, folder in sources.items()}
    ranks = {name: r for name, r in ranks.items() if r is not None}
    users, histories, targets = split.cases("test")
    spans = (segments.active_span_days(dataset.ratings, users) if kind == "active span"
             else None)
    groups = segments.user_groups(kind, users, histories, targets, counts, dataset.movies,
                                  spans)
    table = segments.segment_table(groups, ranks, "hr@10", min_users=MIN_USERS)
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "group": st.column_config.TextColumn(kind),
        "users": st.column_config.NumberColumn("users", help="Users in the segment."),
        **{name: st.column_config.NumberColumn(name, format="percent",
                                               help=f"{name}'s test hit rate @10 in the "
                                                    "segment.") for name in ranks}})
    st.caption(f"Test hit rate @10 of each model within each segment of users (segments come "
               f"from the train data and the held-out movie, never from a model). Segments "
               f"under {MIN_USERS} users are left out; differences between small segments "
               f"are mostly noise.")
    if table.empty:
        return
    group = st.selectbox("Example users of", table["group"].tolist(), key="segment_group")
    with st.container(horizontal=True, gap="small"):
        for user in segments.example_users(groups, group):
            st.button(f"User {dataset.user_key(user)}", key=f"segment-user-{user}",
                      type="tertiary", on_click=open_user, args=(user,))
