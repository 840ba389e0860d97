"""The Training & quality tab: a headline, the metrics table, and each model's curves."""

from __future__ import annotations

import json

import streamlit as st

from dashboard.export import export_buttons
from dashboard.segments_view import where_models_win
from dashboard.state import POPULAR, artifact_json, paired
from dashboard.widgets import pick_pair
from recdemo import RecdemoError, artifacts, report, slides, verdict
from recdemo.models import DISPLAY_NAMES, MODELS

PROTOCOL_HELP = (
    "Protocol: for each of the users, the last movie they rated is held out. Every model ranks "
    "the whole catalogue (minus what the user already watched) and we count how often the "
    "held-out movie lands in the top 10 (HR@10, the hit rate) and how high (NDCG@10 rewards "
    "rank 1 most). Ties count against the model. Each model was trained with several random "
    "seeds; the table shows the served weights' own numbers and the recipe's mean ± standard "
    "deviation. Epochs, settings and the headline's model were chosen on a separate "
    "validation movie (the second to last), never on the test movie.")


def summaries(folders: dict[str, str]) -> dict[str, dict]:
    """`report.summary` of each artifact."""
    return {key: report.summary(artifact_json(folder, "metrics.json"))
            for key, folder in folders.items()}


def shipped_folders(dataset_name: str) -> dict[str, str]:
    """Every shipped model's artifact: what the headline reports, whatever a session serves."""
    folders = {key: artifacts.artifact_dir(key, dataset_name) for key in MODELS}
    return {key: str(folder) for key, folder in folders.items() if folder.exists()}


def headline_comparison(dataset_name: str):
    """`(model key, comparison with most-popular on test)` for the shipped model with the best
    validation NDCG@10 (chosen on validation, reported on test), or None when its per-user
    test ranks are unknown."""
    folders = shipped_folders(dataset_name)
    best = report.best_on_validation(summaries(folders))
    comparisons = paired(folders[best], POPULAR, "test", dataset_name)
    return (best, comparisons) if comparisons else None


def headline(dataset_name: str) -> None:
    """The best shipped model's hit rate against most-popular's, with its interval."""
    found = headline_comparison(dataset_name)
    if found is None:
        return
    best, comparisons = found
    sentence = report.headline_sentence(DISPLAY_NAMES[best], comparisons["hr@10"])
    st.markdown(f"##### {sentence}", help=PROTOCOL_HELP)


def served_rows(folders: dict[str, str], dataset_name: str) -> tuple[dict, dict]:
    """`(metrics, labels)` of the served models; a retrained one gets the shipped one beside
    it, each labelled for what it is."""
    shipped = shipped_folders(dataset_name)
    metrics, labels = {}, {}
    for key, folder in folders.items():
        if folder != shipped[key]:
            metrics[f"{key}:run"] = artifact_json(folder, "metrics.json")
            labels[f"{key}:run"] = f"{DISPLAY_NAMES[key]} (retrained here, serving)"
            metrics[key] = artifact_json(shipped[key], "metrics.json")
            labels[key] = f"{DISPLAY_NAMES[key]} (shipped)"
        else:
            metrics[key] = artifact_json(folder, "metrics.json")
            labels[key] = DISPLAY_NAMES[key]
    return metrics, labels


def quality_tab(page) -> None:
    """Headline, metrics table, curves and provenance of the served artifacts."""
    try:
        if st.session_state.get("present"):  # the page's own headline is hidden then
            headline(page.dataset.name)
        metrics, labels = served_rows(page.folders, page.dataset.name)
        frame = report.metrics_frame(metrics, labels)
    except (RecdemoError, KeyError, TypeError, ValueError) as exc:
        st.error(f"The models' metrics are unreadable: {exc}")
        return
    st.dataframe(frame, hide_index=True, width="stretch", column_config={
        "hit rate @10": st.column_config.NumberColumn(format="%.3f", help=PROTOCOL_HELP),
        "recipe's hit rate": st.column_config.TextColumn(
            help="The training recipe's test hit rate: mean ± standard deviation over its "
                 "seeds. The other columns are the served weights' own (one seed, chosen on "
                 "validation)."),
        "validation NDCG@10": st.column_config.NumberColumn(
            format="%.3f", help="What runs and epochs are chosen on (retrain verdicts too); "
                                "the test columns are reported, never used to choose."),
        "NDCG@10": st.column_config.NumberColumn(
            format="%.3f", help="Like the hit rate, but a hit at rank 1 counts 1, at rank 10 "
                                "about 0.29."),
        "× most popular": st.column_config.NumberColumn(format="%.2f×")})
    title = f"Held-out quality of the models on {page.dataset.name}"
    protocol = (f"{page.dataset.name} · leave-one-out: each user's last movie, ranked against "
                f"the whole catalogue minus what they watched · test split")
    export_buttons("quality", title, page, frame, lambda title, sub: slides.table_chart(
        report.slide_frame(frame), title, sub, cell_width=190), subtitle=protocol)
    compare_models(page)
    where_models_win(page)
    for key, folder in page.folders.items():
        try:
            model_curves(key, folder, page.dataset.name)
        except (RecdemoError, KeyError, TypeError, ValueError) as exc:
            st.warning(f"{DISPLAY_NAMES[key]}: training record unreadable ({exc}).")


def model_curves(key: str, folder: str, dataset_name: str) -> None:
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
    about = f"{DISPLAY_NAMES[key]} on {dataset_name} (seed {provenance['seed']})"
    left.altair_chart(charts.loss_chart(history, best, about), width="stretch")
    right.altair_chart(charts.ndcg_chart(history, best, about), width="stretch")
    note = (f" Then retrained on train + validation for {best} epochs (the curves show the "
            "selection run)." if refit else "")
    with st.expander(f"{DISPLAY_NAMES[key]}: how it was trained"):
        st.markdown(
            f"Trained {provenance['created_at']} on {provenance['device']}, "
            f"{provenance['epochs_run']} epochs (selected: {best}), seed {provenance['seed']}, "
            f"{provenance['wall_seconds']} s.{note}")
        st.json({"model": config["config"], "training": config["train"],
                 "data sha256": json.dumps(provenance["data_sha256"])}, expanded=False)


def compare_models(page) -> None:
    """Is the difference real? Any two served models (or most-popular), user by user on the
    test movies, with a bootstrap interval."""
    options = [*page.folders, POPULAR]
    names = {**{k: DISPLAY_NAMES[k] for k in page.folders}, POPULAR: "Most popular"}
    st.markdown("#### Is the difference real?")
    pair = pick_pair(options, names, ("paired_a", "paired_b"), "against")
    if pair is None:
        return
    a, b = pair
    sources = {**page.folders, POPULAR: POPULAR}
    comparisons = paired(sources[a], sources[b], "test", page.dataset.name)
    if comparisons is None:
        st.info("Per-user test ranks are not known for one of these models.")
        return
    said = verdict.verdict(comparisons, names[a], names[b], "on the test movies")
    st.markdown(said.sentence, help="Each user's held-out movie is ranked by both models; "
                "the interval comes from resampling the users 2,000 times (paired bootstrap). "
                "'No detectable difference' means the interval includes zero.")

