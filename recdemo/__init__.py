"""recdemo: a MovieLens recommender playground (two-tower, GRU4Rec, SASRec on Keras 3 + JAX).

Importing the package pins Keras to the JAX backend before anything imports keras, so every
entry point (CLI, app, tests) runs the same backend.
"""

import os
import sys

if "keras" in sys.modules and sys.modules["keras"].backend.backend() != "jax":
    raise ImportError("recdemo needs the JAX backend of Keras: import recdemo before keras, "
                      "or set KERAS_BACKEND=jax.")
os.environ["KERAS_BACKEND"] = "jax"
# keras-hub depends on tensorflow-text and imports TensorFlow when it can (~4 s, ~900 MB, and
# CUDA/absl noise on stderr), yet the layers recdemo uses run on JAX without it. keras-hub's own
# guard (`try_import_tensorflow`) treats a blocked import as "not installed", so recdemo keeps
# TensorFlow out of its processes unless it is already imported or explicitly allowed.
if os.environ.get("RECDEMO_ALLOW_TENSORFLOW") != "1":
    sys.modules.setdefault("tensorflow", None)
    sys.modules.setdefault("tensorflow_text", None)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ENV_HOST_DEVICES = "RECDEMO_HOST_DEVICES"
MAX_HOST_DEVICES = 64
_HOST_DEVICE_FLAG = "--xla_force_host_platform_device_count"


def host_device_flags(environ: dict, cores: int | None = None) -> str | None:
    """The `XLA_FLAGS` value that shows JAX `RECDEMO_HOST_DEVICES` CPU devices (2 to
    `MAX_HOST_DEVICES`), or, when that is unset, `cores` of them (a recipe that asks for
    the machine's cores: `TrainConfig.host_cores`); None to leave the flags as they are.

    XLA's CPU backend runs a step of models this small on one core; as several host devices,
    Keras' `DataParallel` (`recdemo.training.data_parallel`) splits each batch across cores,
    with the one-device curve (`tests/test_distribution.py`). It is not the default for every
    run because it paid for one case measured (SASRec's preset on MovieLens-100k) and cost
    time in the others (docs/performance.md). `RECDEMO_HOST_DEVICES=1` keeps one device.
    Left alone: flags that already choose a device count, and multi-process runs
    (`recdemo.distributed`), which lay out their own devices.
    """
    flags = environ.get("XLA_FLAGS", "")
    wanted = environ.get(ENV_HOST_DEVICES, "").strip() or str(cores or "")
    if (not wanted.isdigit() or int(wanted) < 2 or _HOST_DEVICE_FLAG in flags
            or environ.get("RECDEMO_NUM_PROCESSES") or environ.get("RECDEMO_COORDINATOR")):
        return None
    return f"{flags} {_HOST_DEVICE_FLAG}={min(int(wanted), MAX_HOST_DEVICES)}".strip()


# Rows of a batch each core's device gets at the least: measured only on 2 cores at batch 64
# (and 4 devices on 2 cores were slower than 2), so many cores do not split a batch to crumbs.
MIN_ROWS_PER_CORE = 32


def usable_cores() -> int:
    """The cores this process may run on (a container's limit, where the OS tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def use_host_cores(batch_size: int) -> bool:
    """Show JAX one CPU device per core for this process (`host_device_flags`), as many as
    this process may run on and at most one per `MIN_ROWS_PER_CORE` rows of `batch_size`,
    if JAX has not chosen its devices yet; whether it did."""
    flags = host_device_flags(os.environ, min(usable_cores(), batch_size // MIN_ROWS_PER_CORE))
    if flags is None:
        return False
    if "jax" in sys.modules:
        from jax._src import xla_bridge  # no public way to ask whether devices are chosen

        if xla_bridge.backends_are_initialized():
            return False
    os.environ["XLA_FLAGS"] = flags
    return True


if "jax" not in sys.modules and (_flags := host_device_flags(os.environ)) is not None:
    os.environ["XLA_FLAGS"] = _flags

__version__ = "0.1.0"


class RecdemoError(Exception):
    """An error a person can cause (bad id, bad file, missing data); shown as one line."""
