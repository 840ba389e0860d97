"""`python -m recdemo.report`: the README's results table, read from the artifacts' metrics;
and the same numbers as the dashboard's Quality tab and headline show them.

Every number comes from `metrics.json` / `provenance.json` written by `python -m recdemo train`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from recdemo import RecdemoError
from recdemo.artifacts import DEFAULT_ROOT, read_json
from recdemo.display import markdown_table
from recdemo.models import DISPLAY_NAMES, MODELS

# Artifacts trained with a non-default objective, reported beside the shipped models.
VARIANTS = (
    ("two_tower_mse", "Two-tower, seed objective (MSE on ratings)"),
    ("sasrec_bce", "SASRec, paper/seed objective (BCE, 1 negative)"),
)


def rows() -> list[tuple[str, str]]:
    """`(artifact folder, label)`: every registered model's shipped artifact, then variants."""
    return [(key, f"{DISPLAY_NAMES[key]} (shipped)") for key in MODELS] + list(VARIANTS)


METRICS = ("hr@10", "ndcg@10", "mrr")


def summary(metrics: dict) -> dict:
    """One artifact's headline numbers from its `metrics.json`.

    Returns:
        `{"seeds": n, "test": {metric: mean}, "test_std": {metric: std or None},
        "valid": {metric: mean}, "most_popular": {"test": {...}, "valid": {...}}}`; means are
        over seeds (a single seed's own numbers when only one ran).

    Raises:
        RecdemoError: the document lacks these numbers.
    """
    try:
        mean = metrics["mean_over_seeds"]
        out = {"seeds": len(metrics["seeds"]),
               "test": {m: float(mean["test"][m]) for m in METRICS},
               "test_std": {m: mean["test"].get(f"{m}_std") for m in METRICS},
               "valid": {m: float(mean["valid"][m]) for m in METRICS},
               "most_popular": {part: {m: float(metrics["most_popular"][part][m])
                                       for m in METRICS} for part in ("valid", "test")}}
    except (KeyError, TypeError, ValueError):
        raise RecdemoError("An artifact's metrics.json lacks the seed summary or "
                           "most-popular numbers: retrain it.") from None
    return out


def best_on_validation(summaries: dict[str, dict]) -> str:
    """The key whose `summary` has the highest validation NDCG@10 (what the headline reports
    on test: chosen on validation, never on test)."""
    return max(summaries, key=lambda key: summaries[key]["valid"]["ndcg@10"])


def headline_sentence(name: str, comparison) -> str:
    """`On held-out data, SASRec's top 10 holds ... 2.3× as often ... (interval)`."""
    ratio = comparison.a_mean / comparison.b_mean if comparison.b_mean else float("inf")
    gap = (f"{100 * comparison.low:+.0f} to {100 * comparison.high:+.0f} points"
           ).replace("-", "−")
    return (f"On held-out data, the shipped {name}'s top 10 holds the movie a user watched "
            f"next **{ratio:.1f}×** as often as the ten most popular movies do "
            f"({comparison.a_mean:.0%} of users against {comparison.b_mean:.0%}; the gap's "
            f"{comparison.level:.0%} interval over users: {gap}).")


def metrics_frame(rows: dict[str, dict], labels: dict[str, str]) -> pd.DataFrame:
    """One row per served model (its own saved weights) plus most-popular.

    Args:
        rows: label key -> the artifact's `metrics.json`.
        labels: label key -> what the row is called.
    """
    table = []
    popular = popular_valid = None
    for key, metrics in rows.items():
        summed = summary(metrics)
        popular, popular_valid = summed["most_popular"]["test"], summed["most_popular"]["valid"]
        spread = summed["test_std"]["hr@10"]
        recipe = (f"{summed['test']['hr@10']:.3f} ± {spread:.3f} over {summed['seeds']} seeds"
                  if spread is not None else "1 seed")
        table.append({"model": labels[key], "hit rate @10": metrics["test"]["hr@10"],
                      "NDCG@10": metrics["test"]["ndcg@10"],
                      "× most popular": metrics["test"]["hr@10"] / popular["hr@10"],
                      "validation NDCG@10": metrics["valid"]["ndcg@10"],
                      "recipe's hit rate": recipe})
    table.append({"model": "Most popular", "hit rate @10": popular["hr@10"],
                  "NDCG@10": popular["ndcg@10"], "× most popular": 1.0,
                  "validation NDCG@10": popular_valid["ndcg@10"],
                  "recipe's hit rate": "deterministic"})
    return pd.DataFrame(table)


def slide_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The metrics table as a slide shows it: three decimals, the ratio with its `×`."""
    shown = frame.copy()
    for column in ("hit rate @10", "NDCG@10", "validation NDCG@10"):
        shown[column] = shown[column].map("{:.3f}".format)
    shown["× most popular"] = shown["× most popular"].map("{:.2f}×".format)
    return shown


def _cell(values: dict, stds: dict | None, name: str) -> str:
    std = (stds or {}).get(name)
    return f"{values[name]:.4f}" + (f" ± {std:.4f}" if std is not None else "")


def results_table(root: Path, dataset: str = "ml-100k") -> str:
    """A markdown table: test HR@10 / NDCG@10 / MRR (mean ± std over seeds), time, device."""
    cells, popular = [], None
    for folder_name, label in rows():
        folder = root / dataset / folder_name
        if not (folder / "metrics.json").is_file():
            continue
        row = summary(read_json(folder, "metrics.json", dict))
        provenance = read_json(folder, "provenance.json", dict)
        popular = row["most_popular"]
        test, std = row["test"], row["test_std"]
        cells.append([
            label, row["seeds"], _cell(test, std, "hr@10"), _cell(test, std, "ndcg@10"),
            _cell(test, std, "mrr"), f"{row['valid']['ndcg@10']:.4f}",
            f"{provenance.get('total_wall_seconds', provenance['wall_seconds']):.0f} s",
            provenance["device"]])
    if popular:
        test = popular["test"]
        cells.append(["Most popular (train counts)", "–", f"{test['hr@10']:.4f}",
                      f"{test['ndcg@10']:.4f}", f"{test['mrr']:.4f}",
                      f"{popular['valid']['ndcg@10']:.4f}", "–", "–"])
    return markdown_table(["model", "seeds", "test HR@10", "test NDCG@10", "test MRR",
                           "valid NDCG@10", "train time (all seeds)", "device"], cells)


def main(argv: list[str] | None = None) -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(prog="python -m recdemo.report")
    parser.add_argument("--artifacts", type=Path, default=DEFAULT_ROOT)
    parser.add_argument("--dataset", default="ml-100k")
    args = parser.parse_args(argv)
    print(results_table(args.artifacts, args.dataset))


if __name__ == "__main__":
    main()
