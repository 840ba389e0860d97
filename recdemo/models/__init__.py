"""The three retrieval models, by the key used everywhere (code, CLI, artifact folders, UI)."""

from recdemo.models.base import RetrievalModel
from recdemo.models.gru4rec import GRU4Rec
from recdemo.models.sasrec import SASRec
from recdemo.models.two_tower import TwoTower

MODELS: dict[str, type[RetrievalModel]] = {
    "two_tower": TwoTower,
    "gru4rec": GRU4Rec,
    "sasrec": SASRec,
}
DISPLAY_NAMES = {"two_tower": "Two-tower", "gru4rec": "GRU4Rec", "sasrec": "SASRec"}


def build_model(model_key: str, dataset, **hyperparameters) -> RetrievalModel:
    """A fresh model of `model_key` sized for `dataset`, with every variable created.

    Raises:
        ValueError: a hyperparameter out of range (the message quotes it).
    """
    model = MODELS[model_key](**MODELS[model_key].sizes_from(dataset), **hyperparameters)
    model.build_variables()
    return model



__all__ = ["MODELS", "DISPLAY_NAMES", "build_model", "RetrievalModel", "TwoTower", "GRU4Rec",
           "SASRec"]
