"""Helpers shared by the sequence models: the last-position gather and next-item examples
over right-padded rows (`recdemo.models.padding`). Only the most recent `max_len` items of a
history are kept.
"""

from __future__ import annotations

import numpy as np
from keras import ops

from recdemo.models.padding import PADDING_ID, pad_right


def gather_last(sequence_outputs, items):
    """The output at each row's last non-padding position.

    The SASRec Keras example inverts the padding mask and so reads a padding position; this
    gathers position `count(items != 0) - 1`, which is the most recent item for right-padded
    rows.

    Args:
        sequence_outputs: `(batch, length, dim)` per-position outputs.
        items: `(batch, length)` right-padded item ids.

    Returns:
        `(batch, dim)` outputs at the last real item (position 0 for an all-padding row).
    """
    lengths = ops.sum(ops.cast(ops.not_equal(items, PADDING_ID), "int32"), axis=1)
    last = ops.maximum(lengths - 1, 0)
    index = ops.expand_dims(ops.expand_dims(last, -1), -1)
    return ops.squeeze(ops.take_along_axis(sequence_outputs, index, axis=1), axis=1)


def next_item_examples(
    sequences: list[np.ndarray], max_len: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every (prefix, next item) pair of each sequence, packed as shifted rows.

    A row's output at position t is trained to predict the item at t + 1, so one row carries
    all its prefixes at once (causal models see only positions <= t). Histories longer than
    `max_len + 1` are cut into several windows so no pair is dropped.

    Returns:
        `(inputs, targets, weights, owners)`: `(rows, max_len)` int32 inputs and targets,
        float32 weights that are 1 where a target is real and 0 on padding, and for each row
        the index of the sequence it came from.
    """
    inputs, targets, owners = [], [], []
    for owner, items in enumerate(sequences):
        items = np.asarray(items)
        # Windows end at the most recent item and step back by max_len.
        end = len(items)
        while end >= 2:
            window = items[max(0, end - max_len - 1): end]
            inputs.append(window[:-1])
            targets.append(window[1:])
            owners.append(owner)
            end -= max_len
    x = pad_right(inputs, max_len)
    y = pad_right(targets, max_len)
    return x, y, (y != PADDING_ID).astype(np.float32), np.array(owners, dtype=np.int64)


def last_item_examples(
    histories: list[np.ndarray], targets: np.ndarray, max_len: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One held-out target per history, placed at the history's last position.

    Returns:
        `(inputs, targets, weights)` shaped like `next_item_examples`, with a single weight of
        1 per row at its last real position.
    """
    x = pad_right(histories, max_len)
    last = np.maximum((x != PADDING_ID).sum(axis=1) - 1, 0)
    y = np.zeros_like(x)
    weights = np.zeros(x.shape, dtype=np.float32)
    rows = np.arange(len(x))
    y[rows, last] = targets
    weights[rows, last] = 1.0
    return x, y, weights
