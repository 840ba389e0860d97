"""Training across processes (hosts): `jax.distributed` set up from the environment, and what
the trainer needs to stay correct when arrays span processes.

One host needs none of this: Keras' `DataParallel` already spans its devices. For several hosts
start the same `python -m recdemo train ...` command once per host with

    RECDEMO_COORDINATOR=host0:12355  RECDEMO_NUM_PROCESSES=N  RECDEMO_PROCESS_ID=i

(on managed clusters JAX can also find these itself: `RECDEMO_COORDINATOR=auto`). Every process
builds the same examples from the same seed, feeds its slice of every batch, validates on its
own copy of the weights, and process 0 alone writes the artifact.
"""

from __future__ import annotations

import os

import numpy as np

from recdemo import RecdemoError

ENV_COORDINATOR = "RECDEMO_COORDINATOR"
ENV_NUM_PROCESSES = "RECDEMO_NUM_PROCESSES"
ENV_PROCESS_ID = "RECDEMO_PROCESS_ID"


def initialize_from_env() -> bool:
    """Join the process group the environment describes (before JAX computes anything);
    False when none is described.

    Raises:
        RecdemoError: a malformed or incomplete description.
    """
    coordinator = os.environ.get(ENV_COORDINATOR)
    if not coordinator:
        return False
    import jax

    if coordinator == "auto":
        jax.distributed.initialize()
        return True
    try:
        count = int(os.environ[ENV_NUM_PROCESSES])
        index = int(os.environ[ENV_PROCESS_ID])
        if not 0 <= index < count:
            raise ValueError
    except (KeyError, ValueError):
        raise RecdemoError(f"{ENV_COORDINATOR} is set: also set {ENV_NUM_PROCESSES} (>= 1) and "
                           f"{ENV_PROCESS_ID} (0 to N-1).") from None
    # CPU processes exchange gradients through gloo (GPUs and TPUs bring their own).
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(coordinator_address=coordinator, num_processes=count,
                               process_id=index)
    return True


def process_count() -> int:
    """How many processes train together (1 without `jax.distributed`)."""
    import jax

    return jax.process_count()


def is_writer() -> bool:
    """Whether this process writes results (process 0)."""
    import jax

    return jax.process_index() == 0


def local_value(value):
    """A variable's value or an array on one device of this process: itself, or, when it is
    replicated across devices or processes (the variables of data-parallel training), one
    replica. Serving then runs each query on one device instead of on every replica."""
    value = getattr(value, "value", value)
    sharding = getattr(value, "sharding", None)
    if sharding is not None and len(sharding.device_set) > 1 and sharding.is_fully_replicated:
        value = value.addressable_data(0)
    return value


def host_copy(value) -> np.ndarray:
    """`local_value` as a NumPy array."""
    return np.asarray(local_value(value))


def local_batches(order: np.ndarray, batch_size: int) -> np.ndarray:
    """The rows of `order` this process feeds: its `batch_size / processes` share of every
    consecutive batch, so the processes' shares make up exactly the one-process batches.

    Example (2 processes, batch 4): order `[a b c d e f g h]` -> process 0 `[a b e f]`,
    process 1 `[c d g h]`.
    """
    import jax

    count, index = jax.process_count(), jax.process_index()
    if count == 1:
        return order
    share = batch_size // count
    return order.reshape(-1, batch_size)[:, index * share:(index + 1) * share].reshape(-1)
