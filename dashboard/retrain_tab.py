"""The Retrain tab: start a background run, watch every phase, judge it on validation data,
and choose what this session serves."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import charts
from dashboard.state import K, artifact_json, offered_models, paired, recommender, served_folder
from recdemo import RecdemoError, artifacts, insights, retrain, verdict
from recdemo.models import DISPLAY_NAMES, MODELS, preset

LEARNING_RATES = [3e-4, 1e-3, 2e-3, 3e-3, 4e-3, 5e-3, 6e-3, 1e-2]
OUTCOME_ICONS = {verdict.BETTER: ":material/trending_up:",
                 verdict.WORSE: ":material/trending_down:",
                 verdict.NO_DIFFERENCE: ":material/drag_handle:",
                 verdict.MIXED: ":material/swap_vert:"}
PHASES = {"preparing": "Preparing the data and the model", "training": "Training",
          "refit": "Refitting on train + validation", "evaluating": "Evaluating",
          "saving": "Saving"}


def _settings(model_key: str) -> dict:
    """This session's last retrain settings for a model (its quick preset at first)."""
    remembered = st.session_state.setdefault("retrain_settings", {})
    if model_key not in remembered:
        model, train = preset("quick", model_key)
        remembered[model_key] = {"epochs": train["epochs"],
                                 "learning_rate": train["learning_rate"],
                                 "embedding_dim": model["embedding_dim"]}
    return remembered[model_key]


def retrain_tab(page) -> None:
    """The running run (whoever started it), else this session's finished run with its verdict
    at the top, then the form and the earlier runs."""
    running = retrain.running_run()
    folder = st.session_state.get("run_folder")
    if running is not None:
        if folder != str(running):
            st.info("A model is being trained right now by another visitor; its progress is "
                    "below. Retrain is available when it finishes.")
        live_progress(running)
    elif folder and Path(folder).is_dir():
        progress = retrain.read_progress(Path(folder))
        show_progress(Path(folder), progress)
        if progress["status"] == "done":
            run_result(Path(folder), page)
    switched = st.session_state.get("last_switch")
    if switched:
        show_switch(switched, page)
    if running is None:
        retrain_form(page.dataset.name)
    earlier_runs(page.dataset.name)


def follow_model_on_screen() -> None:
    """The model picker of the form starts at, and follows, the model on screen."""
    state = st.session_state
    on_screen = state.get("model")
    if on_screen in MODELS and state.get("retrain_follows") != on_screen:
        state.retrain_model = on_screen
    state.retrain_follows = on_screen


def retrain_form(dataset_name: str) -> None:
    """Model and settings; the values are remembered per model for this session."""
    follow_model_on_screen()
    model_key = st.selectbox("Model to retrain", offered_models(dataset_name),
                             format_func=DISPLAY_NAMES.get,
                             key="retrain_model")
    values = _settings(model_key)
    with st.form(f"retrain-{model_key}"):
        left, middle, right = st.columns(3)
        epochs = left.number_input("Epochs", 1, 100, values["epochs"])
        learning_rate = middle.select_slider("Learning rate", LEARNING_RATES,
                                             value=values["learning_rate"])
        embedding_dim = right.select_slider("Embedding size", [16, 32, 64, 128],
                                            value=values["embedding_dim"])
        submitted = st.form_submit_button("Retrain", type="primary",
                                          icon=":material/model_training:")
    measured = retrain.measured_cost(model_key, dataset_name)
    if measured is None:
        expected = (f"No {DISPLAY_NAMES[model_key]} run has been timed on this server yet: the "
                    "progress bar estimates the rest from the first epochs.")
    else:
        per_epoch, overhead = measured
        expected = (f"On this server a {DISPLAY_NAMES[model_key]} epoch took {per_epoch:.1f} s "
                    f"in its last run: {int(epochs)} epochs ≈ "
                    f"{per_epoch * int(epochs) + overhead:.0f} s.")
    st.caption(f"{expected} Training runs in a separate process on a copy (the served model is "
               "untouched), one run at a time for everyone; the shipped models are never "
               "modified.")
    if submitted:
        values.update(epochs=int(epochs), learning_rate=learning_rate,
                      embedding_dim=embedding_dim)
        try:
            st.session_state.run_folder = str(retrain.start(
                model_key, dataset_name, epochs=int(epochs), learning_rate=learning_rate,
                embedding_dim=embedding_dim))
        except RecdemoError as exc:
            st.warning(str(exc))
        else:
            st.rerun()


def earlier_runs(dataset_name: str) -> None:
    """Reopen a finished run (a closed tab or another session's run is not lost)."""
    finished = [str(f) for f in retrain.list_finished(dataset_name=dataset_name)]
    if not finished:
        return

    def describe(folder: str) -> str:
        try:
            request = retrain.read_request(Path(folder))
            return (f"{Path(folder).name[:15]} · {DISPLAY_NAMES[request['model']]}, "
                    f"{request['epochs']} epochs, lr {request['learning_rate']}, "
                    f"size {request['embedding_dim']}")
        except (RecdemoError, KeyError):
            return Path(folder).name

    with st.container(horizontal=True, vertical_alignment="bottom"):
        chosen = st.selectbox("Finished runs", finished, format_func=describe,
                              key="earlier_run", width="stretch")
        st.button("Open run", key="open-run", width="content",
                  on_click=lambda: st.session_state.update(run_folder=chosen))


def phase_text(progress: dict, now: float | None = None) -> str:
    """`Training: epoch 3/8 · 21 s elapsed · about 35 s left` while a run trains; a finished,
    failed or cancelled run shows its own duration (the clock stops when the run does) and no
    estimate."""
    now = now or time.time()
    status = progress.get("status", "starting")
    phase = progress.get("phase", "preparing")
    epochs, epoch = max(int(progress.get("epochs") or 1), 1), int(progress.get("epoch") or 0)
    started, ended = progress.get("started_at"), progress.get("finished_at")
    if status not in retrain.ACTIVE:
        text = {"done": "Finished", "cancelled": f"Cancelled after epoch {epoch}/{epochs}",
                "failed": f"Failed after epoch {epoch}/{epochs}"}.get(status, status)
        if started and ended:
            text += f" · took {max(ended - started, 0):.0f} s"
        return text
    text = PHASES.get(phase, phase)
    if phase == "training":
        text += f": epoch {epoch}/{epochs}"
    if started:
        text += f" · {now - started:.0f} s elapsed"
    history = progress.get("history") or []
    if phase == "training" and history:
        text += f" · about {retrain.seconds_per_epoch(history) * (epochs - epoch) + 5:.0f} s left"
    return text


def show_progress(folder: Path, progress: dict) -> None:
    """The phase line, a progress bar, the live curves, and any failure."""
    status = progress["status"]
    epochs = max(int(progress.get("epochs") or 1), 1)
    fraction = 1.0 if status == "done" else min(int(progress.get("epoch") or 0) / epochs, 0.99)
    try:
        model = DISPLAY_NAMES[retrain.read_request(folder)["model"]]
    except (RecdemoError, KeyError):
        model = "Run"
    st.progress(fraction, text=f"{model} — {phase_text(progress)}")
    history = progress.get("history") or []
    if history:
        left, right = st.columns(2)
        about = f"{model} retrained on {st.session_state.dataset} (this run)"
        left.altair_chart(charts.loss_chart(history, about=about), width="stretch")
        right.altair_chart(charts.ndcg_chart(history, about=about), width="stretch")
    if status == "failed":
        st.error(f"Training failed: {progress.get('error', 'unknown error')}")
    elif status == "cancelled":
        st.warning("The run was cancelled.")


@st.fragment(run_every=1.0)
def live_progress(folder: Path) -> None:
    """Poll the running run every second; only this fragment reruns. When it ends, the whole
    page reruns once to show the result."""
    progress = retrain.read_progress(folder)
    show_progress(folder, progress)
    if progress["status"] in retrain.ACTIVE:
        st.button("Cancel training", icon=":material/stop_circle:", key="cancel-run",
                  on_click=retrain.cancel, args=(folder,))
    else:
        st.session_state.run_folder = str(folder)
        st.rerun()


def validation_row(label: str, folder: str) -> dict:
    """Validation metrics of one artifact (never test: this table helps choose)."""
    valid = artifact_json(folder, "metrics.json")["valid"]
    return {"model": label, "validation hit rate @10": valid["hr@10"],
            "validation NDCG@10": valid["ndcg@10"]}


def run_verdict(artifact: str, served: str, model_key: str, dataset_name: str):
    """The run against the served model on validation only, per user with a bootstrap
    interval; None (with the reason shown) when the served model's per-user validation ranks
    are unknown."""
    comparisons = paired(artifact, served, "valid", dataset_name)
    if comparisons is None:
        st.info(f"The served {DISPLAY_NAMES[model_key]} has no per-user validation ranks (it "
                "was refitted on train + validation before they were recorded), so the two "
                "cannot be compared user by user; the table below only sets the means side "
                "by side.")
        return None
    return verdict.verdict(comparisons, "this run", f"the served {DISPLAY_NAMES[model_key]}",
                           "on validation")


def run_result(folder: Path, page) -> None:
    """The verdict on validation data, and use / keep."""
    model_key = retrain.read_request(folder)["model"]
    artifact = str(folder / "artifact")
    served, shipped = served_folder(model_key), str(artifacts.artifact_dir(
        model_key, page.dataset.name))
    try:
        rows = [validation_row("this run", artifact), validation_row("now serving", served)]
        if served != shipped:
            rows.append(validation_row("shipped", shipped))
        judged = None if served == artifact else run_verdict(
            artifact, served, model_key, page.dataset.name)
    except (RecdemoError, KeyError, TypeError, ValueError) as exc:
        st.error(f"The run's metrics are unreadable: {exc}")
        return
    better = judged is not None and judged.outcome == verdict.BETTER
    if judged is not None:
        {verdict.BETTER: st.success, verdict.WORSE: st.warning}.get(
            judged.outcome, st.info)(judged.sentence, icon=OUTCOME_ICONS[judged.outcome])
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", column_config={
        c: st.column_config.NumberColumn(format="%.4f")
        for c in ("validation hit rate @10", "validation NDCG@10")})
    st.caption("Validation data (each user's second-to-last movie) judges runs; the test movie "
               "stays reserved for the reported results. A difference counts only when its "
               "95 % bootstrap interval over users excludes zero.")
    if served == artifact:
        return
    use, keep = st.columns(2)
    use.button("Use new model", type="primary" if better else "secondary", key="use-new",
               width="stretch", on_click=use_run, args=(model_key, artifact, page.query))
    keep.button("Keep current", type="secondary" if better else "primary", key="keep-current",
                width="stretch", on_click=lambda: st.session_state.update(run_folder=None))


def use_run(model_key: str, artifact: str, query: dict) -> None:
    """Serve the run in this session, remembering the top-10 before and after."""
    state = st.session_state
    before = after = []
    try:
        old = recommender(served_folder(model_key), state.dataset)
        new = recommender(artifact, state.dataset)
        before = [r.movie_id for r in old.recommend(**query, k=K)]
        after = [r.movie_id for r in new.recommend(**query, k=K)]
    except RecdemoError:
        pass
    state.served = {**state.served, model_key: artifact}
    state.last_switch = {"model": model_key, "before": before, "after": after}
    state.run_folder = None


def show_switch(switched: dict, page) -> None:
    """What changed in the top-10 when this session switched model (stays visible)."""
    titles = page.dataset.movies["title"]
    diff = insights.diff_top_k(switched["before"], switched["after"])
    st.markdown(f"**Now serving the retrained {DISPLAY_NAMES[switched['model']]}.** Its top 10 "
                "for the view you were on, before → after:")
    rows = [{"movie": titles[m], "change": "new"} for m in diff.new]
    rows += [{"movie": titles[m], "change": f"rank {a} → {b}"} for m, a, b in diff.moved]
    rows += [{"movie": titles[m], "change": "dropped"} for m in diff.dropped]
    rows += [{"movie": titles[m], "change": "same rank"} for m in diff.unchanged]
    st.dataframe(pd.DataFrame(rows, columns=["movie", "change"]), hide_index=True,
                 width="stretch")
