"""Verdicts on two models from their per-user held-out ranks: a retrained run against the
served model (validation only), or any two models on screen.

Per-user ranks come from an artifact's `metrics.json` (`ranks`, written by training for the
saved seed) or, for artifacts saved before they were recorded, from ranking through the
served model, where that gives the same numbers (see `ranks_of`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from recdemo.paired import BETTER, NO_DIFFERENCE, WORSE, PairedComparison, paired_comparison

METRICS = {"ndcg@10": "NDCG@10", "hr@10": "hit rate @10"}
MIXED = "mixed"


def ranks_of(metrics: dict, part: str, load_recommender: Callable[[], object] | None = None
             ) -> tuple[np.ndarray, np.ndarray] | None:
    """`(users, ranks)` of an artifact's saved model on `part`, or None when unknown.

    Args:
        metrics: the artifact's `metrics.json`.
        part: `"valid"` or `"test"`.
        load_recommender: gives the artifact's `Recommender`, called only when the ranks were
            not recorded. A model refitted on train + validation (two-tower) has trained on its
            validation movies, so its live validation ranks would flatter it: None instead.
    """
    recorded = (metrics.get("ranks") or {}).get(part)
    if recorded:
        return (np.asarray(recorded["users"], dtype=np.int64),
                np.asarray(recorded["ranks"], dtype=np.int64))
    if load_recommender is None:
        return None
    recommender = load_recommender()
    if part == "valid" and recommender.model.refits_on_validation:
        return None
    from recdemo.evaluation import held_out_ranks

    return held_out_ranks(recommender, part)


def aligned(a: tuple[np.ndarray, np.ndarray],
            b: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The two rank arrays over the users both cover, in the same user order."""
    _, in_a, in_b = np.intersect1d(a[0], b[0], return_indices=True)
    return a[1][in_a], b[1][in_b]


def compare(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray],
            resamples: int = 2000) -> dict[str, PairedComparison]:
    """A against B on NDCG@10 and HR@10 over their common users."""
    ranks_a, ranks_b = aligned(a, b)
    return {metric: paired_comparison(ranks_a, ranks_b, metric, resamples=resamples)
            for metric in METRICS}


@dataclasses.dataclass(frozen=True)
class Verdict:
    """What a comparison lets one say.

    Attributes:
        outcome: `better`, `worse`, `no detectable difference`, or `mixed` (the two metrics
            disagree beyond noise).
        sentence: one Markdown sentence with the differences and their intervals.
    """

    outcome: str
    sentence: str


def verdict(comparisons: dict[str, PairedComparison], subject: str, reference: str,
            where: str) -> Verdict:
    """The verdict on `subject` against `reference`, led by NDCG@10 (the selection metric).

    Args:
        comparisons: `compare(subject, reference)`.
        subject, reference: names for the sentence ("this run", "the served SASRec").
        where: which data, for the sentence ("on validation").
    """
    ndcg, hr = comparisons["ndcg@10"].verdict, comparisons["hr@10"].verdict
    if {ndcg, hr} == {BETTER, WORSE}:
        outcome = MIXED
    elif BETTER in (ndcg, hr):
        outcome = BETTER
    elif WORSE in (ndcg, hr):
        outcome = WORSE
    else:
        outcome = NO_DIFFERENCE
    lead = {BETTER: f"{subject} is **better** than {reference}",
            WORSE: f"{subject} is **worse** than {reference}",
            NO_DIFFERENCE: f"**No detectable difference** between {subject} and {reference}",
            MIXED: f"{subject} and {reference} **differ, but not in one direction**"}[outcome]
    details = "; ".join(f"{METRICS[m]} {c.interval_text()}" for m, c in comparisons.items())
    counts = comparisons["ndcg@10"].counts_text()
    return Verdict(outcome, f"{lead[0].upper()}{lead[1:]} {where}: {details}. "
                            f"NDCG@10 per user: {counts}.")
