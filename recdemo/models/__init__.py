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

__all__ = ["MODELS", "DISPLAY_NAMES", "RetrievalModel", "TwoTower", "GRU4Rec", "SASRec"]
