"""Dashboard insights on hand-made inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recdemo import insights


def test_similar_movies_excludes_itself_and_non_catalogue():
    table = np.array([[0, 0], [1, 0], [0.9, 0.1], [1, 0.0001], [-1, 0]], dtype=float)
    catalogue = np.array([False, True, True, False, True])
    neighbours = insights.similar_movies(table, 1, catalogue, k=3)
    assert [m for m, _ in neighbours] == [2, 4]
    assert neighbours[-1][1] == pytest.approx(-1.0)


def test_popularity_percentiles_and_diversity():
    counts = np.array([0, 5, 1, 3, 3])
    catalogue = np.array([False, True, True, True, True])
    np.testing.assert_allclose(insights.popularity_percentiles(counts, catalogue),
                               [0, 75, 0, 25, 25])
    movies = pd.DataFrame({"genres": [("A",), ("A", "B"), ()]}, index=[1, 2, 3])
    assert insights.genre_diversity(movies, [1, 2, 3]) == 2


def test_diff_top_k():
    diff = insights.diff_top_k([1, 2, 3, 4], [2, 1, 3, 9])
    assert diff.new == [9] and diff.dropped == [4]
    assert diff.moved == [(2, 2, 1), (1, 1, 2)] and diff.unchanged == [3]


def test_pca_projects_queries_into_the_same_plane():
    rng = np.random.default_rng(0)
    table = rng.normal(size=(30, 5))
    rows = np.arange(1, 30)
    points, project = insights.pca_2d(table, rows)
    np.testing.assert_allclose(project(table[5]), points[4:5], atol=1e-9)
    assert points[:, 0].var() >= points[:, 1].var()


def test_persona_history_uses_genre_and_year_rules():
    movies = pd.DataFrame({"title": list("abcdef"),
                           "year": [1991.0, 1995.0, 1985.0, 1999.0, 1993.0, 1997.0],
                           "genres": [("Sci-Fi",), ("Sci-Fi", "Drama"), ("Sci-Fi",), ("Drama",),
                                      ("Sci-Fi",), ("Sci-Fi",)]}, index=range(1, 7))
    counts = np.array([0, 1, 9, 50, 50, 4, 7])
    # 90s sci-fi: movies 1, 2, 5, 6; the 3 most watched are 2, 6, 5; oldest release first.
    assert insights.persona_history("90s sci-fi fan", movies, counts, size=3) == [5, 2, 6]
    assert set(insights.PERSONAS) >= {"90s sci-fi fan", "Animated family films"}


def test_genre_mask_agreement_and_overlaps():
    movies = pd.DataFrame({"title": ["a", "b", "c"], "genres": [("Drama",), ("Comedy",),
                                                                ("Drama", "War")]},
                          index=[1, 2, 4])
    assert insights.genre_mask(movies, [], 5) is None
    assert insights.genre_mask(movies, ["Drama"], 5).tolist() == [False, True, False, False,
                                                                   True]
    lists = {"a": [1, 2, 3], "b": [3, 2, 9], "c": [3]}
    assert insights.agreement(lists) == {1: 1, 2: 2, 3: 3, 9: 1}
    assert insights.overlaps(lists) == {("a", "b"): 2, ("a", "c"): 1, ("b", "c"): 1}
    assert insights.genre_share(movies, [1, 4], ("Drama",)) == 1.0
    assert insights.genre_share(movies, [1, 2], ("Drama", "War")) == 0.0


def test_markdown_escape_keeps_titles_literal():
    from recdemo.display import markdown_escape

    assert markdown_escape("M*A*S*H (1970)") == r"M\*A\*S\*H \(1970\)"
    assert markdown_escape(":red[x] $1$") == r"\:red\[x\] \$1\$"


def test_most_popular_top_k_skips_history_and_non_candidates():
    counts = np.array([99, 5, 9, 9, 1, 7])
    catalogue = np.array([False, True, True, True, True, True])
    assert insights.most_popular_top_k(counts, catalogue, [], 3) == [2, 3, 5]
    assert insights.most_popular_top_k(counts, catalogue, [3], 3) == [2, 5, 1]
    only = np.array([False, True, False, False, True, False])
    assert insights.most_popular_top_k(counts, catalogue, [], 3, only) == [1, 4]
