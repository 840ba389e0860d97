"""Slide-ready exports of what the dashboard shows: each titled with what it is (dataset,
model, whose list, protocol), as CSV for the numbers and as PNG for a slide (an Altair chart
rendered by vl-convert, Altair's own PNG engine).

Altair is imported where a chart is built: the dashboard imports this module for its first
view, which exports nothing until a button is clicked.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from recdemo.attribution import rests_on

if TYPE_CHECKING:
    import altair as alt

# 16:9 at 2x: sharp on a 1920x1080 slide.
WIDTH, SCALE = 900, 2
SHADES = {0: "transparent", 1: "transparent", 2: "#fde7c4", 3: "#cdebd6"}
HELD_OUT_SHADE = "#cfe0fb"


def subtitle(dataset_name: str, who: str, exclude_seen: bool, genres: list[str]) -> str:
    """`ml-100k · user 7 (last movie held out) · watched movies excluded · all genres`."""
    seen = "watched movies excluded" if exclude_seen else "watched movies allowed"
    chosen = "genres: " + ", ".join(genres) if genres else "all genres"
    return " · ".join([dataset_name, who, seen, chosen])


def csv_bytes(frame: pd.DataFrame, title: str, subtitle_text: str) -> bytes:
    """The frame as CSV under two `#` lines saying what it is."""
    head = f"# {title}\n# {subtitle_text}\n"
    return (head + frame.to_csv(index=False)).encode("utf-8")


def list_frame(items: list, movies: pd.DataFrame, reasons: dict | None) -> pd.DataFrame:
    """One row per recommended movie: rank, id, title, genres, probability and, where the
    leave-one-out attribution found one, the history movie it rests on."""
    rows = []
    for rank, item in enumerate(items, start=1):
        top = rests_on((reasons or {}).get(item.movie_id))
        rows.append({"rank": rank, "movie_id": item.movie_id,
                     "title": movies.loc[item.movie_id, "title"],
                     "genres": ", ".join(movies.loc[item.movie_id, "genres"]),
                     "probability": float(item.probability),
                     "rests_on": movies.loc[top.removed, "title"] if top else "",
                     "rank_without_it": top.rank_without if top else None})
    return pd.DataFrame(rows)


def list_chart(frame: pd.DataFrame, title: str, subtitle_text: str,
               held_out: int | None = None) -> alt.Chart:
    """The top 10 as horizontal bars of the model's probability, rank 1 on top."""
    import altair as alt

    data = frame.assign(label=[f"{r}. {t}" for r, t in zip(frame["rank"], frame["title"])],
                        shown=[f"{p:.1%}" for p in frame["probability"]],
                        held_out=frame["movie_id"] == held_out if held_out else False)
    y = alt.Y("label:N", sort=None, title=None, axis=alt.Axis(labelFontSize=15, labelLimit=520))
    bars = alt.Chart(data).mark_bar(height=22).encode(
        y=y, x=alt.X("probability:Q", title="the model's probability that this is the next "
                     "movie", axis=alt.Axis(format="%")),
        color=alt.condition("datum.held_out", alt.value("#2563eb"), alt.value("#e11d48")))
    text = bars.mark_text(align="left", dx=5, fontSize=14).encode(text="shown:N",
                                                                  color=alt.value("#111827"))
    return _titled(alt.layer(bars, text).properties(width=WIDTH - 560, height=36 * len(data)),
                   title, subtitle_text)


def table_chart(frame: pd.DataFrame, title: str, subtitle_text: str,
                shades: pd.DataFrame | None = None, cell_width: int = 220) -> alt.Chart:
    """Any small table as a slide: the first column as row labels, one text cell per other
    value, optional cell shading (`shades`: same rows, values 0-3 for agreement, -1 for the
    held-out movie)."""
    import altair as alt

    label, *columns = list(frame.columns)
    cells = []
    for row in range(len(frame)):
        for column in columns:
            shade = (0 if shades is None or column not in shades
                     else int(shades.iloc[row][column]))
            cells.append({"row": _cell(frame[label].iloc[row]), "column": column,
                          "text": _cell(frame[column].iloc[row]),
                          "shade": HELD_OUT_SHADE if shade < 0 else SHADES[min(shade, 3)]})
    data = pd.DataFrame(cells)
    rows = [_cell(v) for v in frame[label]]
    x = alt.X("column:N", sort=columns, title=None,
              axis=alt.Axis(orient="top", labelAngle=0, labelFontSize=14, labelFontWeight="bold",
                            labelLimit=cell_width, ticks=False, domain=False))
    y = alt.Y("row:N", sort=rows, title=None,
              axis=alt.Axis(labelFontSize=14, ticks=False, domain=False, labelPadding=8))
    back = alt.Chart(data).mark_rect().encode(x=x, y=y, color=alt.Color("shade:N", scale=None))
    text = alt.Chart(data).mark_text(fontSize=13, limit=cell_width - 12).encode(
        x=x, y=y, text="text:N")
    chart = alt.layer(back, text).properties(width=cell_width * len(columns),
                                             height=30 * len(frame))
    return _titled(chart, title, subtitle_text)


def png_bytes(chart: alt.Chart) -> bytes:
    """The chart as a PNG (white background, 2x scale)."""
    buffer = io.BytesIO()
    chart.configure(background="white").configure_view(stroke=None).save(
        buffer, format="png", scale_factor=SCALE)
    return buffer.getvalue()


def _cell(value) -> str:
    if isinstance(value, (float, np.floating)):
        return "" if np.isnan(value) else f"{value:.3f}"
    return str(value)


def _titled(chart: alt.Chart, title: str, subtitle_text: str) -> alt.Chart:
    import altair as alt

    return chart.properties(title=alt.TitleParams(
        title, subtitle=subtitle_text, fontSize=22, subtitleFontSize=14, anchor="start",
        subtitleColor="#4b5563", offset=14))
