"""`python -m recdemo.report`: the README's results table, read from the artifacts' metrics.

Every number comes from `metrics.json` / `provenance.json` written by `python -m recdemo train`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

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
