"""The numbers the Quality tab and the headline show, from hand-made `metrics.json` documents:
which model the headline picks, the table's rows, the slide's formatting, the sentence."""

from __future__ import annotations

import pytest

from recdemo import RecdemoError, report
from recdemo.paired import PairedComparison

POPULAR = {"valid": {"hr@10": 0.05, "ndcg@10": 0.025, "mrr": 0.02},
           "test": {"hr@10": 0.10, "ndcg@10": 0.05, "mrr": 0.04}}


def metrics(test_hr: float, valid_ndcg: float, seeds: int, std: float | None = None) -> dict:
    """A `metrics.json` of `seeds` runs whose mean is the served run's own numbers."""
    test = {"hr@10": test_hr, "ndcg@10": test_hr / 2, "mrr": test_hr / 3}
    valid = {"hr@10": 0.2, "ndcg@10": valid_ndcg, "mrr": 0.1}
    mean_test = {**test, **({f"{m}_std": std for m in test} if std is not None else {})}
    return {"test": test, "valid": valid, "most_popular": POPULAR,
            "seeds": [{"seed": s} for s in range(seeds)],
            "mean_over_seeds": {"test": mean_test, "valid": valid}}


def test_the_headline_model_is_chosen_on_validation_never_on_test():
    rows = {"a": report.summary(metrics(0.30, 0.10, 3, 0.01)),  # best on test
            "b": report.summary(metrics(0.20, 0.12, 3, 0.01))}  # best on validation
    assert report.best_on_validation(rows) == "b"


def test_the_quality_table_has_each_model_then_most_popular():
    frame = report.metrics_frame({"a": metrics(0.25, 0.11, 3, 0.004), "b": metrics(0.2, 0.1, 1)},
                                 {"a": "Model A", "b": "Model B (retrained here, serving)"})
    assert frame["model"].tolist() == ["Model A", "Model B (retrained here, serving)",
                                       "Most popular"]
    assert frame["hit rate @10"].tolist() == [0.25, 0.2, 0.10]
    assert frame["× most popular"].tolist() == pytest.approx([2.5, 2.0, 1.0])
    assert frame["validation NDCG@10"].tolist() == [0.11, 0.1, 0.025]
    assert frame["recipe's hit rate"].tolist() == ["0.250 ± 0.004 over 3 seeds", "1 seed",
                                                   "deterministic"]
    shown = report.slide_frame(frame)
    assert shown["hit rate @10"].tolist() == ["0.250", "0.200", "0.100"]
    assert shown["× most popular"].tolist() == ["2.50×", "2.00×", "1.00×"]


def test_a_document_without_the_seed_summary_is_one_clear_error():
    with pytest.raises(RecdemoError, match="lacks the seed summary"):
        report.metrics_frame({"a": {"test": {}, "valid": {}}}, {"a": "A"})


def test_the_headline_sentence_quotes_the_ratio_and_the_interval():
    comparison = PairedComparison("hr@10", a_mean=0.23, b_mean=0.1, difference=0.13,
                                  low=0.104, high=0.157, level=0.95, wins=200, ties=600,
                                  losses=80)
    sentence = report.headline_sentence("SASRec", comparison)
    assert "**2.3×**" in sentence and "23% of users against 10%" in sentence
    assert "95% interval over users: +10 to +16 points" in sentence
    worse = PairedComparison("hr@10", 0.08, 0.1, -0.02, -0.05, 0.01, 0.95, 1, 2, 3)
    assert "−5 to +1 points" in report.headline_sentence("X", worse)
