"""What the server does as it starts: a first visitor's browser spends about a second loading
Streamlit's own page before the page script runs, and the server is idle meanwhile. Doing the
first view's one-off work in that second (importing the page's modules, parsing the default
dataset, reading what the shipped artifacts store for the first view) means the first script
run finds it ready and sends the title, the history and the first top-10 sooner."""

from __future__ import annotations

import contextlib
import threading


def streamlit_first_element_check() -> None:
    """Streamlit's once-per-process check, made on the first element a script draws, of whether
    it runs in a REPL: an `inspect.stack()` that looks up the source file of every loaded
    module, ~0.1 s here once pandas and Altair are loaded, which would hold back every message
    of the first visitor's page. Made here instead, with the same outcome (a server's warm-up
    thread is no REPL). It is Streamlit's private function: without it the head start is lost,
    nothing else (tests/test_app.py notices)."""
    from streamlit import delta_generator

    check = getattr(delta_generator, "_maybe_print_use_warning", None)
    if check is not None:
        check()


def warm_first_page() -> None:
    """Import the page, load the default dataset, and put in the process caches what its first
    view reads from the shipped artifacts: the headline's paired comparison, each model's
    card, checksums and stored lists. Nothing that loads a model (Keras would take the core
    the browser needs now)."""
    streamlit_first_element_check()
    from dashboard import page, quality, state  # noqa: F401
    from recdemo import RecdemoError
    from recdemo.models import MODELS, card

    name = state.DEFAULT_DATASET
    try:
        state.cached_data(name)
    except RecdemoError:
        return  # the page shows why, and how to provide the data
    for key in MODELS:
        card(key)
    shipped = quality.shipped_folders(name).values()
    for folder in shipped:
        state.stored_lists(folder, name)  # verifies the artifact first
    try:
        # Without recorded ranks the comparison would load the models: left to the page.
        if shipped and all(_test_ranks_recorded(folder) for folder in shipped):
            quality.headline_comparison(name)
    except (RecdemoError, KeyError, TypeError, ValueError):
        pass  # the page leaves the headline out


def _test_ranks_recorded(folder: str) -> bool:
    from dashboard import state
    from recdemo import verdict

    # Without a loader `ranks_of` gives only what metrics.json records, else None.
    return verdict.ranks_of(state.artifact_json(folder, "metrics.json"), "test") is not None


@contextlib.asynccontextmanager
async def lifespan(app):
    """`st.App` start-up hook: warm the first page in the background and serve at once."""
    threading.Thread(target=warm_first_page, name="recdemo-warmup", daemon=True).start()
    yield
