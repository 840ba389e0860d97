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

__version__ = "0.1.0"


class RecdemoError(Exception):
    """An error a person can cause (bad id, bad file, missing data); shown as one line."""
