"""Right-padding of histories into fixed lengths, in NumPy alone: the serving and training
code that only shapes arrays imports this without loading Keras.

Sequences are right-padded with the padding id 0: position 0 holds the oldest kept item and a
row of length n has its most recent item at position n - 1.
"""

from __future__ import annotations

import numpy as np

PADDING_ID = 0


def bucket_lengths(max_len: int, smallest: int = 8) -> list[int]:
    """The lengths sequences are cut to in training batches and query batches: powers of two
    from `smallest`, then `max_len` (few lengths, so few compiled shapes).

    >>> bucket_lengths(50)
    [8, 16, 32, 50]
    """
    lengths, size = [], smallest
    while size < max_len:
        lengths.append(size)
        size *= 2
    return [*lengths, max_len]


def pad_right(histories: list[np.ndarray], max_len: int) -> np.ndarray:
    """Right-pad the most recent `max_len` items of each history into an int32 matrix.

    Example:
    >>> pad_right([np.array([5, 6, 7]), np.array([9])], 2)
    array([[6, 7],
           [9, 0]], dtype=int32)
    """
    out = np.zeros((len(histories), max_len), dtype=np.int32)
    for row, items in enumerate(histories):
        kept = np.asarray(items)[-max_len:]
        out[row, : len(kept)] = kept
    return out
