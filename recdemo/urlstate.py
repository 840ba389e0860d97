"""The dashboard's view as a URL query string: parsed defensively, serialised back.

A link is hostile input: every parameter is checked against what exists (models, users, movies,
genres, tabs) and anything unusable becomes a plain-language warning instead of an exception.
Nothing here imports streamlit; the dashboard hands in `{name: [values]}`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection, Mapping

COMPARE = "compare"
MODES = ("user", "history")
MAX_VALUE_CHARS = 65536  # a 50-movie history needs ~250; longer values are not read at all
_ASCII_INT = re.compile(r"[0-9]{1,9}")


@dataclasses.dataclass
class View:
    """What the page shows; every field is already valid for the loaded dataset.

    Attributes:
        dataset: the dataset name.
        model: a model key, or `"compare"` for all of them side by side.
        mode: `"user"` (a MovieLens user) or `"history"` (a built history).
        user: the MovieLens user id (user mode).
        history: the built history, movie ids oldest first, no repeats.
        exclude_seen: hide watched movies from recommendations.
        genres: keep only recommendations with one of these genres (empty: all).
        movie: the similar-movies anchor.
        tab: the open tab.
        reveal: the held-out movie is revealed.
        present: presenter mode (compact lists, the controls folded away).
        run: the retrain run this view follows (a run folder's name).
        served: model key -> the run whose retrained model the view serves instead of the
            shipped one.
    """

    dataset: str
    model: str
    mode: str = "user"
    user: int | None = None
    history: list[int] = dataclasses.field(default_factory=list)
    exclude_seen: bool = True
    genres: list[str] = dataclasses.field(default_factory=list)
    movie: int | None = None
    tab: str | None = None
    reveal: bool = False
    present: bool = False
    run: str | None = None
    served: dict[str, str] = dataclasses.field(default_factory=dict)


def parse_int(text) -> int | None:
    """A non-negative ASCII integer of at most 9 digits, else None (`"²".isdigit()` is True
    and `int("٣")` is 3: neither is accepted)."""
    if not isinstance(text, str) or not _ASCII_INT.fullmatch(text.strip()):
        return None
    return int(text.strip())


def _first(params: Mapping[str, list[str]], name: str) -> str | None:
    values = params.get(name) or []
    value = values[-1] if values else None
    if value is not None and len(value) > MAX_VALUE_CHARS:
        return None
    return value


def parse_dataset(params: Mapping[str, list[str]], datasets: Collection[str],
                  default: str) -> tuple[str, list[str]]:
    """The dataset named by the link (checked before any data is loaded)."""
    name = _first(params, "dataset")
    if name is None or name == default:
        return default, []
    if name in datasets:
        return name, []
    return default, [f"Unknown dataset {name[:40]!r} in the link; showing {default}."]


def clean_history(ids: list[int], max_len: int) -> tuple[list[int], list[str]]:
    """De-duplicate a history keeping each movie's *most recent* watch, then keep the most
    recent `max_len`; returns the history and what was changed, in words."""
    notes = []
    kept = list(reversed(list(dict.fromkeys(reversed(ids)))))
    if len(kept) < len(ids):
        notes.append(f"{len(ids) - len(kept)} repeated movies were merged (the most recent "
                     "watch of each is kept).")
    if len(kept) > max_len:
        notes.append(f"The history has {len(kept)} distinct movies; the most recent "
                     f"{max_len} are kept.")
        kept = kept[-max_len:]
    return kept, notes


def parse_view(params: Mapping[str, list[str]], *, dataset: str, models: Collection[str],
               default_model: str, user_ids: Collection[int], movie_ids: Collection[int],
               genres: Collection[str], tabs: Collection[str], max_history: int,
               runs: Mapping[str, str] | None = None) -> tuple[View, list[str]]:
    """Read a view from query parameters; unusable values fall back to defaults with a warning.

    Args:
        params: query parameters, each name mapped to its values (as `st.query_params.get_all`).
        dataset: the already-parsed dataset name.
        models: valid model keys (`"compare"` is accepted on top).
        default_model: the model shown when the link names none or an unknown one.
        user_ids: the dataset's users; the first is the default user.
        movie_ids, genres, tabs: what exists.
        max_history: the longest history kept.
        runs: retrain runs that exist, run name -> model key (finished runs, and the one
            training now).

    Returns:
        `(view, warnings)`; warnings are one sentence each.
    """
    warnings: list[str] = []

    def pick(name: str, allowed, parse=lambda text: text, what: str | None = None,
             fallback: str = ""):
        """The parameter's value if it parses to an allowed one; else None and a warning."""
        text = _first(params, name)
        if text is None:
            return None
        value = parse(text)
        if value in allowed:
            return value
        warnings.append(f"Unknown {what or name} {text[:40]!r} in the link{fallback}.")
        return None

    view = View(dataset=dataset, model=default_model, user=min(user_ids) if user_ids else None)
    view.model = pick("model", {*models, COMPARE},
                      fallback=f"; showing {default_model}") or view.model
    view.mode = pick("mode", MODES) or view.mode
    user = pick("user", user_ids, parse_int, fallback=f"; showing user {view.user}")
    view.user = view.user if user is None else user
    view.history = _history(params, movie_ids, max_history, warnings)
    view.exclude_seen = _first(params, "seen") != "show"
    asked = params.get("genre") or []
    view.genres = [g for g in dict.fromkeys(asked) if g in genres]
    if len(view.genres) < len(set(asked)):
        warnings.append("Unknown genres in the link were ignored.")
    view.movie = pick("movie", movie_ids, parse_int)
    view.tab = pick("tab", tabs)
    view.reveal = _first(params, "reveal") == "1"
    view.present = _first(params, "present") == "1"
    runs = runs or {}
    view.run = pick("run", runs, fallback=" (it is no longer on this server)")
    view.served = _served(params.get("serve") or [], models, runs, warnings)
    return view, warnings


def _served(values: list[str], models: Collection[str], runs: Mapping[str, str],
            warnings: list[str]) -> dict[str, str]:
    """`serve=MODEL:RUN` values: each model's retrained run, when this server has that run of
    that model; otherwise the shipped model is served and the warning says so."""
    served = {}
    for value in values[:len(models) * 2]:
        model, _, run = value[:200].partition(":")
        if model not in models:
            warnings.append(f"Unknown model {model[:40]!r} in the link's served models.")
        elif runs.get(run) != model:
            warnings.append(f"The link was made while a retrained {model} (run {run[:60]!r}) "
                            f"was served; this server does not have that run, so the shipped "
                            f"{model} is shown.")
        else:
            served[model] = run
    return served


def _history(params: Mapping[str, list[str]], movie_ids: Collection[int], max_history: int,
             warnings: list[str]) -> list[int]:
    """The link's history: known ids only, repeats merged, the most recent `max_history`."""
    text = _first(params, "history")
    if text is None:
        if (params.get("history") or [None])[-1] is not None:
            warnings.append("The link's history is too long to read.")
        return []
    parts = [p for p in text.split(",") if p.strip()]
    known = [i for i in map(parse_int, parts) if i is not None and i in movie_ids]
    if len(known) < len(parts):
        warnings.append("Some movie ids in the link's history are unknown and were dropped.")
    history, notes = clean_history(known, max_history)
    warnings.extend(notes)
    return history


def to_params(view: View, default_dataset: str) -> dict[str, str | list[str]]:
    """The query parameters that reopen `view` (defaults are left out to keep links short)."""
    params: dict[str, str | list[str]] = {"model": view.model, "mode": view.mode}
    if view.dataset != default_dataset:
        params["dataset"] = view.dataset
    if view.mode == "user" and view.user is not None:
        params["user"] = str(view.user)
    elif view.mode == "history" and view.history:
        params["history"] = ",".join(map(str, view.history))
    if not view.exclude_seen:
        params["seen"] = "show"
    if view.genres:
        params["genre"] = list(view.genres)
    if view.movie is not None:
        params["movie"] = str(view.movie)
    if view.tab:
        params["tab"] = view.tab
    if view.reveal:
        params["reveal"] = "1"
    if view.present:
        params["present"] = "1"
    if view.run:
        params["run"] = view.run
    if view.served:
        params["serve"] = [f"{model}:{run}" for model, run in sorted(view.served.items())]
    return params
