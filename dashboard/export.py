"""Download buttons that turn what is on screen into a slide (PNG) and its numbers (CSV), both
titled with the dataset, the model, whose list it is and the protocol (`recdemo.slides`)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd
import streamlit as st

from recdemo import slides


def built_history(count: int) -> str:
    """`a built history of 6 movies`."""
    return f"a built history of {count} movie{'s' if count != 1 else ''}"


def who_text(page, protocol: bool = True) -> str:
    """Whose list this is (`user 7`), and with `protocol` what was held out, as a slide's
    subtitle says it."""
    user = page.query.get("user_id")
    if user is None:
        return built_history(len(page.history))
    held_out = " (last movie held out)" if protocol else ""
    return f"user {page.dataset.user_key(user)}{held_out}"


def view_subtitle(page) -> str:
    """`ml-100k · user 7 (last movie held out) · watched movies excluded · all genres`."""
    return slides.subtitle(page.dataset.name, who_text(page), st.session_state.exclude_seen,
                           list(st.session_state.genres))


def export_buttons(key: str, title: str, page, frame: pd.DataFrame,
                   chart: Callable[[str, str], object], subtitle: str | None = None) -> None:
    """`Slide (PNG)` and `Data (CSV)` for one view; the PNG is drawn only when clicked.

    Args:
        chart: `(title, subtitle) -> Altair chart`. It runs on a download thread, outside the
            script run, so it must not read the session: everything it needs is passed in.
        subtitle: what the export is under its title (default: dataset, whose list, filters).
    """
    sub = subtitle or view_subtitle(page)
    stem = re.sub(r"[^A-Za-z0-9]+", "-", f"recdemo {page.dataset.name} {title}").strip("-")
    with st.container(horizontal=True, gap="small"):
        st.download_button("Slide (PNG)", icon=":material/slideshow:", type="tertiary",
                           data=lambda: slides.png_bytes(chart(title, sub)),
                           file_name=f"{stem}.png",
                           mime="image/png", key=f"png-{key}", on_click="ignore",
                           help=f"“{title}” as a 16:9-friendly image, titled with {sub}.")
        st.download_button("Data (CSV)", icon=":material/download:", type="tertiary",
                           data=slides.csv_bytes(frame, title, sub), file_name=f"{stem}.csv",
                           mime="text/csv", key=f"csv-{key}", on_click="ignore",
                           help="The same numbers as a CSV, its first lines saying what they are.")
