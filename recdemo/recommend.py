"""The single inference path: the app, the CLI and the evaluation all rank through here.

A `Recommender` holds a snapshot of a trained model's weights and a jitted, stateless query
function over them. It never calls `predict` and never mutates the model, so many threads may
call it at once; inputs are validated before anything reaches an embedding (JAX would silently
return NaN rows or wrap out-of-range ids).
"""

from __future__ import annotations

import jax
import keras
import numpy as np

from recdemo import RecdemoError
from recdemo.dataset import Dataset, catalogue_mask
from recdemo.distributed import host_copy, local_value
from recdemo.models.base import RetrievalModel
from recdemo.recommendation import Recommendation
from recdemo.scoring import (
    BATCH_BUCKETS,
    device_target_ranks,
    device_top_k,
    in_chunks,
    padded_rows,
    seen_ids,
)
from recdemo.split import LeaveOneOutSplit


def mask_scores(scores: np.ndarray, catalogue: np.ndarray,
                histories: list[np.ndarray] | None) -> np.ndarray:
    """Set non-catalogue ids and, if given, each row's history items to `-inf` (in place)."""
    scores[:, ~catalogue] = -np.inf
    for row, items in enumerate(histories or []):
        scores[row, items] = -np.inf
    return scores


def _preview(value, limit: int = 60) -> str:
    """A quoted, length-capped rendering of a bad input for an error line."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Recommender:
    """Ranks the whole catalogue for user ids or item histories with one trained model.

    Why not keras-rs' `BruteForceRetrieval` for the scoring: its candidate table is not restored
    by `load_weights`, `update_candidates` with the model's own embedding table fails in JAX
    ("donate the same buffer twice") unless copied, and it returns top-k only, while the
    evaluation needs every score (conservative ranks) and serving needs per-row history masks.
    A dot product against a copied NumPy table does all three.

    Args:
        model: a built `RetrievalModel` (its current weights are copied; later changes to the
            model do not affect this recommender).
        dataset: the dataset the model was trained on (titles, catalogue).
        split: the leave-one-out split (user histories).

    Example:
    >>> recommender = Recommender(model, dataset, split)
    >>> recommender.recommend(user_id=1, k=3)
    [Recommendation(movie_id=..., title=..., score=...), ...]
    """

    def __init__(self, model: RetrievalModel, dataset: Dataset, split: LeaveOneOutSplit,
                 _query_fn=None):
        self.model = model
        self.dataset = dataset
        self.split = split
        # Device copies of this process's replica (training may span processes).
        self._variable_values = [jax.numpy.array(local_value(v)) for v in model.variables]
        self.item_table = host_copy(model.item_embeddings()).astype(np.float32)
        self.item_table.setflags(write=False)
        self._device_table = jax.device_put(self.item_table)
        self.catalogue = catalogue_mask(dataset, model.num_items)
        self._device_catalogue = jax.device_put(self.catalogue)
        self.catalogue.setflags(write=False)
        self._query_fn = _query_fn or self._stateless("query_embeddings")
        self._compiled: dict = {}

    def _stateless(self, method: str):
        """`model.<method>(inputs)` compiled as a function of the weights' values: it runs on
        whatever values it is given (this recommender's copy), never on the model's own
        variables, so concurrent calls are safe."""
        def call(values, inputs):
            with keras.StatelessScope(state_mapping=list(zip(self.model.variables, values))):
                return getattr(self.model, method)(inputs)

        return jax.jit(call)

    def run_model(self, method: str, inputs: np.ndarray) -> np.ndarray:
        """`model.<method>(inputs)` for a model method outside the query path, compiled once
        per input shape and run on this recommender's copy of the weights."""
        compiled = self._compiled.get(method) or self._compiled.setdefault(
            method, self._stateless(method))
        return np.asarray(compiled(self._variable_values, inputs))

    def refreshed(self) -> Recommender:
        """A recommender over the model's *current* weights, reusing the compiled function."""
        return Recommender(self.model, self.dataset, self.split, _query_fn=self._query_fn)

    # -- validation -------------------------------------------------------------------------
    def check_user(self, user_id) -> int:
        """The user id as an int, or RecdemoError if it is not a known user."""
        if isinstance(user_id, (bool, np.bool_)) or not isinstance(user_id, (int, np.integer)):
            raise RecdemoError(f"User id should be an integer. Received: {_preview(user_id)}.")
        if int(user_id) not in self.split.train:
            raise RecdemoError(f"Unknown user id {user_id}: {self.dataset.name} has users "
                               f"{self.split.users.min()}-{self.split.users.max()}.")
        return int(user_id)

    def check_history(self, history) -> np.ndarray:
        """The history as int64 movie ids, or RecdemoError if empty or holding unknown ids."""
        if isinstance(history, np.ndarray):
            history = history.tolist()
        if history is not None and not isinstance(history, (list, tuple)):
            raise RecdemoError(f"A history should be a list of movie ids. Received: "
                               f"{_preview(history)}.")
        items = list(history) if history is not None else []
        if not items:
            raise RecdemoError("The history is empty: add at least one movie.")
        for item in items:
            if isinstance(item, (bool, np.bool_)) or not isinstance(item, (int, np.integer)):
                raise RecdemoError(f"Movie ids should be integers. Received: {_preview(item)}.")
            if not 0 < int(item) < len(self.catalogue) or not self.catalogue[int(item)]:
                raise RecdemoError(f"Unknown movie id {item} in {self.dataset.name}.")
        return np.asarray(items, dtype=np.int64)

    # -- scoring ----------------------------------------------------------------------------
    def query_vectors(self, user_ids: list | None, histories: list[np.ndarray]) -> np.ndarray:
        """`(batch, dim)` query vectors for validated inputs.

        Args:
            user_ids: per row a known user id or None; used by user-id models (two-tower),
                which fold in the history for rows without one. Ignored by sequence models.
            histories: per row the input history (oldest first), already validated.
        """
        return self.model.encode_queries(self._run_query, user_ids, histories, self.item_table)

    def _run_query(self, inputs: np.ndarray) -> np.ndarray:
        chunks = []
        largest = BATCH_BUCKETS[-1]
        for start in range(0, len(inputs), largest):
            chunk = inputs[start: start + largest]
            result = self._query_fn(self._variable_values, padded_rows(chunk))
            chunks.append(np.asarray(result)[: len(chunk)])
        return np.concatenate(chunks).astype(np.float32)

    def scores(self, user_ids: list | None, histories: list[np.ndarray],
               exclude_seen: bool = True) -> np.ndarray:
        """`(batch, num_items)` scores with padding, non-catalogue ids and (optionally) each
        row's history set to `-inf`."""
        return mask_scores(self.raw_scores(user_ids, histories), self.catalogue,
                           histories if exclude_seen else None)

    def raw_scores(self, user_ids: list | None, histories: list[np.ndarray]) -> np.ndarray:
        """`(batch, num_items)` query · item dot products over every id, nothing masked (the
        logits a softmax-trained model was trained on)."""
        return self.query_vectors(user_ids, histories) @ self.item_table.T

    def target_ranks(self, queries: np.ndarray, histories: list[np.ndarray],
                     targets: np.ndarray, with_loss: bool = True
                     ) -> tuple[np.ndarray, np.ndarray]:
        """`(ranks, softmax losses)` of each row's target with its history masked
        (`device_target_ranks`), in chunks of the largest batch bucket."""
        ranks, losses = in_chunks(device_target_ranks, queries, self._device_table,
                                  self._device_catalogue, seen_ids(histories),
                                  np.asarray(targets, np.int32), with_loss=with_loss)
        return ranks.astype(np.int64), losses

    # -- the public entry points ------------------------------------------------------------
    def resolve(self, user_id=None, history=None) -> tuple[int | None, np.ndarray]:
        """Validate one query: a user id (history = all but the held-out test item) or a
        history. Returns `(user_id or None, history)`."""
        if (user_id is None) == (history is None):
            raise RecdemoError("Give exactly one of a user id or a history.")
        if user_id is not None:
            user_id = self.check_user(user_id)
            return user_id, self.split.history(user_id)
        return None, self.check_history(history)

    def recommend(self, user_id: int | None = None, history: list[int] | None = None,
                  k: int = 10, exclude_seen: bool = True,
                  candidates: np.ndarray | None = None) -> list[Recommendation]:
        """Top-k movies for a user id or a history (MovieLens movie ids, oldest first).

        Args:
            user_id: a MovieLens user id; their history is everything but the test target.
            history: movie ids, oldest first (exactly one of `user_id`/`history`).
            k: how many movies.
            exclude_seen: drop movies in the history (default on).
            candidates: optional `(num_items,)` bool mask; only True ids are ranked (the
                dashboard's genre filter).

        Returns:
            Up to k `Recommendation`s, best first (ties broken by lower movie id); fewer when
            fewer candidates remain.

        Raises:
            RecdemoError: unknown user or movie, empty history, `k` not a positive integer, or
                a malformed `candidates` mask.
        """
        return self.recommend_many([(user_id, history)], k, exclude_seen, candidates)[0]

    def recommend_many(self, queries: list[tuple], k: int = 10, exclude_seen: bool = True,
                       candidates: np.ndarray | None = None) -> list[list[Recommendation]]:
        """`recommend` for many `(user_id, history)` pairs at once (one batched forward pass)."""
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k <= 0:
            raise RecdemoError(f"k should be a positive integer. Received: k = {k!r}.")
        if candidates is not None:
            candidates = np.asarray(candidates)
            if candidates.dtype != bool or candidates.shape != self.catalogue.shape:
                raise RecdemoError(f"candidates should be a bool mask of shape "
                                   f"{self.catalogue.shape}. Received: {candidates.dtype} "
                                   f"{candidates.shape}.")
        resolved = [self.resolve(u, h) for u, h in queries]
        if not resolved:
            return []
        histories = [h for _, h in resolved]
        # Kept on the device like the item table: one catalogue-sized transfer per query saved.
        allowed = (self._device_catalogue if candidates is None
                   else self.catalogue & candidates)
        queries = self.query_vectors([u for u, _ in resolved], histories)
        best, ids, log_total = in_chunks(device_top_k, queries, self._device_table, allowed,
                                         seen_ids(histories, exclude_seen),
                                         k=min(int(k), len(self.catalogue)))
        titles = self.dataset.movies["title"]
        return [[Recommendation(int(i), titles.loc[int(i)], float(score),
                                float(np.exp(score - total)), self.dataset.item_key(int(i)))
                 for score, i in zip(row_scores, row_ids) if np.isfinite(score)]
                for row_scores, row_ids, total in zip(best, ids, log_total)]
