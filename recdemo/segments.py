"""Where does each model win? Held-out quality by segment of users.

A segmentation puts every evaluated user in one group (a user whose held-out movie has several
genres is in each of those genre groups). Groups are derived from the train part and the
held-out movie only, never from a model's ranks, so every model is measured on the same users.

- `history length`: the user's number of train interactions, in quartiles of the users;
- `held-out popularity`: head / torso / tail, the items that make up the most-watched third
  of the train interactions, the next third and the last third;
- `held-out genre`: the held-out movie's genres (datasets with genres);
- `active span`: days between the user's first and last interaction, in quartiles (datasets
  with real timestamps).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recdemo.metrics import per_user_scores

KINDS = ("history length", "held-out popularity", "held-out genre", "active span")
POPULARITY = ("head", "torso", "tail")


def popularity_band(counts: np.ndarray) -> np.ndarray:
    """`(num_items,)` 0 head, 1 torso, 2 tail: items in decreasing popularity, cut where the
    cumulative share of train interactions passes one third and two thirds."""
    order = np.argsort(-counts, kind="stable")
    share = np.cumsum(counts[order]) / max(counts.sum(), 1)
    band = np.empty(len(counts), np.int64)
    # The item that crosses a third still belongs to the band it started in.
    band[order] = np.searchsorted([1 / 3, 2 / 3], share - counts[order] / max(counts.sum(), 1),
                                  side="right")
    return np.minimum(band, 2)


def _quartile_labels(values: np.ndarray, unit: str) -> pd.Categorical:
    """Each value's quartile of the users, labelled by its range (`12-30 items`), the
    quartiles in ascending order."""
    edges = np.unique(np.percentile(values, [25, 50, 75]))
    which = np.searchsorted(edges, values, side="right")
    labels = []
    for group in range(len(edges) + 1):
        inside = values[which == group]
        low, high = (inside.min(), inside.max()) if inside.size else (0, 0)
        labels.append(f"{low:.0f}-{high:.0f} {unit}" if low != high else f"{low:.0f} {unit}")
    return pd.Categorical(np.asarray(labels, dtype=object)[which],
                          categories=list(dict.fromkeys(labels)), ordered=True)


def user_groups(kind: str, users: np.ndarray, histories: list[np.ndarray], targets: np.ndarray,
                counts: np.ndarray, movies: pd.DataFrame | None = None,
                spans_days: np.ndarray | None = None) -> pd.DataFrame:
    """`(user, group)` rows of one segmentation (a user may be in several genre groups); the
    groups are ordered categories (quartiles ascending, head / torso / tail, genres by size),
    which is the order `segment_table` lists them in.

    Args:
        kind: one of `KINDS`.
        users, histories, targets: the evaluated users, their input histories and held-out
            movies (`LeaveOneOutSplit.cases`).
        counts: train interactions per item.
        movies: the item frame with `genres` (for `held-out genre`).
        spans_days: each user's active span in days (for `active span`).
    """
    if kind == "history length":
        groups = _quartile_labels(np.array([len(h) for h in histories]), "items")
    elif kind == "held-out popularity":
        groups = pd.Categorical.from_codes(popularity_band(counts)[targets], POPULARITY,
                                           ordered=True)
    elif kind == "held-out genre":
        genres = movies["genres"].reindex(targets)
        rows = pd.DataFrame([(u, g) for u, gs in zip(users, genres)
                             for g in (gs if gs else ("(none)",))], columns=["user", "group"])
        by_size = rows["group"].value_counts(sort=True).index.tolist()
        return rows.assign(group=pd.Categorical(rows["group"], by_size, ordered=True))
    elif kind == "active span":
        groups = _quartile_labels(np.asarray(spans_days, dtype=np.float64), "days")
    else:
        raise ValueError(f"`kind` should be one of {KINDS}. Received: {kind!r}.")
    return pd.DataFrame({"user": users, "group": groups})


def segment_table(groups: pd.DataFrame, ranks: dict[str, tuple[np.ndarray, np.ndarray]],
                  metric: str = "hr@10", min_users: int = 1) -> pd.DataFrame:
    """One row per group: its size and each model's mean `metric` over the group's users.

    Args:
        groups: `user_groups` output.
        ranks: model name -> `(users, ranks)` on the same held-out part.
        min_users: groups with fewer users are left out (too small to say anything).

    Returns:
        Columns `group`, `users`, then one per model, in the groups' order (`user_groups`).
    """
    table = groups.copy()
    for name, (users, model_ranks) in ranks.items():
        scores = pd.Series(per_user_scores(np.asarray(model_ranks), metric), index=users)
        table[name] = scores.reindex(table["user"]).to_numpy()
    out = table.groupby("group", observed=True).agg(users=("user", "size"),
                                                    **{n: (n, "mean") for n in ranks})
    out = out[out["users"] >= min_users].reset_index()
    return out.assign(group=out["group"].astype(str))


def example_users(groups: pd.DataFrame, group: str, limit: int = 8,
                  seed: int = 0) -> list[int]:
    """Up to `limit` users of a group, a fixed sample (the same ones every time)."""
    users = groups.loc[groups["group"] == group, "user"].to_numpy()
    if len(users) <= limit:
        return sorted(int(u) for u in users)
    return sorted(int(u) for u in np.random.default_rng(seed).choice(users, limit,
                                                                      replace=False))


def active_span_days(ratings: pd.DataFrame, users: np.ndarray) -> np.ndarray:
    """Days between each user's first and last interaction."""
    stamps = ratings.groupby("user_id")["timestamp"]
    return ((stamps.max() - stamps.min()) / 86_400).reindex(users).to_numpy()


def kinds_for(dataset) -> tuple[str, ...]:
    """The segmentations a dataset supports: genres only where items have some, the active
    span only where timestamps are times (a benchmark file's are line numbers)."""
    kinds = ["history length", "held-out popularity"]
    if dataset.movies["genres"].map(len).gt(0).any():
        kinds.append("held-out genre")
    if not dataset.name.startswith("sequences-"):
        kinds.append("active span")
    return tuple(kinds)
