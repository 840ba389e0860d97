"""The one data protocol: leave-one-out by time.

Every rating is an implicit interaction. Per user, interactions are stably sorted by timestamp
(ties keep file row order); the last one is the test target, the second-to-last the validation
target, the rest is train. Users with fewer than 3 interactions are train only.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from recdemo.dataset import Dataset

PARTS = ("valid", "test")


@dataclasses.dataclass(frozen=True)
class LeaveOneOutSplit:
    """Per-user chronological train sequences and held-out targets.

    Attributes:
        train: user id -> train item ids, oldest first.
        valid: user id -> validation target item id (users with >= 3 interactions).
        test: user id -> test target item id (users with >= 3 interactions).
        train_ratings: user id -> the star ratings of `train`, aligned (the MSE objective).
        valid_rating: user id -> the star rating of the validation target.
    """

    train: dict[int, np.ndarray]
    valid: dict[int, int]
    test: dict[int, int]
    train_ratings: dict[int, np.ndarray]
    valid_rating: dict[int, int]

    @property
    def users(self) -> np.ndarray:
        """All user ids, ascending."""
        return np.array(sorted(self.train), dtype=np.int64)

    def history(self, user_id: int) -> np.ndarray:
        """What a user has watched as far as serving knows: everything but the test target."""
        seen = self.train[user_id]
        if user_id in self.valid:
            seen = np.append(seen, self.valid[user_id])
        return seen

    def cases(self, part: str) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
        """Evaluation cases of one part.

        Args:
            part: `"valid"` (input = train items) or `"test"` (input = train + validation).

        Returns:
            `(user_ids, input_histories, targets)` for every user that has a target.
        """
        if part not in PARTS:
            raise ValueError(f"`part` should be one of {PARTS}. Received: `part` = {part!r}.")
        targets = self.valid if part == "valid" else self.test
        users = np.array(sorted(targets), dtype=np.int64)
        histories = [self.train[u] if part == "valid" else self.history(u) for u in users]
        return users, histories, np.array([targets[u] for u in users], dtype=np.int64)

    def with_valid_in_train(self) -> LeaveOneOutSplit:
        """The split a refit trains on: each validation target appended to its user's train
        items (and no validation part left). The test targets stay held out."""
        train, ratings = {}, {}
        for user in self.train:
            train[user] = self.history(user)
            extra = [self.valid_rating[user]] if user in self.valid else []
            ratings[user] = np.append(self.train_ratings[user], extra).astype(np.int64)
        return LeaveOneOutSplit(train=train, valid={}, test=dict(self.test),
                                train_ratings=ratings, valid_rating={})

    def train_counts(self, num_items: int) -> np.ndarray:
        """How often each item id occurs in the train part (the MostPop score)."""
        every = np.concatenate(list(self.train.values()))
        return np.bincount(every, minlength=num_items).astype(np.float64)


def leave_one_out(dataset: Dataset) -> LeaveOneOutSplit:
    """Split a dataset by the protocol described in this module's docstring."""
    ratings = dataset.ratings
    # A stable sort on (user, timestamp) keeps file row order among equal timestamps.
    order = np.lexsort((ratings["timestamp"].to_numpy(), ratings["user_id"].to_numpy()))
    users = ratings["user_id"].to_numpy()[order]
    items = ratings["movie_id"].to_numpy()[order]
    stars = ratings["rating"].to_numpy()[order]
    boundaries = np.flatnonzero(np.diff(users)) + 1
    train, valid, test, train_ratings, valid_rating = {}, {}, {}, {}, {}
    for user_items, user_stars, user in zip(
        np.split(items, boundaries), np.split(stars, boundaries), users[np.r_[0, boundaries]]
    ):
        user = int(user)
        held_out = 2 if len(user_items) >= 3 else 0
        train[user] = user_items[: len(user_items) - held_out].copy()
        train_ratings[user] = user_stars[: len(user_items) - held_out].copy()
        if held_out:
            valid[user], test[user] = int(user_items[-2]), int(user_items[-1])
            valid_rating[user] = int(user_stars[-2])
    return LeaveOneOutSplit(train=train, valid=valid, test=test,
                            train_ratings=train_ratings, valid_rating=valid_rating)
