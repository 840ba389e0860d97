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
# TensorFlow arrives with keras-hub; keep it quiet and off any GPU (JAX owns the device).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")

__version__ = "0.1.0"


class RecdemoError(Exception):
    """An error a person can cause (bad id, bad file, missing data); shown as one line."""
