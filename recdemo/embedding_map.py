"""The geometry of the embedding map, kept out of the chart code so it can be tested: the
view's extent, where the query's taste points, and rank labels that do not overlap."""

from __future__ import annotations

import numpy as np

# Label offsets tried in order, in pixels from the point (x right, y up): beside it first,
# then further out.
_OFFSETS = [(dx * step, dy * step) for step in (1, 2, 3)
            for dx, dy in ((9, 9), (9, -9), (-9, 9), (-9, -9), (0, 14), (0, -14), (14, 0),
                           (-14, 0))]


def view_extent(catalogue: np.ndarray, highlighted: np.ndarray,
                pad: float = 0.06) -> tuple[float, float]:
    """The axis range of one coordinate: the middle 98 % of the catalogue, widened for
    highlighted points up to half that span beyond it, plus `pad` of the range on each side.
    A stray point further out does not squeeze the map into a corner; it is drawn at the
    edge (`inside`)."""
    low, high = np.percentile(catalogue, [1, 99])
    span = high - low or 1.0
    near = highlighted[(highlighted >= low - span / 2) & (highlighted <= high + span / 2)]
    if near.size:
        low, high = min(low, near.min()), max(high, near.max())
    margin = pad * (high - low or 1.0)
    return float(low - margin), float(high + margin)


def inside(values: np.ndarray, extent: tuple[float, float], pad: float = 0.03) -> np.ndarray:
    """`values` clipped to `extent`, `pad` of its width in from each edge, so that a marker
    drawn at the edge is whole."""
    low, high = extent
    margin = pad * (high - low)
    return np.clip(values, low + margin, high - margin)


def taste_direction(project, query: np.ndarray, coordinates: np.ndarray,
                    extent_x: tuple[float, float], extent_y: tuple[float, float],
                    ) -> np.ndarray | None:
    """Where to draw the query on the map: an arrow from the catalogue's centre.

    A movie's score is the dot product of the query and its vector, so in the map's two
    dimensions movies further along `query @ basis` score higher; the query's own length only
    scales every score alike. The arrow keeps that direction and takes the length of a typical
    far movie (the 90th percentile of distances from the centre), shortened to stay in view.

    Args:
        project: the map's projection (`insights.pca_2d`): `(vectors - mean) @ basis`.
        query: `(dim,)` the query vector.
        coordinates: `(n, 2)` the catalogue on the map.

    Returns:
        `(2,)` the arrow's tip (its tail is `(0, 0)`, the catalogue's mean), or None for a
        query with no direction in the map's plane.
    """
    direction = (project(query[None])[0] - project(np.zeros_like(query)[None])[0])
    norm = np.linalg.norm(direction)
    if not np.isfinite(norm) or norm < 1e-12:
        return None
    unit = direction / norm
    length = float(np.percentile(np.linalg.norm(coordinates, axis=1), 90))
    # The longest arrow along `unit` that ends 10 % inside the view.
    limits = []
    for axis, (low, high) in enumerate((extent_x, extent_y)):
        bound = high if unit[axis] > 0 else low
        if abs(unit[axis]) > 1e-12 and bound * unit[axis] > 0:
            limits.append(0.9 * bound / unit[axis])
    return unit * min([length, *limits])


def spread_labels(x: np.ndarray, y: np.ndarray, extent_x: tuple[float, float],
                  extent_y: tuple[float, float], width: float = 560, height: float = 400,
                  box: tuple[float, float] = (18, 15)) -> tuple[np.ndarray, np.ndarray]:
    """Positions for short labels (rank numbers) beside their points so that no two overlap.

    Greedy, in the given order (rank 1 first gets its first choice): each label takes the
    first offset from `_OFFSETS` whose box, `box` pixels, stays in the plot and overlaps no
    label placed before it, nor its own point; if none is free, the last offset tried.

    Args:
        x, y: the points, in data units.
        extent_x, extent_y: the plot's axis ranges.
        width, height: the plot's size in pixels (an estimate is enough: the offsets only need
            the right order of magnitude).

    Returns:
        `(label_x, label_y)` in data units, the centre of each label.
    """
    scale = np.array([width / (extent_x[1] - extent_x[0]), height / (extent_y[1] - extent_y[0])])
    origin = np.array([extent_x[0], extent_y[0]])
    half = np.array(box, dtype=np.float64) / 2
    placed: list[np.ndarray] = []
    points = (np.column_stack([x, y]) - origin) * scale
    out = np.empty_like(points)
    for row, point in enumerate(points):
        choice = None
        for offset in _OFFSETS:
            centre = point + np.sign(offset) * half + np.array(offset)
            in_plot = (np.all(centre - half >= 0) and centre[0] + half[0] <= width
                       and centre[1] + half[1] <= height)
            clear = all(np.any(np.abs(centre - other) >= 2 * half) for other in placed)
            # Its own point stays visible: the label box leaves the marker free.
            clear = clear and np.any(np.abs(centre - point) >= half + 3)
            choice = centre
            if in_plot and clear:
                break
        placed.append(choice)
        out[row] = choice
    data = out / scale + origin
    return data[:, 0], data[:, 1]
