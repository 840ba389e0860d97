"""The Top 10 tab: one model's top-10, or a rank × model grid of every model."""

from __future__ import annotations

import numpy as np
import streamlit as st

from dashboard import charts
from dashboard.agreement_view import agreement_over_users, movie_standing
from dashboard.clickable_grid import clickable_grid
from dashboard.export import export_buttons, who_text
from dashboard.state import MAX_HISTORY, K
from dashboard.stylesheet import COMPACT_LIST_KEY, share_key
from dashboard.who import add_to_history, genres_text, movie_label
from recdemo import attention, attribution, compare_grid, insights, slides
from recdemo.models import DISPLAY_NAMES, card


def change_markers(model_key: str, context, ids: list[int]) -> dict[int, str]:
    """`↑n`, `↓n` or `new` per movie when the same view's list changed since the last run
    (after a reorder, a trim, a filter or a retrain); nothing when the view itself changed."""
    memory = st.session_state.setdefault("last_lists", {})
    previous = memory.get(model_key)
    memory[model_key] = (context, ids)
    if not previous or previous[0] != context or previous[1] == ids:
        return {}
    diff = insights.diff_top_k(previous[1], ids)
    markers = {m: "new" for m in diff.new}
    markers.update({m: (f"↑{old - new}" if new < old else f"↓{new - old}")
                    for m, old, new in diff.moved})
    return markers


def single_list(key: str, recs: list, reasons: dict | None, page) -> None:
    """Rank, title, genres, the model's probability, what each pick rests on, add to
    history."""
    movies = page.dataset.movies
    if not recs:
        st.warning("No movie matches these filters.")
        return
    ids = [r.movie_id for r in recs]
    percentiles = insights.popularity_percentiles(page.counts, page.catalogue)
    compact = st.session_state.get("present", False)
    # Presenter mode: the heading and the badges share one line.
    heading = f"#### Top {K} from {DISPLAY_NAMES[key]} " if compact else ""
    st.markdown(
        f"{heading}:blue-badge[popularity: percentile {np.mean(percentiles[ids]):.0f}] "
        f":violet-badge[{insights.genre_diversity(movies, ids)} genres]",
        help="Popularity percentile: the share of the catalogue watched less often than these "
             "movies, on average (50 = a typical movie, 99 = the blockbusters). Genres: how "
             "many different genres the ten movies cover.")
    context = (st.session_state.mode, page.query.get("user_id"))
    markers = change_markers(key, context, ids)
    held_out = page.held_out
    top_probability = recs[0].probability or 1.0
    rows = st.container(gap="xxsmall" if compact else "small",
                        key=COMPACT_LIST_KEY if compact else None)
    for rank, rec in enumerate(recs, start=1):
        with rows.container(horizontal=True, vertical_alignment="center", gap="small",
                            wrap=False):
            marker = f" :orange-badge[{markers[rec.movie_id]}]" if rec.movie_id in markers else ""
            hit = (" :blue-badge[:material/target: the held-out movie]"
                   if rec.movie_id == held_out else "")
            why = reason_text(movies, reasons.get(rec.movie_id)) if reasons else ""
            title = f"**{rank}. {movie_label(movies, rec.movie_id)}**{marker}{hit}"
            if compact:  # one line a movie; genres and the reason on hover
                st.markdown(title, width="stretch",
                            help=f"{genres_text(movies, rec.movie_id)}{why}".replace(" · ", "  \n"))
            else:
                st.markdown(f"{title}  \n:gray[{genres_text(movies, rec.movie_id)}{why}]",
                            width="stretch")
            # Not `st.progress` nor HTML: the browser fetches an element type's code when the
            # first one arrives, and in a cold start the probabilities stood as grey
            # placeholders after their titles. Plain Markdown shows with the title; the page's
            # stylesheet draws the bar from the container's key.
            share = rec.probability / top_probability
            with st.container(key=share_key(share, key, rec.movie_id), gap=None,
                              width=150 if compact else 110):
                if compact:  # beside the bar
                    st.markdown(f":gray[{rec.probability:.1%}]", width="content")
                else:  # over the bar
                    st.markdown(f"{rec.probability:.1%}")
            in_history = st.session_state.mode == "history" and rec.movie_id in page.history
            st.button("", icon=":material/add:", key=f"promote-{key}-{rec.movie_id}",
                      type="tertiary", width="content", disabled=in_history,
                      help="Add to the history as the most recent watch (from a MovieLens user: "
                           f"starts a built history from their {MAX_HISTORY - 1} latest movies)",
                      on_click=promote, args=(rec.movie_id, page.history))
    among = ("among the movies of the chosen genres" if st.session_state.genres
             else "among all the movies it may recommend")
    explained = (" “Rests on”: of the history movies whose removal pushes this movie down "
                 "the list, the one whose removal lowers its score the most, and the rank it "
                 "would fall to (the model re-run without it)."
                 if reasons else
                 f" {DISPLAY_NAMES[key]} serves a known user from a vector learned in training, "
                 "so no single history movie can be removed to explain a pick."
                 if reasons is None else "")
    st.caption(f"The percentage is the model's estimate that this is the next movie watched, "
               f"{among}; the bar compares it with the first pick.{explained}")
    title = f"Top {K} from {DISPLAY_NAMES[key]} for {who_text(page, protocol=False)}"
    frame = slides.list_frame(recs, movies, reasons)
    export_buttons(f"list-{key}", title, page, frame, lambda title, sub: slides.list_chart(
        frame, title, sub, held_out))
    attention_view(key, page)


def attention_view(key: str, page) -> None:
    """For an attention model: the history movies its last position weighed most, computed
    (and the model loaded) only when the expander is opened, and labelled as what attention
    is (not a reason)."""
    if not card(key).attention or not page.history:
        return
    name = DISPLAY_NAMES[key]
    expander = st.expander(f"Where {name} looked in this history",
                           icon=":material/visibility:", key=f"attention-{key}",
                           on_change="rerun")
    if not expander.open:
        return
    with expander:
        recommender = page.recommenders.get(key)
        if recommender is None:
            return
        weights = attention.history_attention(recommender, np.asarray(page.history))
        top = attention.most_attended(weights, page.history, page.dataset.movies["title"])
        st.altair_chart(charts.attention_chart(top), width="stretch")
        st.caption(f"Attention of {name}'s last block at the most recent movie, averaged over "
                   f"its heads, over the {weights.shape[1]} most recent watches it reads: how "
                   "much each watch fed the vector every movie is scored against. It is not "
                   "the reason for any one pick: “rests on” re-runs the model without a movie "
                   "for that.")


def reasons_for(recommender, page, ids: list[int]) -> dict | None:
    """Leave-one-out attribution of each listed movie (one batched call), or None when the
    model's query does not depend on the history (a known two-tower user)."""
    user = page.query.get("user_id")
    if not attribution.uses_history(recommender, user):
        return None
    if len(set(page.history)) < 2:
        return {}
    return attribution.leave_one_out(recommender, np.asarray(page.history), ids,
                                     st.session_state.exclude_seen, page.candidates)


def reason_text(movies, removals: list | None) -> str:
    """` · rests on Twelve Monkeys (#3 → #9 without it)`, or nothing when no single removal
    pushes the pick down (`attribution.rests_on`)."""
    top = attribution.rests_on(removals)
    if top is None:
        return ""
    return (f" · rests on {movie_label(movies, top.removed)} (#{top.rank} → "
            f"#{top.rank_without} without it)")


def promote(movie_id: int, current_history: list[int]) -> None:
    """Move a recommended movie into a built history (starting from the current one)."""
    state = st.session_state
    if state.mode != "history":
        state.history = list(current_history)[-(MAX_HISTORY - 1):]
        state.mode = "history"
    add_to_history(movie_id)


def compare_view(lists: dict[str, list], page) -> None:
    """One compact grid: agreement coloured, the held-out movie highlighted once revealed;
    clicking a cell shows where its movie stands under each model."""
    ids = {DISPLAY_NAMES[key]: [r.movie_id for r in recs] for key, recs in lists.items()}
    ids["Most popular"] = page.most_popular_ids
    models = [DISPLAY_NAMES[key] for key in lists]
    table = compare_grid.frame(ids, page.dataset.movies["title"])
    shades = compare_grid.shades(ids, models, page.held_out)
    shown = list(dict.fromkeys(m for movie_ids in ids.values() for m in movie_ids))
    clicked = st.session_state.pop("grid_clicked", None)
    if type(clicked) is int and clicked in shown:  # from the browser: only a movie shown
        st.session_state.grid_movie = clicked
    clickable_grid(compare_grid.html(table, ids, shades, st.session_state.get("grid_movie")),
                   key="compare_grid", clicked_key="grid_clicked")
    model_ids = {name: ids[name] for name in models}
    overlap = ", ".join(f"{a} & {b}: {n}" for (a, b), n in insights.overlaps(model_ids).items())
    in_all = sum(1 for n in insights.agreement(model_ids).values() if n == len(models))
    legend = ":green-badge[in every list] :orange-badge[in more than one]"
    if page.held_out in shown:
        legend += " :blue-badge[the held-out movie]"
    st.markdown(f"{legend} — shared movies: {overlap}; in every list: {in_all}. "
                "Click a movie to see where it stands under each model.")
    title = f"Top {K} from every model for {who_text(page, protocol=False)}"
    export_buttons("grid", title, page, table, lambda title, sub: slides.table_chart(
        table, title, sub, shades, cell_width=240))
    movie_standing(page, shown)
    agreement_over_users(page, list(lists))


def recommendations_tab(page) -> None:
    """The chosen model's top-10, or every model's side by side."""
    if page.query.get("history") == []:
        st.info("Add movies to the history to see recommendations.")
        return
    found = {key: page.top_list(key) for key in page.keys}
    found = {key: top for key, top in found.items() if top is not None}
    if not found:
        st.warning("No model is available: see the messages above.")
        return
    if len(page.keys) == 1:
        (key, (recs, reasons)), = found.items()
        if not st.session_state.get("present"):
            st.subheader(f"Top {K} from {DISPLAY_NAMES[key]}")
        single_list(key, recs, reasons, page)
        return
    st.subheader(f"Top {K} from every model")
    compare_view({key: recs for key, (recs, _) in found.items()}, page)
