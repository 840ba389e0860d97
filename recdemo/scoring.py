"""The compiled scoring kernels behind `recdemo.recommend.Recommender`: top-k and held-out
ranks over the whole catalogue on the device, so only a few numbers per row come back to the
host; and the padded shapes that keep their compilations few."""

from __future__ import annotations

import functools

import jax
import numpy as np

# Rows per compiled call are padded up to one of these (few shapes, few compilations).
BATCH_BUCKETS = (1, 8, 64, 256)


def bucket(size: int) -> int:
    """The next power of two >= `size` (>= 8): padded lengths that few compiled shapes cover."""
    return max(8, 1 << (max(size, 1) - 1).bit_length())


@functools.partial(jax.jit, static_argnames="k")
def device_top_k(queries, item_table, allowed, seen, k: int):
    """Top-k on the accelerator: scores, masks, `lax.top_k` and the softmax normaliser in one
    compiled call, so only `k` ids per row come back to the host (not a catalogue-wide sort).

    Args:
        queries: `(batch, dim)` query vectors.
        item_table: `(num_items, dim)` item embeddings (kept on the device).
        allowed: `(num_items,)` bool, the ids that may be recommended at all.
        seen: `(batch, length)` item ids to exclude per row, padded with 0 (never allowed).
        k: how many per row (at most `num_items`).

    Returns:
        `(scores, ids, log_total)`: `(batch, k)` best masked scores (`-inf` where fewer than k
        ids remain) and their ids, best first with ties to the lower id (as `lax.top_k`
        orders them), and each row's logsumexp over every allowed id.
    """
    scores = queries @ item_table.T
    rows = jax.numpy.arange(scores.shape[0])[:, None]
    keep = jax.numpy.broadcast_to(allowed, scores.shape).at[rows, seen].set(False)
    # A NaN score must not rank (NaN compares False everywhere): it counts as excluded.
    keep = keep & jax.numpy.isfinite(scores)
    masked = jax.numpy.where(keep, scores, -jax.numpy.inf)
    best, ids = jax.lax.top_k(masked, k)
    return best, ids, jax.nn.logsumexp(masked, axis=-1)


@functools.partial(jax.jit, static_argnames="with_loss")
def device_target_ranks(queries, item_table, allowed, seen, targets, with_loss: bool = True):
    """Each row's conservative rank of its target, and its full-softmax loss, in one compiled
    call: only two numbers per row come back to the host, not a catalogue of scores.

    Args:
        queries, item_table, allowed, seen: as for `device_top_k`.
        targets: `(batch,)` the held-out ids.
        with_loss: whether to compute the losses (a catalogue-wide exp per row); else zeros.

    Returns:
        `(ranks, losses)`: each target's rank as `recdemo.metrics.target_ranks` defines it on
        the masked scores; and `logsumexp(scores) - target score` over
        every id, unmasked (the softmax cross-entropy the model was trained on).
    """
    numpy = jax.numpy
    scores = queries @ item_table.T
    rows = numpy.arange(scores.shape[0])
    target = scores[rows, targets]
    # Counted without a masked copy of the scores (a scatter over every row: slower than the
    # product): everything allowed that scores at least the target (NaN counts against the
    # model, since it never compares below), minus the row's own seen ids that do.
    seen = numpy.sort(seen, axis=1)
    seen_ok = allowed[seen] & numpy.concatenate(  # each allowed seen id once
        [numpy.ones_like(seen[:, :1], bool), seen[:, 1:] != seen[:, :-1]], axis=1)
    seen_scores = numpy.take_along_axis(scores, seen, axis=1)
    beaten_by = ((~(scores < target[:, None])) & allowed).sum(axis=1) - (
        (~(seen_scores < target[:, None])) & seen_ok).sum(axis=1)
    unmasked = allowed.sum() - seen_ok.sum(axis=1)
    # A NaN target ranks last among the unmasked ids; a masked one (not allowed, or in the
    # history) below every id.
    masked = ~allowed[targets] | ((seen == targets[:, None]) & seen_ok).any(axis=1)
    ranks = numpy.where(masked, scores.shape[1],
                        numpy.where(numpy.isnan(target), unmasked, beaten_by))
    target_logit = target
    if not with_loss:
        return ranks, numpy.zeros_like(target_logit)
    return ranks, jax.nn.logsumexp(scores, axis=-1) - target_logit


def padded_rows(array: np.ndarray, size: int | None = None) -> np.ndarray:
    """`array` with zero rows appended up to `size` (default: its batch bucket)."""
    size = size or next(b for b in BATCH_BUCKETS if b >= len(array))
    padded = np.zeros((size, *array.shape[1:]), dtype=array.dtype)
    padded[: len(array)] = array
    return padded


def seen_ids(histories: list[np.ndarray], masked: bool = True) -> np.ndarray:
    """`(rows, width)` int32 history ids padded with 0 to a bucketed width (all 0 when not
    `masked`): the `seen` argument of the kernels above."""
    seen = np.zeros((len(histories), bucket(max(map(len, histories), default=1))), np.int32)
    if masked:
        for row, items in enumerate(histories):
            seen[row, : len(items)] = items
    return seen


def in_chunks(kernel, queries: np.ndarray, item_table, allowed, seen: np.ndarray,
              *per_row: np.ndarray, **static) -> tuple[np.ndarray, ...]:
    """`kernel(queries, item_table, allowed, seen, *per_row, **static)` over chunks of at most
    the largest batch bucket, each padded to a bucket; the outputs' real rows, concatenated."""
    outputs = []
    for start in range(0, len(queries), BATCH_BUCKETS[-1]):
        rows = slice(start, start + BATCH_BUCKETS[-1])
        count = len(queries[rows])
        chunk = padded_rows(queries[rows])
        out = kernel(chunk, item_table, allowed, padded_rows(seen[rows], len(chunk)),
                     *(padded_rows(values[rows], len(chunk)) for values in per_row), **static)
        outputs.append([np.asarray(part)[:count] for part in out])
    return tuple(np.concatenate(parts) for parts in zip(*outputs))
