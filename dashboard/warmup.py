"""What the server does as it starts, and how model loading yields to a loading page.

A first visitor's browser spends about a second loading Streamlit's own page before the page
script runs; the server is idle meanwhile. Importing the page's modules (pandas alone is
~0.3 s) and parsing the default dataset in that second means the script finds them ready and
draws the title and the user's history sooner (`lifespan`).

Then the browser asks for the code of each kind of element the page uses (select boxes,
buttons, radios...) and shows grey placeholders until it has it. Importing Keras and JAX for
the first model at that moment slows those files down, so the first model load waits until
the browser has gone a moment without asking for one (`PAGE_FILES.wait_quiet`): the history
drawn 0.2 s sooner (median of 6 alternating rounds) for 0.1 s more to the first top-10.
"""

from __future__ import annotations

import contextlib
import threading
import time


class RequestActivity:
    """When a kind of HTTP request was last seen (`touch`), and a bounded wait for a pause.

    Args:
        clock: seconds, monotonic (a test passes its own with `sleep`).
        sleep: waits that many seconds.
    """

    def __init__(self, clock=time.monotonic, sleep=time.sleep):
        self.clock, self.sleep = clock, sleep
        self.last: float | None = None

    def touch(self) -> None:
        self.last = self.clock()

    def wait_quiet(self, quiet: float = 0.25, limit: float = 2.0) -> None:
        """Return once no request came for `quiet` seconds, after `limit` seconds at most, or
        at once if none ever came (the page is not served through `streamlit_app.app`)."""
        deadline = self.clock() + limit
        while self.last is not None:
            remaining = min(self.last + quiet, deadline) - self.clock()
            if remaining <= 0:
                return
            self.sleep(remaining)


PAGE_FILES = RequestActivity()


class PageFilesWatch:
    """ASGI middleware: records every request for Streamlit's page files (`/static/`)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith("/static/"):
            PAGE_FILES.touch()
        await self.app(scope, receive, send)


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
