"""The model registry: one key per model, used everywhere (code, CLI, artifact folders, UI).

A model is its class's file plus one line in `_CLASSES` (or one `register` call). What the rest
of recdemo shows about it is on the class (`RetrievalModel`'s docstring lists the fields) and
reaches the CLI, the trainer, the report, the benchmark and the dashboard through `card` and
`preset`. `MODELS` imports a class (and so Keras, JAX and keras-hub) only when it is looked up;
`card` reads a class's literal fields from its source instead, so the dashboard paints its
first screen, model names and descriptions included, before any of those libraries loads.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from recdemo.validation import check_name

# key -> "module:Class" (or the class itself, once registered at run time).
_CLASSES: dict[str, str | type] = {
    "two_tower": "recdemo.models.two_tower:TwoTower",
    "gru4rec": "recdemo.models.gru4rec:GRU4Rec",
    "sasrec": "recdemo.models.sasrec:SASRec",
}
PRESET_NAMES = ("full", "quick")


@dataclass(frozen=True)
class ModelCard:
    """What recdemo shows about a model, read from its class."""

    display_name: str
    description: str
    presets: dict
    # Whether the class defines `attention_weights` (the dashboard's attention view).
    attention: bool = False


# Class attribute -> `ModelCard` field.
_CARD_FIELDS = {"DISPLAY_NAME": "display_name", "DESCRIPTION": "description",
                "PRESETS": "presets"}
_CARDS: dict[str, ModelCard] = {}


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


def _literal_fields(module: str, class_name: str) -> tuple[dict, set[str]]:
    """The card fields assigned as literals in the body of `class_name` in `module`'s source,
    and the names of the methods it defines, read without importing the module."""
    source = Path(importlib.util.find_spec(module).origin).read_text()
    for node in ast.parse(source).body:
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            fields = {target.id: ast.literal_eval(statement.value)
                      for statement in node.body if isinstance(statement, ast.Assign)
                      for target in statement.targets
                      if isinstance(target, ast.Name) and target.id in _CARD_FIELDS}
            return fields, {f.name for f in node.body if isinstance(f, ast.FunctionDef)}
    raise TypeError(f"{module} defines no class {class_name}")


def card(key: str) -> ModelCard:
    """The display name, description, presets and abilities of the model registered as
    `key`."""
    if key not in _CARDS:
        entry = _CLASSES[key]
        if isinstance(entry, str):
            fields, methods = _literal_fields(*entry.split(":"))
        else:
            fields = {name: vars(entry)[name] for name in _CARD_FIELDS if name in vars(entry)}
            methods = set(dir(entry))
        missing = sorted(set(_CARD_FIELDS) - set(fields))
        if missing:
            raise TypeError(f"model {key!r} does not set {', '.join(missing)} in its class body")
        _CARDS[key] = ModelCard(**{_CARD_FIELDS[name]: value for name, value in fields.items()},
                                attention="attention_weights" in methods)
    return _CARDS[key]


class _DisplayNames(Mapping):
    """`{key: display name}` over the registry."""

    def __getitem__(self, key: str) -> str:
        return card(key).display_name

    def __iter__(self) -> Iterator[str]:
        return iter(_CLASSES)

    def __len__(self) -> int:
        return len(_CLASSES)


DISPLAY_NAMES: Mapping[str, str] = _DisplayNames()


def preset(name: str, model_key: str) -> tuple[dict, dict]:
    """`(model hyperparameters, train settings)` copies of a model's named preset (empty for a
    preset the model does not define: its constructor's and `TrainConfig`'s defaults apply).

    `full` trains the shipped artifacts and `quick` the dashboard's Retrain button; both were
    chosen on MovieLens-100k validation (docs/results.md). Other data gets `recdemo.recipes`.
    """
    entry = card(model_key).presets.get(name, {})
    return dict(entry.get("model", {})), dict(entry.get("train", {}))


def register(key: str, model_class: type | str) -> None:
    """Add a model under `key` (a class, or `"module:Class"` to import lazily).

    The CLI's flags, the trainer, the artifact store, the report, the benchmark and the
    dashboard all read the registry, so this line (or one in `_CLASSES`) is all a new model
    needs besides its file.
    """
    check_name(key, "model key")
    _CLASSES[key] = model_class
    _CARDS.pop(key, None)
    card(key)


def unregister(key: str) -> None:
    """Remove a model added by `register`."""
    _CLASSES.pop(key)
    _CARDS.pop(key, None)


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
    and its bases' signatures (types from the defaults), docstrings' `Args:`, `CHOICES` and
    `LOSSES`."""
    import inspect

    docs = _documented_args(model_class)
    out, choices = {}, {"loss": tuple(getattr(model_class, "LOSSES", ()))}
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


__all__ = ["MODELS", "DISPLAY_NAMES", "PRESET_NAMES", "ModelCard", "build_model", "card",
           "hyperparameters", "preset", "register", "unregister"]
