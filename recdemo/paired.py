"""Is the difference between two models real? A paired comparison over the same users.

Two models ranked the same held-out movie of the same users, so their per-user scores pair up.
The mean per-user difference gets a percentile bootstrap confidence interval (users resampled
with replacement, as in IR evaluation practice), and a verdict that may say "no detectable
difference": one seed's +2 % on validation is usually inside the noise.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from recdemo.metrics import per_user_scores

BETTER, WORSE, NO_DIFFERENCE = "better", "worse", "no detectable difference"
# Resamples drawn at once: bounds memory to `_CHUNK x users` indices (40k users: ~64 MB).
_CHUNK = 200


@dataclasses.dataclass(frozen=True)
class PairedComparison:
    """Model A against model B on one metric, over the same users.

    Attributes:
        metric: `"hr@10"` or `"ndcg@10"`.
        a_mean, b_mean: each model's mean over the users.
        difference: the mean of the per-user differences (A − B).
        low, high: the bootstrap confidence interval of `difference`.
        level: the interval's coverage (0.95: a 95 % interval).
        wins, ties, losses: users for whom A scores higher, the same, lower than B.
    """

    metric: str
    a_mean: float
    b_mean: float
    difference: float
    low: float
    high: float
    level: float
    wins: int
    ties: int
    losses: int

    @property
    def users(self) -> int:
        """How many users were compared."""
        return self.wins + self.ties + self.losses

    @property
    def verdict(self) -> str:
        """`better` / `worse` only when the whole interval is on one side of zero."""
        if self.low > 0:
            return BETTER
        if self.high < 0:
            return WORSE
        return NO_DIFFERENCE

    @property
    def relative(self) -> float:
        """`difference` as a share of B's mean (0 when B's mean is 0)."""
        return self.difference / self.b_mean if self.b_mean else 0.0

    def interval_text(self) -> str:
        """`+0.0027 (95 % CI −0.0120 to +0.0180)`."""
        return (f"{self.difference:+.4f} ({self.level:.0%} CI {self.low:+.4f} to "
                f"{self.high:+.4f})").replace("-", "−")

    def counts_text(self) -> str:
        """`80 users better, 75 worse, 788 tied`."""
        return f"{self.wins} users better, {self.losses} worse, {self.ties} tied"


def paired_comparison(ranks_a: np.ndarray, ranks_b: np.ndarray, metric: str = "ndcg@10",
                      resamples: int = 2000, level: float = 0.95,
                      seed: int = 0) -> PairedComparison:
    """Compare two models' held-out ranks of the same users, in the same order.

    Args:
        ranks_a, ranks_b: `(users,)` 1-based ranks of each user's held-out movie.
        metric: `"hr@10"` or `"ndcg@10"` (see `recdemo.metrics.per_user_scores`).
        resamples: bootstrap resamples of the users.
        level: coverage of the percentile interval.
        seed: the bootstrap's seed (the same inputs always give the same interval).

    Returns:
        The `PairedComparison` of A against B.

    Raises:
        ValueError: rank arrays of different lengths, or no users.

    Example:
    >>> paired_comparison(np.array([1, 3, 50]), np.array([2, 3, 50])).wins
    1
    """
    ranks_a, ranks_b = np.asarray(ranks_a), np.asarray(ranks_b)
    if ranks_a.shape != ranks_b.shape or ranks_a.ndim != 1 or not len(ranks_a):
        raise ValueError(f"Both models need ranks of the same users. Received shapes "
                         f"{ranks_a.shape} and {ranks_b.shape}.")
    if not 0 < level < 1:
        raise ValueError(f"`level` should be between 0 and 1. Received: level = {level}.")
    a, b = per_user_scores(ranks_a, metric), per_user_scores(ranks_b, metric)
    differences = a - b
    rng = np.random.default_rng(seed)
    means = []
    for start in range(0, resamples, _CHUNK):
        draws = rng.integers(0, len(differences), size=(min(_CHUNK, resamples - start),
                                                        len(differences)))
        means.append(differences[draws].mean(axis=1))
    low, high = np.quantile(np.concatenate(means), [(1 - level) / 2, (1 + level) / 2])
    return PairedComparison(
        metric=metric, a_mean=float(a.mean()), b_mean=float(b.mean()),
        difference=float(differences.mean()), low=float(low), high=float(high), level=level,
        wins=int((differences > 0).sum()), ties=int((differences == 0).sum()),
        losses=int((differences < 0).sum()))
