"""One recommended movie, as every list shows it (the CLI, the dashboard, the stored lists):
a plain record, importable without Keras or JAX."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Recommendation:
    """One recommended movie.

    Attributes:
        movie_id: the internal item id (MovieLens' movie id).
        title: its title as the dataset spells it (custom data without titles: its id).
        score: the query · item dot product (comparable within one query only).
        probability: the model's softmax probability over the ranked candidates (what the
            softmax-trained models estimate as "the chance this is the next movie").
        item: the item's id as the data spells it (custom data's original id).
    """

    movie_id: int
    title: str
    score: float
    probability: float
    item: str = ""

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return dataclasses.asdict(self)
