"""Altair charts: training curves and the embedding map. They size to their container and use
colours that read on both the light and the dark theme."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

CURVE_LABELS = {"train_loss": "training loss", "val_loss": "validation loss"}
ROLE_COLOURS = {"history": "#3b82f6", "top 10": "#f97316", "query": "#e11d48"}
ROLE_SHAPES = {"history": "square", "top 10": "diamond", "query": "cross"}
CATALOGUE_COLOUR = "#9ca3af"


def _selected_epoch_rule(best_epoch: int | None) -> alt.Chart | None:
    if not best_epoch:
        return None
    marker = pd.DataFrame({"epoch": [best_epoch], "label": [f"selected epoch {best_epoch}"]})
    rule = alt.Chart(marker).mark_rule(strokeDash=[4, 3], color="#a855f7").encode(x="epoch:Q")
    # Left of the rule: the selected epoch is often the last one, at the chart's right edge.
    text = alt.Chart(marker).mark_text(align="right", dx=-4, dy=-6, color="#a855f7").encode(
        x="epoch:Q", y=alt.value(8), text="label:N")
    return rule + text


def loss_chart(history: list[dict], best_epoch: int | None = None) -> alt.Chart:
    """Training and validation loss per epoch, the selected epoch marked."""
    frame = pd.DataFrame(history)
    long = frame.melt("epoch", list(CURVE_LABELS), var_name="curve", value_name="loss")
    long["curve"] = long["curve"].map(CURVE_LABELS)
    chart = alt.Chart(long, title="Loss").mark_line(point=True).encode(
        x=alt.X("epoch:Q", title="epoch", scale=alt.Scale(domainMin=1)),
        y=alt.Y("loss:Q", title="loss", scale=alt.Scale(zero=False)),
        color=alt.Color("curve:N", title=None, legend=alt.Legend(orient="bottom")),
        tooltip=["epoch", "curve", alt.Tooltip("loss:Q", format=".4f")])
    rule = _selected_epoch_rule(best_epoch)
    return (chart + rule if rule is not None else chart).properties(height=240)


def ndcg_chart(history: list[dict], best_epoch: int | None = None) -> alt.Chart:
    """Validation NDCG@10 per epoch (what selects the epoch), the selected epoch marked."""
    frame = pd.DataFrame(history)
    chart = alt.Chart(frame, title="Validation NDCG@10").mark_line(
        point=True, color="#22a05a").encode(
        x=alt.X("epoch:Q", title="epoch", scale=alt.Scale(domainMin=1)),
        y=alt.Y("val_ndcg10:Q", title="validation NDCG@10"),
        tooltip=["epoch", alt.Tooltip("val_ndcg10:Q", title="NDCG@10", format=".4f")])
    rule = _selected_epoch_rule(best_epoch)
    return (chart + rule if rule is not None else chart).properties(height=240)


def robust_domain(values: np.ndarray, highlighted: np.ndarray) -> tuple[float, float]:
    """An axis range holding the middle 98 % of the catalogue and every highlighted point that
    is not a far outlier, so one stray point cannot squeeze the map into a corner."""
    low, high = np.percentile(values, [1, 99])
    span = high - low or 1.0
    near = highlighted[(highlighted > low - span) & (highlighted < high + span)]
    low, high = min(low, *near) if near.size else low, max(high, *near) if near.size else high
    pad = 0.05 * (high - low or 1.0)
    return float(low - pad), float(high + pad)


def embedding_map(points: pd.DataFrame) -> alt.Chart:
    """The whole catalogue faintly, the history, top 10 and query on top, labelled.

    Args:
        points: columns `x`, `y`, `title`, `genres`, `role` (`catalogue`, `history`, `top 10`
            or `query`) and `label` (short text for highlighted points, else empty).
    """
    highlighted = points[points.role != "catalogue"]
    x_domain = robust_domain(points.x.to_numpy(), highlighted.x.to_numpy())
    y_domain = robust_domain(points.y.to_numpy(), highlighted.y.to_numpy())
    clipped = points.assign(x=points.x.clip(*x_domain), y=points.y.clip(*y_domain))
    x = alt.X("x:Q", title="first principal component", scale=alt.Scale(domain=x_domain))
    y = alt.Y("y:Q", title="second principal component", scale=alt.Scale(domain=y_domain))
    catalogue = alt.Chart(clipped[clipped.role == "catalogue"]).mark_circle(
        size=22, opacity=0.35, color=CATALOGUE_COLOUR).encode(
        x=x, y=y, tooltip=[alt.Tooltip("title:N", title="movie"), "genres:N"])
    roles = list(ROLE_COLOURS)
    marks = alt.Chart(clipped[clipped.role != "catalogue"]).mark_point(
        filled=True, opacity=0.9).encode(
        x=x, y=y,
        color=alt.Color("role:N", title=None, scale=alt.Scale(
            domain=roles, range=list(ROLE_COLOURS.values())),
            legend=alt.Legend(orient="top", symbolSize=150)),
        shape=alt.Shape("role:N", scale=alt.Scale(domain=roles, range=list(
            ROLE_SHAPES.values())), legend=None),
        size=alt.Size("role:N", scale=alt.Scale(domain=roles, range=[45, 170, 260]),
                      legend=None),
        tooltip=[alt.Tooltip("title:N", title="movie"), "role:N", "genres:N"])
    labels = alt.Chart(clipped[clipped.label != ""]).mark_text(
        align="left", dx=7, dy=-7, fontSize=13, fontWeight="bold").encode(
        x=x, y=y, text="label:N",
        color=alt.Color("role:N", scale=alt.Scale(domain=roles,
                                                  range=list(ROLE_COLOURS.values())),
                        legend=None))
    return (catalogue + marks + labels).properties(height=520).interactive()
