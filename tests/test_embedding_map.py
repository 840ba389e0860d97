"""The embedding map's geometry against hand-made cases and a NumPy reference."""

from __future__ import annotations

import numpy as np

from recdemo.embedding_map import inside, spread_labels, taste_direction, view_extent
from recdemo.insights import pca_2d


def test_the_view_holds_the_catalogue_and_near_highlights_but_not_a_stray_point():
    catalogue = np.linspace(0.0, 10.0, 1001)
    low, high = view_extent(catalogue, np.array([12.0]))
    assert low < 0.2 and high > 12.0
    low, high = view_extent(catalogue, np.array([100.0, -80.0]))
    assert -1.0 < low < 0.2 and 9.8 < high < 11.0  # the strays are drawn at the edge instead
    clipped = inside(np.array([100.0, -80.0, 5.0]), (low, high))
    assert low < clipped[1] < clipped[0] < high and clipped[2] == 5.0


def test_the_taste_arrow_orders_movies_as_the_model_scores_them():
    rng = np.random.default_rng(0)
    table = rng.normal(size=(300, 2)) * [3.0, 1.0] + [5.0, -2.0]  # a 2-D model: nothing lost
    rows = np.arange(1, 300)
    coordinates, project = pca_2d(table, rows)
    query = np.array([0.4, -1.7])
    extent_x = view_extent(coordinates[:, 0], np.zeros(0))
    extent_y = view_extent(coordinates[:, 1], np.zeros(0))
    tip = taste_direction(project, query, coordinates, extent_x, extent_y)
    # Along the arrow, movies come in the order of their scores (query . vector).
    np.testing.assert_array_equal(np.argsort(coordinates @ tip), np.argsort(table[rows] @ query))
    assert extent_x[0] < tip[0] < extent_x[1] and extent_y[0] < tip[1] < extent_y[1]
    assert taste_direction(project, np.zeros(2), coordinates, extent_x, extent_y) is None


def _boxes(x, y, extent, width=560, height=400):
    scale = np.array([width, height]) / (extent[1] - extent[0])
    return (np.column_stack([x, y]) - extent[0]) * scale


def test_labels_of_piled_up_points_do_not_overlap():
    extent = (0.0, 1.0)
    x = np.array([0.5, 0.5, 0.5, 0.501, 0.499, 0.5])
    y = np.array([0.5, 0.5, 0.501, 0.5, 0.5, 0.499])
    lx, ly = spread_labels(x, y, extent, extent)
    centres = _boxes(lx, ly, extent)
    for i in range(len(x)):
        for j in range(i):
            apart = np.abs(centres[i] - centres[j]) >= [18 - 1e-6, 15 - 1e-6]
            assert apart.any(), (i, j)


def test_a_lone_label_sits_up_and_right_of_its_point():
    extent = (0.0, 1.0)
    lx, ly = spread_labels(np.array([0.5]), np.array([0.5]), extent, extent)
    centre = _boxes(lx, ly, extent)[0]
    np.testing.assert_allclose(centre - [280, 200], [9 + 9, 9 + 7.5])
