"""The page: what every tab needs, the header, and the order things are drawn in.

Cold start matters on a projector: the title, sidebar and the user's history are drawn from
the data alone (about half a second); the model on screen loads next with a visible status
line, and the other models load after the first list is shown.
"""

from __future__ import annotations

import functools

import numpy as np
import streamlit as st

from dashboard import state
from dashboard.explore import map_tab, similar_tab
from dashboard.export import built_history
from dashboard.quality import PROTOCOL_HELP, headline_comparison, quality_tab
from dashboard.recommendations import reasons_for, recommendations_tab
from dashboard.retrain_tab import retrain_tab
from dashboard.who import held_out_panel, history_panel, sidebar, user_panel, view_query
from recdemo import RecdemoError, insights, report, urlstate
from recdemo.data import is_own_data
from recdemo.dataset import catalogue_mask
from recdemo.models import DISPLAY_NAMES, MODELS
from recdemo.movielens import how_to_provide

TAB_RENDERERS = dict(zip(state.TABS, (recommendations_tab, similar_tab, quality_tab, map_tab,
                                      retrain_tab)))


class PageContext:
    """What the tabs may need for the current view; models load only when asked for."""

    def __init__(self, dataset, split, counts, query: dict, history: list[int]):
        self.dataset, self.split, self.counts = dataset, split, counts
        self.query, self.history = query, history
        self.models = state.Models(dataset.name)
        model = st.session_state.model
        self.offered = state.offered_models(dataset.name)
        self.keys = self.offered if model == urlstate.COMPARE else [model]
        self.folders = {key: state.served_folder(key) for key in self.offered}
        user = query.get("user_id")
        # Nothing may give the held-out movie away before the presenter reveals it.
        revealed = user is not None and st.session_state.get("reveal")
        self.held_out = split.test.get(user) if revealed else None

    @functools.cached_property
    def recommenders(self) -> dict:
        """The models on screen (one, or all in compare mode)."""
        with st.spinner(f"Loading {', '.join(DISPLAY_NAMES[k] for k in self.keys)}…"):
            return self.models.available(self.keys)

    def top_list(self, key: str) -> tuple[list, dict | None] | None:
        """`(recommendations, reasons)` of model `key` for this view (reasons: movie id ->
        `attribution.leave_one_out` removals; None when the model does not read the history),
        or None when the model cannot serve. A user's default view (whole history, watched
        movies excluded, no genre filter) is read from the lists stored with the artifact,
        so it shows before the model has loaded; any other view runs the model."""
        user = self.query.get("user_id")
        if user is not None and st.session_state.exclude_seen and self.candidates is None:
            stored = state.stored_lists(self.folders[key], self.dataset.name)
            found = stored.top_list(user, self.dataset) if stored else None
            if found is not None:
                return found
        recommender = self.recommenders.get(key)
        if recommender is None:
            return None
        recs = self.recommend(recommender)
        return recs, reasons_for(recommender, self, [r.movie_id for r in recs])

    def recommend(self, recommender) -> list:
        """The top-K of this view after the genre filter, through the single `recommend`
        path."""
        return recommender.recommend(**self.query, k=state.K,
                                     exclude_seen=st.session_state.exclude_seen,
                                     candidates=self.candidates)

    @functools.cached_property
    def available(self) -> dict:
        """Every model that can serve."""
        return self.models.available()

    @functools.cached_property
    def candidates(self) -> np.ndarray | None:
        """The genre filter as a candidate mask over item ids (None: no filter)."""
        return insights.genre_mask(self.dataset.movies, st.session_state.genres,
                                   self.dataset.num_items)

    @functools.cached_property
    def catalogue(self) -> np.ndarray:
        """`(num_items,)` bool: the ids that are movies (what every model may recommend)."""
        return catalogue_mask(self.dataset, self.dataset.num_items)

    @functools.cached_property
    def most_popular_ids(self) -> list[int]:
        """The most-popular reference list for this view."""
        seen = self.history if st.session_state.exclude_seen else []
        return insights.most_popular_top_k(self.counts, self.catalogue, seen, state.K,
                                           self.candidates)


def missing_data_page(dataset_name: str, error: RecdemoError) -> None:
    """What to do when the dataset is not available, with an explicit download button."""
    if is_own_data(dataset_name):
        st.title(f":material/dataset: {dataset_name} cannot be read")
        st.error(str(error))
        st.markdown("Fix the file and reload the page (the layout is in docs/data.md), or "
                    "[open MovieLens 100k](?dataset=ml-100k) instead.")
        return
    st.title(":material/movie: recdemo needs MovieLens")
    st.error(str(error))
    st.markdown(
        f"""
MovieLens may not be redistributed, so recdemo does not ship it. To provide **{dataset_name}**:

1. Download `https://files.grouplens.org/datasets/movielens/{dataset_name}.zip` and unzip it,
   so that `DIR/{dataset_name}/` holds its files.
2. Start the app with `RECDEMO_DATA_DIR=DIR make run` (or put the folder in `~/.cache/recdemo/`).

{how_to_provide(dataset_name)}
""")
    failed = state.download_attempts().get(dataset_name)
    if failed:
        st.warning(f"The last download attempt failed: {failed[1]}")
    st.button(f"Download {dataset_name} from GroupLens (sha256-checked)", key="download",
              on_click=state.download, args=(dataset_name,))


def headline(dataset_name: str) -> None:
    """One line under the title: the best shipped model (chosen on validation) against
    most-popular on test, with the interval of the gap."""
    try:
        found = headline_comparison(dataset_name)
    except (RecdemoError, KeyError, TypeError, ValueError):
        return
    if found is not None:
        best, comparisons = found
        st.caption(report.headline_sentence(DISPLAY_NAMES[best], comparisons["hr@10"]),
                   help=PROTOCOL_HELP)


def who_panel(dataset, split, counts, query: dict, history: list[int]) -> None:
    """The left column: the MovieLens user (`query`) or the built history being viewed."""
    if st.session_state.mode != "user":
        history_panel(dataset, counts, history)
        return
    model = st.session_state.model
    folder = state.served_folder(model if model in MODELS else state.DEFAULT_MODEL)
    user_panel(dataset, split, lambda: state.held_out_ranks(folder, "test", dataset.name),
               query["user_id"], history)


def reveal_panel(dataset, split, query: dict, history: list[int], below) -> None:
    """The reveal toggle and, once on, the held-out movie and its rank under each model
    (drawn in the container `below`)."""
    user = query.get("user_id")
    if user is None:
        return
    if not st.toggle("Reveal the held-out next movie", key="reveal"):
        return
    with below:
        held_out_panel(dataset, split, user, revealed_ranks(dataset.name, user),
                       int(catalogue_mask(dataset, dataset.num_items).sum() - len(history)))


def revealed_ranks(dataset_name: str, user: int) -> dict[str, int]:
    """The held-out movie's rank under each served model: the test ranks each artifact
    recorded when it was evaluated (computed by the model for an artifact without them), so
    revealing needs no model loaded."""
    ranks = {}
    for key in state.offered_models(dataset_name):
        try:
            found = state.held_out_ranks(state.served_folder(key), "test", dataset_name)
        except RecdemoError:
            continue  # reported in the sidebar
        if found is not None:
            users, user_ranks = found
            ranks[key] = int(user_ranks[np.flatnonzero(users == user)[0]])
    return ranks


def viewer_label(dataset) -> str:
    """What the folded-away viewer panel holds, as its title (presenter mode)."""
    session = st.session_state
    if session.mode == "user":
        return f"User {dataset.user_key(session.user_id)}"
    return built_history(len(session.history)).capitalize()


def main() -> None:
    """Lay out the page."""
    presenting_link = st.query_params.get("present") == "1"
    st.set_page_config(page_title="recdemo: MovieLens recommenders", layout="wide",
                       page_icon=":material/movie:",
                       initial_sidebar_state="collapsed" if presenting_link else "auto")
    # The page's other rules come with the page itself (`dashboard.stylesheet`).
    if st.session_state.get("present", presenting_link):
        # Less empty space above a smaller title: more of the page fits on a projector.
        st.html("<style>.stApp h1 {font-size: 1.5rem !important;}"
                ".stApp .block-container {padding-top: 3.3rem;}</style>")
    dataset_name, warnings = state.dataset_from_url()
    try:
        dataset, split, counts = state.cached_data(dataset_name)
    except RecdemoError as exc:
        missing_data_page(dataset_name, exc)
        return
    genres = insights.genre_names(dataset.movies)
    state.init_session(dataset, split, genres, warnings)
    title, share = st.columns([5, 1], vertical_alignment="bottom")
    title.title(":material/movie: MovieLens recommender playground")
    with share.popover("Share", icon=":material/link:", width="stretch"):
        st.caption("This link reopens exactly this view (copy button on the right):")
        st.code(state.share_link(), language=None, wrap_lines=True)
    presenting = st.session_state.present
    if not presenting:
        headline(dataset.name)
    # A link's problems are said once, on the first page of the session.
    for warning in st.session_state.pop("url_warnings", []):
        st.warning(warning)
    if presenting:
        # The views get the whole width; the viewer folds away above them.
        viewer, reveal = st.columns([4, 1], vertical_alignment="top")
        who = viewer.expander(viewer_label(dataset), icon=":material/person:")
        views = st.container()
    else:
        # Wide grids (compare, map) get two thirds of the page; lists get three fifths.
        wide = st.session_state.model == urlstate.COMPARE or st.session_state.tab in (
            "Embedding map", "Quality")
        who, views = st.columns([1, 2] if wide else [2, 3], gap="medium")
        reveal = who
    page = PageContext(dataset, split, counts, *view_query(split))
    with views:
        # In presenter mode the held-out movie, once revealed, shows above the views.
        revealed = st.container() if presenting else reveal
        # Only the open tab runs (on_change="rerun"), which keeps every interaction fast.
        tabs = dict(zip(state.TABS, st.tabs(list(state.TABS), key="tab", on_change="rerun")))
        for name, tab in tabs.items():
            if tab.open:
                with tab:
                    TAB_RENDERERS[name](page)
    # The controls come after the views in the page's messages (not on screen): the browser
    # fetches each widget type's code when the first one arrives, and the server that sends
    # the rest of the page is the one serving that code. Their values are in the session
    # before the script runs, so the views need not wait for them.
    with who:
        who_panel(dataset, split, counts, page.query, page.history)
    with reveal:
        reveal_panel(dataset, split, page.query, page.history, revealed)
    sidebar(genres)
    state.write_url()
    # Only now, in the background: importing Keras/JAX while the view is sent and drawn
    # would hold the interpreter and the CPU the browser needs (the view above needs no model
    # when it comes from the stored lists).
    state.prefetch(dataset.name, st.session_state.model)
    page.models.check()
    for key, message in page.models.errors.items():
        st.sidebar.error(f"{DISPLAY_NAMES[key]} is unavailable: {message}")
