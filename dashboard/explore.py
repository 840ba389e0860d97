"""The Similar movies and Embedding map tabs: what each model's movie space looks like."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts
from dashboard.state import K
from recdemo import RecdemoError, embedding_map, insights
from recdemo.models import DISPLAY_NAMES


def _pick_model(page, key: str) -> str | None:
    """The model to show: the chosen one, or a picker when comparing."""
    if not page.available:
        st.warning("No model is available: see the messages above.")
        return None
    keys = list(page.available)
    default = page.keys[0] if page.keys[0] in keys else keys[0]
    if len(page.keys) > 1:
        return st.segmented_control("Model", keys, default=default, key=key,
                                    format_func=DISPLAY_NAMES.get) or default
    return default


def similar_tab(page) -> None:
    """The nearest movies to a chosen movie in one model's space, with the numbers."""
    movies = page.dataset.movies
    st.selectbox("Movie", movies.index.tolist(), index=None, key="similar_movie",
                 format_func=lambda m: movies.loc[m, "title"], placeholder="Type a title…")
    movie = st.session_state.similar_movie
    if movie is None:
        st.info("Pick a movie to see its nearest neighbours in each model's movie space.")
        return
    lists = {key: insights.similar_movies(rec.item_table, movie, rec.catalogue, K)
             for key, rec in page.available.items()}
    votes = insights.agreement({key: [m for m, _ in pairs] for key, pairs in lists.items()})
    key = _pick_model(page, "similar_model")
    if key is None:
        return
    frame = pd.DataFrame([{"movie": movies.loc[m, "title"],
                           "genres": ", ".join(movies.loc[m, "genres"]),
                           "similarity": s, "listed by": votes[m]}
                          for m, s in lists[key]])
    st.dataframe(frame, hide_index=True, width="stretch", column_config={
        "genres": st.column_config.TextColumn(width=150),
        "similarity": st.column_config.NumberColumn(
            width=80, format="%.2f",
            help="Cosine similarity of the two movies' vectors in this model: 1 = same "
                 "direction, 0 = unrelated."),
        "listed by": st.column_config.NumberColumn(
            width=90, format="%d of " + str(len(lists)),
            help="In how many models' top 10 this neighbour appears.")})


def map_tab(page) -> None:
    """The whole catalogue in one model's space, with the history, top 10 and query on top."""
    key = _pick_model(page, "map_model")
    if key is None:
        return
    recommender = page.available[key]
    movies = page.dataset.movies
    ids = movies.index.to_numpy()
    coordinates, project = insights.pca_2d(recommender.item_table, ids)
    points = pd.DataFrame({"x": coordinates[:, 0], "y": coordinates[:, 1],
                           "title": movies["title"].to_numpy(),
                           "genres": [", ".join(g) for g in movies["genres"]],
                           "role": "catalogue", "label": ""}, index=ids)
    points.loc[[m for m in page.history if m in points.index], "role"] = "history"
    recs = []
    if page.query.get("history") != []:
        try:
            recs = page.recommend(recommender)
        except RecdemoError as exc:
            st.warning(str(exc))
    for rank, rec in enumerate(recs, start=1):
        points.loc[rec.movie_id, ["role", "label"]] = ("top 10", str(rank))
    if page.held_out in points.index:  # only once revealed
        points.loc[page.held_out, "role"] = "held out"
    highlighted = points[points.role != "catalogue"]
    extent_x = embedding_map.view_extent(coordinates[:, 0], highlighted.x.to_numpy())
    extent_y = embedding_map.view_extent(coordinates[:, 1], highlighted.y.to_numpy())
    x, y = embedding_map.inside(points.x, extent_x), embedding_map.inside(points.y, extent_y)
    points = points.assign(x=x, y=y, outside=(x != points.x) | (y != points.y))
    # Labels beside their points, rank 1 placed first.
    ranked = points[points.label != ""].sort_values("label", key=lambda r: r.astype(int))
    label_x, label_y = embedding_map.spread_labels(ranked.x.to_numpy(), ranked.y.to_numpy(),
                                                   extent_x, extent_y, height=charts.MAP_HEIGHT)
    points["label_x"], points["label_y"] = points.x, points.y
    points.loc[ranked.index, "label_x"], points.loc[ranked.index, "label_y"] = label_x, label_y
    taste = None
    try:
        user, resolved = recommender.resolve(**page.query)
        query = recommender.query_vectors([user], [resolved])[0]
        taste = embedding_map.taste_direction(project, query, coordinates, extent_x, extent_y)
    except RecdemoError:
        pass
    # Catalogue first, highlighted points drawn last (on top).
    points = points.sort_values("role", key=lambda r: r != "catalogue", kind="stable")
    st.altair_chart(charts.embedding_map(points, None if taste is None else tuple(taste),
                                         extent_x, extent_y,
                                         dark=st.context.theme.type == "dark"),
                    width="stretch")
    st.caption(f"Every movie of {page.dataset.name} as {DISPLAY_NAMES[key]} places it, "
               "flattened to two dimensions (PCA): nearby movies are ones the model treats as "
               "alike; numbers are the top-10 ranks. The arrow is the direction of your taste: "
               "movies further along it score higher, as far as two dimensions show. The few "
               "points far outside the view are drawn at its edge. Hover for titles; scroll to "
               "zoom.")
