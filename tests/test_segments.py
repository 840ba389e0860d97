"""Quality by segment, against hand-made users and ranks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recdemo.segments import example_users, popularity_band, segment_table, user_groups


def test_head_torso_tail_split_the_interactions_in_thirds():
    counts = np.array([0, 10, 5, 3, 1, 1], np.float64)
    # Item 1 alone is half the interactions (head); item 2 starts at 50 % (torso); the rest
    # start past two thirds (tail), and so does the never-watched padding id.
    np.testing.assert_array_equal(popularity_band(counts), [2, 0, 1, 2, 2, 2])


def test_history_quartiles_are_labelled_by_their_range():
    users = np.arange(1, 9)
    histories = [np.arange(n) for n in range(1, 9)]
    groups = user_groups("history length", users, histories, np.ones(8, int), np.ones(2))
    assert groups["group"].tolist() == ["1-2 items"] * 2 + ["3-4 items"] * 2 + [
        "5-6 items"] * 2 + ["7-8 items"] * 2


def test_a_user_is_in_each_genre_of_their_held_out_movie():
    movies = pd.DataFrame({"genres": [("Drama",), ("Comedy", "Drama"), ()]}, index=[1, 2, 3])
    groups = user_groups("held-out genre", np.array([10, 11, 12]), [np.ones(1)] * 3,
                         np.array([1, 2, 3]), np.ones(4), movies)
    assert sorted(map(tuple, groups.to_numpy().tolist())) == [
        (10, "Drama"), (11, "Comedy"), (11, "Drama"), (12, "(none)")]


def test_each_group_gets_its_size_and_each_models_mean():
    groups = pd.DataFrame({"user": [1, 2, 3, 4, 2], "group": pd.Categorical(
        ["tail", "head", "head", "tail", "tail"], ["head", "torso", "tail"], ordered=True)})
    ranks = {"A": (np.array([1, 2, 3, 4]), np.array([1, 50, 3, 11])),
             "B": (np.array([4, 3, 2, 1]), np.array([2, 20, 30, 40]))}
    table = segment_table(groups, ranks, "hr@10")
    assert table["group"].tolist() == ["head", "tail"]  # head / torso / tail order
    assert table["users"].tolist() == [2, 3]
    # A: head = users 2, 3 -> ranks 50, 3 -> 0.5; tail = users 1, 4, 2 -> 1, 11, 50 -> 1/3.
    assert table["A"].tolist() == pytest.approx([0.5, 1 / 3])
    # B: user 4 rank 2, 3 rank 20, 2 rank 30, 1 rank 40: head = 2, 3 -> 0; tail = 1, 4, 2 -> 1/3.
    assert table["B"].tolist() == pytest.approx([0.0, 1 / 3])
    assert segment_table(groups, ranks, min_users=3)["group"].tolist() == ["tail"]


def test_example_users_are_a_fixed_sample_of_the_group():
    groups = pd.DataFrame({"user": np.arange(100), "group": ["a"] * 50 + ["b"] * 50})
    picked = example_users(groups, "b", limit=5)
    assert picked == example_users(groups, "b", limit=5) and len(picked) == 5
    assert all(50 <= u < 100 for u in picked) and picked == sorted(picked)
