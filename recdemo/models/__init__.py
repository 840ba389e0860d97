"""The model registry: one key per model, used everywhere (code, CLI, artifact folders, UI).

`MODELS` maps a key to its class and imports the class (and so Keras, JAX and keras-hub) only
when it is first looked up, so reading the registry's keys or display names costs nothing: the
dashboard paints its first screen before any of those libraries is loaded.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

# key -> "module:Class"; adding a model is one file plus one line here.
_CLASSES = {
    "two_tower": "recdemo.models.two_tower:TwoTower",
    "gru4rec": "recdemo.models.gru4rec:GRU4Rec",
    "sasrec": "recdemo.models.sasrec:SASRec",
}
DISPLAY_NAMES = {"two_tower": "Two-tower", "gru4rec": "GRU4Rec", "sasrec": "SASRec"}


class _Registry(Mapping):
    """A read-only `{key: model class}` that imports each class on first access."""

    def __getitem__(self, key: str) -> type:
        module, name = _CLASSES[key].split(":")
        return getattr(importlib.import_module(module), name)

    def __iter__(self) -> Iterator[str]:
        return iter(_CLASSES)

    def __len__(self) -> int:
        return len(_CLASSES)

    def __contains__(self, key: object) -> bool:
        return key in _CLASSES


MODELS: Mapping[str, type] = _Registry()


def build_model(model_key: str, dataset, **hyperparameters):
    """A fresh model of `model_key` sized for `dataset`, with every variable created.

    Raises:
        ValueError: a hyperparameter out of range (the message quotes it).
    """
    model = MODELS[model_key](**MODELS[model_key].sizes_from(dataset), **hyperparameters)
    model.build_variables()
    return model


def __getattr__(name: str):
    # `from recdemo.models import SASRec` (or RetrievalModel) still works, lazily.
    if name == "RetrievalModel":
        from recdemo.models.base import RetrievalModel

        return RetrievalModel
    for key, path in _CLASSES.items():
        if path.endswith(f":{name}"):
            return MODELS[key]
    raise AttributeError(f"module 'recdemo.models' has no attribute {name!r}")


__all__ = ["MODELS", "DISPLAY_NAMES", "build_model", "RetrievalModel", "TwoTower", "GRU4Rec",
           "SASRec"]
