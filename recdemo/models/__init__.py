"""The model registry: one key per model, used everywhere (code, CLI, artifact folders, UI).

`MODELS` maps a key to its class and imports the class (and so Keras, JAX and keras-hub) only
when it is first looked up, so reading the registry's keys or display names costs nothing: the
dashboard paints its first screen before any of those libraries is loaded.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

from recdemo.validation import check_name

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
        entry = _CLASSES[key]
        if not isinstance(entry, str):
            return entry
        module, name = entry.split(":")
        return getattr(importlib.import_module(module), name)

    def __iter__(self) -> Iterator[str]:
        return iter(_CLASSES)

    def __len__(self) -> int:
        return len(_CLASSES)

    def __contains__(self, key: object) -> bool:
        return key in _CLASSES


MODELS: Mapping[str, type] = _Registry()


def register(key: str, model_class: type | str, display_name: str) -> None:
    """Add a model under `key` (a class, or `"module:Class"` to import lazily).

    The CLI's flags, the trainer, the artifact store, the report and the dashboard all read
    the registry, so this line (or one in `_CLASSES`) is all a new model needs besides its file.
    """
    check_name(key, "model key")
    _CLASSES[key] = model_class
    DISPLAY_NAMES[key] = display_name


def _documented_args(model_class: type) -> dict[str, str]:
    """`{name: text}` from the `Args:` sections of a class's and its bases' docstrings (the
    class's own text wins), continuation lines joined."""
    docs: dict[str, str] = {}
    for klass in reversed(model_class.__mro__):
        current, in_args = None, False
        for line in (klass.__doc__ or "").splitlines():
            stripped = line.strip()
            if stripped == "Args:":
                in_args = True
            elif in_args and not stripped:
                in_args, current = False, None
            elif in_args:
                name, colon, text = stripped.partition(":")
                if colon and name.isidentifier():
                    current = name
                    docs[name] = text.strip()
                elif current:
                    docs[current] += " " + stripped
    return {name: text.rstrip(".") for name, text in docs.items()}


def hyperparameters(model_class: type) -> dict[str, tuple[type, str, tuple | None]]:
    """A model's tunable constructor arguments: `{name: (type, help, choices)}`, read from its
    and its bases' signatures (types from the defaults), docstrings' `Args:` and `CHOICES`."""
    import inspect

    docs = _documented_args(model_class)
    out, choices = {}, {}
    for klass in reversed(model_class.__mro__):
        choices.update(vars(klass).get("CHOICES", {}))
    for klass in model_class.__mro__:
        if "__init__" not in vars(klass) or klass.__module__.startswith("keras"):
            continue
        for name, parameter in inspect.signature(klass.__init__).parameters.items():
            default = parameter.default
            if (name in ("self", "num_items", "num_users") or name in out
                    or default is inspect.Parameter.empty):
                continue
            if isinstance(default, (bool, int, float, str)):
                out[name] = (type(default), docs.get(name, name.replace("_", " ")),
                             choices.get(name))
    return out


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


__all__ = ["MODELS", "DISPLAY_NAMES", "build_model", "hyperparameters", "register",
           "RetrievalModel", "TwoTower", "GRU4Rec", "SASRec"]
