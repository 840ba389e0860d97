"""The leave-one-out protocol on hand-made data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recdemo.dataset import Dataset
from recdemo.split import leave_one_out


def _dataset(rows):
    ratings = pd.DataFrame(rows, columns=["user_id", "movie_id", "rating", "timestamp"])
    movies = pd.DataFrame({"title": [f"m{i}" for i in range(1, 10)], "year": 1990.0,
                           "genres": [()] * 9}, index=pd.Index(range(1, 10), name="movie_id"))
    return Dataset("ml-100k", ratings, movies, directory=None)


def test_last_is_test_second_last_is_valid_ties_keep_file_order():
    # User 1: movies 5 and 6 share a timestamp; 5 comes first in the file, so 6 is later.
    rows = [(1, 3, 4, 30), (1, 5, 2, 50), (2, 1, 5, 10), (1, 6, 3, 50), (1, 2, 1, 10),
            (2, 2, 3, 20), (3, 9, 4, 5), (3, 8, 4, 6)]
    split = leave_one_out(_dataset(rows))
    assert list(split.train[1]) == [2, 3]
    assert split.valid[1] == 5 and split.test[1] == 6
    assert list(split.train_ratings[1]) == [1, 4] and split.valid_rating[1] == 2
    # Fewer than 3 interactions: train only.
    assert list(split.train[2]) == [1, 2] and 2 not in split.valid and 2 not in split.test
    assert list(split.train[3]) == [9, 8]


def test_cases_inputs_and_targets():
    rows = [(1, m, 3, t) for t, m in enumerate([4, 7, 1, 2, 9])]
    split = leave_one_out(_dataset(rows))
    users, histories, targets = split.cases("valid")
    assert list(users) == [1] and list(histories[0]) == [4, 7, 1] and list(targets) == [2]
    users, histories, targets = split.cases("test")
    assert list(histories[0]) == [4, 7, 1, 2] and list(targets) == [9]
    assert list(split.history(1)) == [4, 7, 1, 2]


def test_refit_split_moves_validation_into_train():
    rows = [(1, m, r, t) for t, (m, r) in enumerate([(4, 1), (7, 2), (1, 3), (2, 4), (9, 5)])]
    refit = leave_one_out(_dataset(rows)).with_valid_in_train()
    assert list(refit.train[1]) == [4, 7, 1, 2] and list(refit.train_ratings[1]) == [1, 2, 3, 4]
    assert refit.valid == {} and refit.test == {1: 9}


def test_train_counts():
    rows = [(1, 3, 4, 1), (1, 3, 4, 2), (1, 4, 4, 3), (1, 5, 4, 4), (2, 3, 1, 1)]
    counts = leave_one_out(_dataset(rows)).train_counts(10)
    expected = np.zeros(10)
    expected[3] = 3
    np.testing.assert_array_equal(counts, expected)
