"""Process-wide caches (data, models, artifact documents) and the session's view.

Models are cached by the sha256 of their artifact's manifest, so a replaced artifact is never
served stale and the quality tab always describes the model that is serving. Each model loads
on first use: the page paints before any model exists.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from recdemo import RecdemoError, artifacts, retrain, urlstate, verdict
from recdemo.data import available, load
from recdemo.models import MODELS
from recdemo.split import leave_one_out

K = 10
# A built history keeps its most recent MAX_HISTORY movies: the sequence models' context.
MAX_HISTORY = 50
DEFAULT_DATASET = "ml-100k"
DEFAULT_MODEL = "sasrec"
PREFETCH_AFTER_S = 1.0
# Short labels: all five fit without a scroll arrow at 1280 px.
TABS = ("Top 10", "Similar movies", "Quality", "Embedding map", "Retrain")


@st.cache_resource(show_spinner=False)
def cached_data(dataset_name: str):
    """The dataset, its split and train popularity (never downloads: see `download`)."""
    dataset = load(dataset_name, download=False)
    split = leave_one_out(dataset)
    return dataset, split, split.train_counts(dataset.num_items)


@st.cache_resource(show_spinner=False)
def download_attempts() -> dict[str, tuple[float, str]]:
    """Failed downloads of this server process: dataset -> (when, why). A failure is shown,
    never retried by a page view; only the download button tries again."""
    return {}


def download(dataset_name: str) -> None:
    """The download button's callback: fetch and verify the official zip once."""
    from recdemo.movielens import fetch

    try:
        fetch(dataset_name)
    except RecdemoError as exc:
        download_attempts()[dataset_name] = (time.time(), str(exc))
    else:
        download_attempts().pop(dataset_name, None)
        cached_data.clear()


@st.cache_resource(show_spinner=False, max_entries=16)
def _cached_recommender(version_folder: str, dataset_name: str, digest: str):
    # Imported here, not at the top: Keras, JAX and keras-hub load after the first paint.
    from recdemo.serving import enable_compilation_cache, recommender_from_folder

    enable_compilation_cache()
    dataset, split, _ = cached_data(dataset_name)
    return recommender_from_folder(version_folder, dataset, split)


@st.cache_resource(show_spinner=False, max_entries=32)
def _verified(version_folder: str, dataset_name: str, digest: str) -> dict:
    # Hashing every file of every artifact on each rerun would be work repeated for nothing:
    # a version folder never changes, and a new one has a new manifest digest.
    manifest = artifacts.verify(version_folder)
    artifacts.check_trained_on(version_folder, cached_data(dataset_name)[0])
    return manifest


def verified(folder: str, dataset_name: str) -> dict:
    """The manifest of the artifact at `folder`, once its files match it and it was trained
    on this data (checked once per artifact version, no model loaded).

    Raises:
        RecdemoError: a missing, corrupted or incomplete artifact, or one from other data.
    """
    version, digest = version_of(folder)
    return _verified(version, dataset_name, digest)


@st.cache_resource(show_spinner=False, max_entries=16)
def _cached_lists(version_folder: str, dataset_name: str, digest: str):
    from recdemo import stored_lists  # NumPy only: no model code

    # The whole artifact, weights included: a list is shown only for a model that can serve.
    if artifacts.LISTS_FILE not in _verified(version_folder, dataset_name, digest):
        return None
    return stored_lists.read(version_folder, cached_data(dataset_name)[0])


def stored_lists(folder: str, dataset_name: str):
    """The artifact's `recdemo.stored_lists.StoredLists` for this data, or None (none stored,
    other data, or unreadable: the view is then computed live, and a broken artifact reports
    itself when the model loads)."""
    try:
        version, digest = version_of(folder)
        return _cached_lists(version, dataset_name, digest)
    except RecdemoError:
        return None


@st.cache_data(show_spinner=False, max_entries=256)
def _cached_json(version_folder: str, name: str, digest: str):
    return artifacts.read_json(version_folder, name)


# A rank source other than an artifact: the most-popular baseline.
POPULAR = "most_popular"


@st.cache_resource(show_spinner=False, max_entries=32)
def _ranks(source: tuple[str, str], part: str, dataset_name: str):
    if source[0] == POPULAR:
        from recdemo.dataset import catalogue_mask
        from recdemo.metrics import popular_ranks

        dataset, split, counts = cached_data(dataset_name)
        users, histories, targets = split.cases(part)
        return users, popular_ranks(counts, catalogue_mask(dataset, dataset.num_items),
                                    histories, targets)
    version, digest = source
    return verdict.ranks_of(_cached_json(version, "metrics.json", digest), part,
                            lambda: _cached_recommender(version, dataset_name, digest))


@st.cache_data(show_spinner=False, max_entries=64)
def _paired(a: tuple[str, str], b: tuple[str, str], part: str, dataset_name: str):
    found = _ranks(a, part, dataset_name), _ranks(b, part, dataset_name)
    return None if None in found else verdict.compare(*found)


def _source(folder: str) -> tuple[str, str]:
    return (POPULAR, "") if folder == POPULAR else version_of(folder)


def held_out_ranks(folder: str, part: str, dataset_name: str):
    """`(users, ranks)` of an artifact's saved model (or of `POPULAR`) on `part`, cached per
    artifact version; recorded ranks are read, not recomputed. None when unknown (see
    `verdict.ranks_of`)."""
    return _ranks(_source(folder), part, dataset_name)


def paired(folder_a: str, folder_b: str, part: str, dataset_name: str):
    """`verdict.compare` of two artifacts' saved models (either may be `POPULAR`) on `part`,
    cached per artifact version, or None when one has no per-user ranks for that part."""
    return _paired(_source(folder_a), _source(folder_b), part, dataset_name)


def version_of(folder: str) -> tuple[str, str]:
    """`(version folder, manifest sha256)` of an artifact: what process caches are keyed on."""
    version = artifacts.resolve(folder)
    return str(version), artifacts.manifest_digest(version)


def recommender(folder: str, dataset_name: str):
    """The verified artifact's recommender (RecdemoError if it cannot serve)."""
    version, digest = version_of(folder)
    return _cached_recommender(version, dataset_name, digest)


def artifact_json(folder: str, name: str):
    """One JSON document of an artifact, cached by its manifest digest."""
    version, digest = version_of(folder)
    return _cached_json(version, name, digest)


def served_folder(model_key: str) -> str:
    """The artifact this session serves for a model: a retrained run, or the shipped one."""
    state = st.session_state
    return state.served.get(model_key) or str(artifacts.artifact_dir(model_key, state.dataset))


def offered_models(dataset_name: str | None = None) -> list[str]:
    """The registered models this session can show on `dataset_name` (default: the session's),
    in registry order: those with a shipped artifact folder or a served retrained run. A model
    registered in code but never trained on this data has nothing to show; a folder that fails
    to load is still offered, and its error shown."""
    state = st.session_state
    dataset_name = dataset_name or state.dataset
    served = state.get("served", {})
    offered = [key for key in MODELS
               if key in served or artifacts.artifact_dir(key, dataset_name).exists()]
    return offered or list(MODELS)


class Models:
    """Recommenders of this session's served artifacts, loaded on first use; a model that
    cannot load is reported once with its reason while the others keep serving."""

    def __init__(self, dataset_name: str):
        self.dataset_name = dataset_name
        self.errors: dict[str, str] = {}

    def get(self, key: str):
        """The recommender of `key`, or None (the reason is in `errors`)."""
        try:
            return recommender(served_folder(key), self.dataset_name)
        except RecdemoError as exc:
            self.errors[key] = str(exc)
            return None

    def check(self) -> None:
        """Record in `errors` every offered model whose artifact fails its checksums or was
        trained on other data, without loading any (no Keras import)."""
        for key in offered_models(self.dataset_name):
            try:
                verified(served_folder(key), self.dataset_name)
            except RecdemoError as exc:
                self.errors.setdefault(key, str(exc))

    def available(self, keys=None) -> dict:
        """Every loadable model among `keys` (default: all), in registry order."""
        loaded = {key: self.get(key) for key in (keys or offered_models(self.dataset_name))}
        return {key: rec for key, rec in loaded.items() if rec is not None}


@st.cache_resource(show_spinner=False)
def _prefetch_started() -> set:
    return set()


def prefetch(dataset_name: str, first: str) -> None:
    """Once per server process and dataset, load every shipped model in a background thread,
    `first` first, starting `PREFETCH_AFTER_S` after the first view was sent (a session that
    needs a model before then loads it itself; the thread then finds it cached)."""
    started = _prefetch_started()
    if dataset_name in started:
        return
    started.add(dataset_name)
    offered = offered_models(dataset_name)
    keys = [first, *[k for k in offered if k != first]] if first in offered else offered

    def load_all() -> None:
        for key in keys:
            try:
                recommender(str(artifacts.artifact_dir(key, dataset_name)), dataset_name)
            except RecdemoError:
                pass  # reported by the page that asks for it

    # Later, not at once: importing Keras and JAX takes a core and the interpreter for over a
    # second, and the browser needs both to fetch its scripts and draw the view just sent.
    thread = threading.Timer(PREFETCH_AFTER_S, load_all)
    thread.name, thread.daemon = "recdemo-prefetch", True
    add_script_run_ctx(thread, get_script_run_ctx())
    thread.start()


def query_params() -> dict[str, list[str]]:
    """The URL's query parameters, each name with all its values."""
    return {name: st.query_params.get_all(name) for name in st.query_params}


def dataset_from_url() -> tuple[str, list[str]]:
    """The dataset the link asks for (checked before anything loads)."""
    return urlstate.parse_dataset(query_params(), available(), DEFAULT_DATASET)


# View values held by widgets that are not drawn on every run (the user picker only in user
# mode, the movie picker only on its tab). Streamlit deletes a widget's value when the widget
# is not drawn; assigning the value back each run keeps it, as its docs recommend.
PERSISTENT_WIDGET_KEYS = ("user_id", "similar_movie", "genres", "exclude_seen", "model", "mode",
                          "reveal", "present")


def init_session(dataset, split, genres: list[str], warnings: list[str]) -> None:
    """On a session's first run (or after a dataset switch), read the view from the URL;
    problems become warnings shown once (`warnings`: the dataset parameter's)."""
    state = st.session_state
    if state.get("initialized_for") == dataset.name:
        for key in PERSISTENT_WIDGET_KEYS:
            if key in state:
                state[key] = state[key]
        return
    runs = known_runs(dataset.name)
    view, view_warnings = urlstate.parse_view(
        query_params(), dataset=dataset.name, models=offered_models(dataset.name),
        default_model=DEFAULT_MODEL,
        user_ids=set(split.users.tolist()), movie_ids=set(dataset.movies.index.tolist()),
        genres=set(genres), tabs=TABS, max_history=MAX_HISTORY, runs=runs)
    state.initialized_for = dataset.name
    state.dataset = dataset.name
    root = retrain.runs_root()
    state.served = {model: str(root / run / "artifact") for model, run in view.served.items()}
    state.run_folder = str(root / view.run) if view.run else None
    state.reveal, state.present = view.reveal, view.present
    state.model, state.mode, state.user_id = view.model, view.mode, view.user
    state.history, state.exclude_seen, state.genres = view.history, view.exclude_seen, view.genres
    state.similar_movie = view.movie
    state.tab = view.tab or TABS[0]
    state.url_warnings = [*warnings, *view_warnings]


def known_runs(dataset_name: str) -> dict[str, str]:
    """Retrain runs a link may name: run name -> model key (finished runs of this dataset,
    and the run training now)."""
    folders = retrain.list_finished(dataset_name=dataset_name)
    running = retrain.running_run()
    runs = {}
    for folder in [*folders, *([running] if running else [])]:
        try:
            runs[folder.name] = retrain.read_request(folder)["model"]
        except (RecdemoError, KeyError):
            continue
    return runs


def current_params() -> dict[str, str | list[str]]:
    """The query parameters of the view on screen."""
    state = st.session_state
    run = state.get("run_folder")
    view = urlstate.View(dataset=state.dataset, model=state.model, mode=state.mode,
                         user=state.user_id, history=list(state.history),
                         exclude_seen=state.exclude_seen, genres=list(state.genres),
                         movie=state.get("similar_movie"), tab=state.get("tab"),
                         reveal=bool(state.get("reveal")) and state.mode == "user",
                         present=bool(state.get("present")),
                         run=Path(run).name if run else None,
                         served={model: Path(folder).parent.name
                                 for model, folder in state.get("served", {}).items()})
    return urlstate.to_params(view, DEFAULT_DATASET)


def write_url() -> None:
    """Mirror the current view into the URL, so the link reopens exactly this page."""
    st.query_params.from_dict(current_params())


def share_link() -> str:
    """The full link to the view on screen."""
    from urllib.parse import urlencode

    base = st.context.url or ""
    return f"{base}?{urlencode(current_params(), doseq=True)}"
