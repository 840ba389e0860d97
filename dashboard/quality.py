"""The Training & quality tab: a headline, the metrics table, and each model's curves."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from dashboard.state import artifact_json
from recdemo import RecdemoError, report
from recdemo.models import DISPLAY_NAMES

PROTOCOL_HELP = (
    "Protocol: for each of the users, the last movie they rated is held out. Every model ranks "
    "the whole catalogue (minus what the user already watched) and we count how often the "
    "held-out movie lands in the top 10 (HR@10, the hit rate) and how high (NDCG@10 rewards "
    "rank 1 most). Ties count against the model. Each model was trained with several random "
    "seeds; the table shows their mean ± standard deviation. Epochs and settings were chosen "
    "on a separate validation movie (the second to last), never on the test movie.")


def summaries(folders: dict[str, str]) -> dict[str, dict]:
    """`report.summary` of each served artifact."""
    return {key: report.summary(artifact_json(folder, "metrics.json"))
            for key, folder in folders.items()}


def best_against_popular(rows: dict[str, dict]) -> tuple[str, float, float]:
    """`(model key, its test HR@10, most-popular's)` for the model with the best hit rate."""
    best = max(rows, key=lambda k: rows[k]["test"]["hr@10"])
    return best, rows[best]["test"]["hr@10"], rows[best]["most_popular"]["test"]["hr@10"]


def headline(rows: dict[str, dict]) -> None:
    """The best model's hit rate as a multiple of most-popular's, in plain words."""
    best, hr, popular = best_against_popular(rows)
    st.markdown(f"### {DISPLAY_NAMES[best]} finds the movie a user watches next "
                f"**{hr / popular:.1f}×** as often as recommending the most popular movies",
                help=PROTOCOL_HELP)
    st.caption(f"Its top 10 holds the held-out next movie for {hr:.0%} of users; the most "
               f"popular ten hold it for {popular:.0%}.")


def metrics_frame(rows: dict[str, dict]) -> pd.DataFrame:
    """One row per model plus most-popular, with words for column names."""
    table = []
    for key, row in rows.items():
        test, std = row["test"], row["test_std"]
        spread = f"± {std['hr@10']:.3f} over {row['seeds']} seeds" if std["hr@10"] else ""
        table.append({"model": DISPLAY_NAMES[key], "hit rate @10": test["hr@10"],
                      "spread": spread, "NDCG@10": test["ndcg@10"],
                      "× most popular": test["hr@10"] / row["most_popular"]["test"]["hr@10"]})
    popular = next(iter(rows.values()))["most_popular"]["test"]
    table.append({"model": "Most popular", "hit rate @10": popular["hr@10"],
                  "spread": "deterministic", "NDCG@10": popular["ndcg@10"],
                  "× most popular": 1.0})
    return pd.DataFrame(table)


def quality_tab(page) -> None:
    """Headline, metrics table, curves and provenance of the served artifacts."""
    try:
        rows = summaries(page.folders)
    except RecdemoError as exc:
        st.error(str(exc))
        return
    headline(rows)
    st.dataframe(metrics_frame(rows), hide_index=True, width="stretch", column_config={
        "hit rate @10": st.column_config.NumberColumn(format="%.3f", help=PROTOCOL_HELP),
        "spread": st.column_config.TextColumn(
            help="Standard deviation of the hit rate over training seeds."),
        "NDCG@10": st.column_config.NumberColumn(
            format="%.3f", help="Like the hit rate, but a hit at rank 1 counts 1, at rank 10 "
                                "about 0.29."),
        "× most popular": st.column_config.NumberColumn(format="%.2f×")})
    for key, folder in page.folders.items():
        try:
            model_curves(key, folder)
        except (RecdemoError, KeyError, TypeError, ValueError) as exc:
            st.warning(f"{DISPLAY_NAMES[key]}: training record unreadable ({exc}).")


def model_curves(key: str, folder: str) -> None:
    """Loss and validation NDCG@10 side by side, each as wide as its column."""
    from dashboard import charts  # Altair (~0.2 s): imported when a chart is drawn

    history = artifact_json(folder, "history.json")
    provenance = artifact_json(folder, "provenance.json")
    config = artifact_json(folder, "config.json")
    runs = artifact_json(folder, "metrics.json").get("seeds", [])
    refit = any(run.get("refit") for run in runs if run.get("seed") == provenance["seed"])
    st.markdown(f"#### {DISPLAY_NAMES[key]}")
    best = provenance.get("best_epoch")
    left, right = st.columns(2)
    left.altair_chart(charts.loss_chart(history, best), width="stretch")
    right.altair_chart(charts.ndcg_chart(history, best), width="stretch")
    note = (f" Then retrained on train + validation for {best} epochs (the curves show the "
            "selection run)." if refit else "")
    with st.expander(f"{DISPLAY_NAMES[key]}: how it was trained"):
        st.markdown(
            f"Trained {provenance['created_at']} on {provenance['device']}, "
            f"{provenance['epochs_run']} epochs (selected: {best}), seed {provenance['seed']}, "
            f"{provenance['wall_seconds']} s.{note}")
        st.json({"model": config["config"], "training": config["train"],
                 "data sha256": json.dumps(provenance["data_sha256"])}, expanded=False)
