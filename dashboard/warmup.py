"""What the server does as it starts: a first visitor's browser spends about a second loading
Streamlit's own page before the page script runs, and the server is idle meanwhile. Importing
the page's modules (pandas, Altair) and parsing the default dataset in that second means the
script finds them ready and draws the title and the user's history sooner."""

from __future__ import annotations

import contextlib
import threading


def warm_first_page() -> None:
    """Import the page and load the default dataset into the process cache."""
    from dashboard import page, state  # noqa: F401
    from recdemo import RecdemoError

    try:
        state.cached_data(state.DEFAULT_DATASET)
    except RecdemoError:
        pass  # the page shows why, and how to provide the data


@contextlib.asynccontextmanager
async def lifespan(app):
    """`st.App` start-up hook: warm the first page in the background and serve at once."""
    threading.Thread(target=warm_first_page, name="recdemo-warmup", daemon=True).start()
    yield
