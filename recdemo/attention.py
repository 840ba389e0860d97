"""Where an attention model looked in a history: the attention of its last position over the
history's movies, per block, averaged over heads.

Attention weights say which positions fed the query vector, not why one movie ranks where it
does (a weight can be large on a movie whose removal changes nothing); the faithful per-pick
reason is `recdemo.attribution`. The dashboard labels them so.
"""

from __future__ import annotations

import numpy as np

from recdemo.models.padding import bucket_lengths, pad_right


def history_attention(recommender, history: np.ndarray) -> np.ndarray:
    """`(num_blocks, len(kept))` weights of the last position over the kept history (its most
    recent `max_len` movies, oldest first), averaged over heads; each row sums to 1.

    Args:
        recommender: a `Recommender` whose model has `attention_weights` (its card's
            `attention`).
        history: the validated history, oldest first.
    """
    model = recommender.model
    kept = np.asarray(history)[-model.max_len:]
    # Right-padded to its length bucket, as queries are: a few shapes to compile, and causal
    # attention at the last real item never sees the padding after it.
    length = next(b for b in bucket_lengths(model.max_len) if b >= len(kept))
    items = pad_right([kept], length)
    weights = recommender.run_model("attention_weights", items)
    return weights[0].mean(axis=1)[:, : len(kept)]


def most_attended(weights: np.ndarray, history: np.ndarray, titles, top: int = 10):
    """The `top` kept history movies the last block weighs most, heaviest first: `movie`
    (title), `recency` (1 = the most recent watch) and `weight`; a movie watched twice appears
    once per watch.

    Args:
        weights: `history_attention`'s output.
        history: the same history, oldest first.
        titles: movie id -> title (a `Series` or mapping).
    """
    import pandas as pd

    last_block = weights[-1]
    kept = np.asarray(history)[-len(last_block):]
    order = np.argsort(-last_block, kind="stable")[:top]
    return pd.DataFrame({"movie": [titles[int(kept[i])] for i in order],
                         "recency": [len(kept) - int(i) for i in order],
                         "weight": last_block[order].astype(float)})
