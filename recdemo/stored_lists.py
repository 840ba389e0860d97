"""Every user's top-10, as the model serves it, stored with the artifact.

A presenter opens the app and the list should be there. Serving it live means importing Keras
and JAX and building the model first, over a second on this machine before the first list can
show. So when an artifact is saved, the one inference path (`Recommender.recommend_many` and
`attribution.leave_one_out_many`, the batched forms of what the page calls) is run for every
user of its split, in the view a link opens by default (the user's whole history, watched
movies excluded, no genre filter), and its output is kept in `lists.npz` beside the weights,
under the artifact's manifest. The dashboard reads a list from there while the model loads;
any other view (an edited history, a genre filter, watched movies included) is computed live.
A stored list is only used for the data it was computed on: the file records the data's
sha256.
"""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from recdemo import RecdemoError, artifacts
from recdemo.attribution import Removal, leave_one_out_many, rests_on, uses_history
from recdemo.recommendation import Recommendation

if TYPE_CHECKING:
    from recdemo.recommend import Recommender

K = 10
# Above this many users the lists are not stored: the leave-one-out pass costs ~8-12 ms a user
# on this machine's CPU, and a view is computed live anyway once the model has loaded.
MAX_USERS = 10_000
# Users explained in one batched model call: ~50 inputs each on MovieLens, so a call fills the
# largest padded batch many times over and its scores stay ~20 MB.
USERS_A_CALL = 64
# Per pick: the history movie it rests on (-1: none), that removal's score change and the
# pick's rank with and without it (`attribution.Removal`).
_ARRAYS = {"users": np.int64, "ids": np.int64, "scores": np.float32,
           "probabilities": np.float32, "rests_on": np.int64, "score_change": np.float32,
           "rank": np.int32, "rank_without": np.int32}


def compute(recommender: Recommender) -> dict[str, np.ndarray]:
    """Each user's top-`K` and what each pick rests on, through the serving path.

    Returns:
        The arrays `lists.npz` holds: one row per user of the split, in `split.users` order.
    """
    split, dataset = recommender.split, recommender.dataset
    users = split.users
    lists = recommender.recommend_many([(int(u), None) for u in users], k=K)
    out = {name: np.full((len(users), K), -1, dtype=kind) for name, kind in _ARRAYS.items()
           if name != "users"}
    out["users"] = users.astype(np.int64)
    explained = uses_history(recommender, int(users[0])) if len(users) else False
    for row, recs in enumerate(lists):
        ids = [r.movie_id for r in recs]
        out["ids"][row, : len(ids)] = ids
        out["scores"][row, : len(ids)] = [r.score for r in recs]
        out["probabilities"][row, : len(ids)] = [r.probability for r in recs]
    if explained:
        # (row, history, picks) of every user with two distinct movies to remove between them.
        requests = [(row, history, [r.movie_id for r in lists[row]])
                    for row, history in enumerate(split.history(int(u)) for u in users)
                    if len(set(history.tolist())) >= 2]
        for start in range(0, len(requests), USERS_A_CALL):
            group = requests[start: start + USERS_A_CALL]
            explained_group = leave_one_out_many(recommender, [(h, p) for _, h, p in group])
            for (row, _, _), found in zip(group, explained_group):
                _store_reasons(out, row, found)
    out["explained"] = np.array(explained)
    out["data_sha256"] = np.array(json.dumps(dataset.file_checksums(), sort_keys=True))
    return out


def _store_reasons(out: dict[str, np.ndarray], row: int,
                   found: dict[int, list[Removal]]) -> None:
    """Write what each pick of one user's list rests on (`leave_one_out` order: the list's)
    into that user's row."""
    for column, removals in enumerate(found.values()):
        top = rests_on(removals)
        if top is not None:
            out["rests_on"][row, column] = top.removed
            out["score_change"][row, column] = top.score_change
            out["rank"][row, column] = top.rank
            out["rank_without"][row, column] = top.rank_without


def add_to_artifact(folder: str | Path, dataset, split) -> Path:
    """Store the lists in an artifact saved without them: a new version of it with the same
    weights and documents, switched atomically (`artifacts.save`).

    Raises:
        RecdemoError: the artifact cannot be loaded, or was trained on other data.
    """
    from recdemo.serving import recommender_from_folder

    version = artifacts.resolve(folder)
    recommender = recommender_from_folder(version, dataset, split)
    documents = {name: artifacts.read_json(version, name) for name in artifacts.JSON_FILES}
    config = documents["config.json"]
    return artifacts.save(recommender.model, folder, model_key=config["model"],
                          train_config=config["train"], history=documents["history.json"],
                          metrics=documents["metrics.json"],
                          provenance_info=documents["provenance.json"],
                          lists=to_bytes(compute(recommender)))


def to_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """The `lists.npz` file's bytes."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


@dataclasses.dataclass(frozen=True)
class StoredLists:
    """One artifact's stored lists, checked against the data they are served on."""

    arrays: dict[str, np.ndarray]
    rows: dict[int, int]

    def top_list(self, user_id: int, dataset) -> tuple[list[Recommendation], dict | None] | None:
        """`(recommendations, reasons)` for a user as `Recommender.recommend(user_id=...)` and
        `attribution.leave_one_out` give them in the default view (reasons: movie id -> its
        `rests_on` removal, or `[]`; None when the model does not read the history), or None
        for a user not stored."""
        row = self.rows.get(int(user_id))
        if row is None:
            return None
        a = self.arrays
        titles = dataset.movies["title"]
        picks = [int(i) for i in a["ids"][row] if i >= 0]
        recs = [Recommendation(m, titles.loc[m], float(a["scores"][row, c]),
                               float(a["probabilities"][row, c]), dataset.item_key(m))
                for c, m in enumerate(picks)]
        if not bool(a["explained"]):
            return recs, None
        reasons = {}
        for column, movie in enumerate(picks):
            removed = int(a["rests_on"][row, column])
            reasons[movie] = [] if removed < 0 else [Removal(
                removed, float(a["score_change"][row, column]), int(a["rank"][row, column]),
                int(a["rank_without"][row, column]))]
        return recs, reasons


def read(folder: str | Path, dataset) -> StoredLists | None:
    """The stored lists of an artifact version folder (already verified against its
    manifest), or None when it has none or they were computed on other data.

    Raises:
        RecdemoError: the file is not a well-formed `lists.npz`.
    """
    path = Path(folder) / artifacts.LISTS_FILE
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as found:
            arrays = {name: found[name] for name in found.files}
        checksums = json.loads(str(arrays["data_sha256"]))
        shapes_ok = all(arrays[name].shape == (len(arrays["users"]), K)
                        for name in _ARRAYS if name != "users")
    except (OSError, ValueError, KeyError) as exc:
        raise RecdemoError(f"Unreadable stored lists {path}: {exc}.") from None
    movies = dataset.movies.index.to_numpy()
    named = np.concatenate([arrays["ids"].ravel(), arrays["rests_on"].ravel()]) if shapes_ok \
        else np.array([])
    if not shapes_ok or not np.isin(named[named >= 0], movies).all():
        raise RecdemoError(f"Malformed stored lists {path}: ids outside the catalogue.")
    if checksums != dataset.file_checksums():
        return None
    return StoredLists(arrays, {int(u): row for row, u in enumerate(arrays["users"])})
