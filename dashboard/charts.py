"""Altair charts: training curves and the embedding map. They size to their container and use
colours that read on both the light and the dark theme.

Altair is imported inside the functions that build a chart: importing it is a large part of
the page's start-up, and the first view (a user's top-10) draws no chart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import altair as alt

CURVE_LABELS = {"train_loss": "training loss", "val_loss": "validation loss"}
# Fixed per curve, so that neither theme swaps them.
CURVE_COLOURS = {"training loss": "#3b82f6", "validation loss": "#f97316"}
SELECTED_COLOUR = "#a855f7"
ROLE_COLOURS = {"history": "#3b82f6", "top 10": "#f97316", "held out": "#16a34a",
                "your taste": "#e11d48"}
ROLE_SHAPES = {"history": "square", "top 10": "diamond", "held out": "circle",
               "your taste": "circle"}
ROLE_SIZES = {"history": 45, "top 10": 170, "held out": 260, "your taste": 160}
CATALOGUE_COLOUR = "#9ca3af"
# The embedding map's height: with the tabs above it, it fits a 1280x720 projector.
MAP_HEIGHT = 400


def _title(text: str, about: str, best_epoch: int | None) -> alt.TitleParams:
    """The chart's title and, under it, what it shows: an exported PNG says which model on
    which data, and the dashed line is explained here rather than labelled over the curves."""
    import altair as alt

    lines = [about] if about else []
    if best_epoch:
        lines.append(f"dashed: the selected epoch ({best_epoch})")
    # A mid grey: Streamlit themes the title, not the subtitle, and this reads on both.
    return alt.TitleParams(text, subtitle=lines, anchor="start", subtitleColor="#8b949e")


def _selected_epoch_rule(best_epoch: int | None) -> alt.Chart | None:
    import altair as alt

    if not best_epoch:
        return None
    marker = pd.DataFrame({"epoch": [best_epoch]})
    return alt.Chart(marker).mark_rule(strokeDash=[4, 3], color=SELECTED_COLOUR).encode(
        x="epoch:Q", tooltip=alt.Tooltip("epoch:Q", title="selected epoch"))


def loss_chart(history: list[dict], best_epoch: int | None = None, about: str = "") -> alt.Chart:
    """Training and validation loss per epoch, the selected epoch marked.

    Args:
        about: which model on which data (`SASRec · ml-100k`), under the title.
    """
    import altair as alt

    frame = pd.DataFrame(history)
    long = frame.melt("epoch", list(CURVE_LABELS), var_name="curve", value_name="loss")
    long["curve"] = long["curve"].map(CURVE_LABELS)
    curves = list(CURVE_COLOURS)
    chart = alt.Chart(long, title=_title("Loss", about, best_epoch)).mark_line(
        point=True).encode(
        x=alt.X("epoch:Q", title="epoch", scale=alt.Scale(domainMin=1)),
        y=alt.Y("loss:Q", title="loss", scale=alt.Scale(zero=False)),
        color=alt.Color("curve:N", title=None, scale=alt.Scale(
            domain=curves, range=[CURVE_COLOURS[c] for c in curves]),
            legend=alt.Legend(orient="bottom", labelLimit=0, direction="horizontal")),
        tooltip=["epoch", "curve", alt.Tooltip("loss:Q", format=".4f")])
    rule = _selected_epoch_rule(best_epoch)
    return (chart + rule if rule is not None else chart).properties(height=240)


def ndcg_chart(history: list[dict], best_epoch: int | None = None, about: str = "") -> alt.Chart:
    """Validation NDCG@10 per epoch (what selects the epoch), the selected epoch marked."""
    import altair as alt

    frame = pd.DataFrame(history)
    chart = alt.Chart(frame, title=_title("Validation NDCG@10", about, best_epoch)).mark_line(
        point=True, color="#22a05a").encode(
        x=alt.X("epoch:Q", title="epoch", scale=alt.Scale(domainMin=1)),
        y=alt.Y("val_ndcg10:Q", title="validation NDCG@10"),
        tooltip=["epoch", alt.Tooltip("val_ndcg10:Q", title="NDCG@10", format=".4f")])
    rule = _selected_epoch_rule(best_epoch)
    return (chart + rule if rule is not None else chart).properties(height=240)


def embedding_map(points: pd.DataFrame, taste: tuple[float, float] | None,
                  extent_x: tuple[float, float], extent_y: tuple[float, float],
                  height: int = MAP_HEIGHT, dark: bool = False) -> alt.Chart:
    """The whole catalogue faintly; the history, top 10 (rank labels beside them) and a
    revealed held-out movie on top; the query as an arrow from the catalogue's centre.

    Args:
        points: columns `x`, `y` (already inside the view), `title`, `genres`, `role`
            (`catalogue`, `history`, `top 10`, `held out`), `label`, `label_x`, `label_y`
            (rank labels' centres), `outside` (True where the point was moved to the edge).
        taste: the arrow's tip (`recdemo.embedding_map.taste_direction`), or None.
        dark: the dark theme is on (labels get a halo of the background's colour).
    """
    import altair as alt

    halo = {"stroke": "#0e1117" if dark else "#ffffff", "strokeWidth": 3, "strokeOpacity": 0.85}
    x_scale, y_scale = alt.Scale(domain=list(extent_x)), alt.Scale(domain=list(extent_y))
    x = alt.X("x:Q", title="first principal component", scale=x_scale)
    y = alt.Y("y:Q", title="second principal component", scale=y_scale)
    where = alt.Tooltip("where:N", title="position")
    points = points.assign(where=np.where(points["outside"], "outside the view: drawn at its "
                                          "edge", "as the model places it"))
    catalogue = alt.Chart(points[points.role == "catalogue"]).mark_circle(
        size=22, opacity=0.35, color=CATALOGUE_COLOUR).encode(
        x=x, y=y, tooltip=[alt.Tooltip("title:N", title="movie"), "genres:N", where])
    shown = points[points.role != "catalogue"]
    # The legend lists what is on screen only.
    roles = [r for r in ROLE_COLOURS if r in set(shown.role) or (r == "your taste" and taste)]
    colour = alt.Scale(domain=roles, range=[ROLE_COLOURS[r] for r in roles])
    marks = alt.Chart(shown).mark_point(filled=True, opacity=0.9).encode(
        x=x, y=y,
        color=alt.Color("role:N", title=None, scale=colour,
                        legend=alt.Legend(orient="top", symbolSize=150)),
        shape=alt.Shape("role:N", scale=alt.Scale(
            domain=roles, range=[ROLE_SHAPES[r] for r in roles]), legend=None),
        size=alt.Size("role:N", scale=alt.Scale(domain=roles, range=[ROLE_SIZES[r] for r in roles]),
                      legend=None),
        tooltip=[alt.Tooltip("title:N", title="movie"), "role:N", "genres:N", where])
    labelled = shown[shown.label != ""]
    leaders = alt.Chart(labelled).mark_rule(strokeWidth=0.8, opacity=0.6).encode(
        x=x, y=y, x2="label_x:Q", y2="label_y:Q",
        color=alt.Color("role:N", scale=colour, legend=None))
    # Two text layers: the halo under the text keeps a label legible over the markers.
    halo_text = alt.Chart(labelled).mark_text(fontSize=13, fontWeight="bold", **halo).encode(
        x=alt.X("label_x:Q", scale=x_scale), y=alt.Y("label_y:Q", scale=y_scale),
        text="label:N")
    labels = alt.Chart(labelled).mark_text(fontSize=13, fontWeight="bold").encode(
        x=alt.X("label_x:Q", scale=x_scale), y=alt.Y("label_y:Q", scale=y_scale),
        text="label:N", color=alt.Color("role:N", scale=colour, legend=None))
    layers = [catalogue, marks, leaders, halo_text, labels]
    if taste is not None:
        arrow = pd.DataFrame({"x": [0.0], "y": [0.0], "x2": [taste[0]], "y2": [taste[1]],
                              "role": ["your taste"],
                              "title": ["your taste: movies further along the arrow score "
                                        "higher (in these two dimensions)"]})
        tip = {"color": ROLE_COLOURS["your taste"]}
        layers += [
            alt.Chart(arrow).mark_rule(strokeWidth=3, **tip).encode(
                x=x, y=y, x2="x2:Q", y2="y2:Q", tooltip=alt.Tooltip("title:N", title="")),
            alt.Chart(arrow).mark_point(shape="circle", filled=True, size=160, **tip).encode(
                x=alt.X("x2:Q", scale=x_scale), y=alt.Y("y2:Q", scale=y_scale),
                color=alt.Color("role:N", scale=colour, legend=None),
                tooltip=alt.Tooltip("title:N", title="")),
            *(alt.Chart(arrow).mark_text(align="left", dx=9, dy=-9, fontSize=13,
                                         fontWeight="bold", **style).encode(
                x=alt.X("x2:Q", scale=x_scale), y=alt.Y("y2:Q", scale=y_scale),
                text=alt.value("your taste")) for style in ({**tip, **halo}, tip))]
    return alt.layer(*layers).properties(height=height).interactive()


def attention_chart(top: pd.DataFrame) -> alt.Chart:
    """`attention.most_attended` as horizontal bars, heaviest first, whole titles."""
    import altair as alt

    frame = top.assign(watch=[f"{movie} · #{recency} most recent"
                              for movie, recency in zip(top["movie"], top["recency"])])
    return alt.Chart(frame).mark_bar(color=CURVE_COLOURS["training loss"]).encode(
        x=alt.X("weight:Q", title="attention weight", axis=alt.Axis(format="%", tickCount=5)),
        y=alt.Y("watch:N", sort="-x", title=None,
                axis=alt.Axis(labelLimit=420, labelOverlap=False)),
        tooltip=[alt.Tooltip("movie:N"), alt.Tooltip("recency:Q", title="recency"),
                 alt.Tooltip("weight:Q", format=".1%")],
    ).properties(height=alt.Step(26))
