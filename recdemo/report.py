"""`python -m recdemo.report`: the README's results table, read from the artifacts' metrics.

Every number comes from `metrics.json` / `provenance.json` written by `python -m recdemo train`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from recdemo.artifacts import DEFAULT_ROOT

ROWS = (
    ("two_tower", "Two-tower (softmax, shipped)"),
    ("gru4rec", "GRU4Rec (shipped)"),
    ("sasrec", "SASRec (CE, shipped)"),
    ("two_tower_mse", "Two-tower, seed objective (MSE on ratings)"),
    ("sasrec_bce", "SASRec, paper/seed objective (BCE, 1 negative)"),
)


def _cell(summary: dict, name: str) -> str:
    std = summary.get(f"{name}_std")
    return f"{summary[name]:.4f}" + (f" ± {std:.4f}" if std is not None else "")


def results_table(root: Path, dataset: str = "ml-100k") -> str:
    """A markdown table: test HR@10 / NDCG@10 / MRR (mean ± std over seeds), time, device."""
    lines = ["| model | seeds | test HR@10 | test NDCG@10 | test MRR | valid NDCG@10 | "
             "train time (all seeds) | device |", "|---|---|---|---|---|---|---|---|"]
    popular = None
    for folder_name, label in ROWS:
        folder = root / dataset / folder_name
        if not (folder / "metrics.json").is_file():
            continue
        metrics = json.loads((folder / "metrics.json").read_text())
        provenance = json.loads((folder / "provenance.json").read_text())
        mean = metrics["mean_over_seeds"]
        popular = metrics["most_popular"]
        lines.append(
            f"| {label} | {len(metrics['seeds'])} | {_cell(mean['test'], 'hr@10')} | "
            f"{_cell(mean['test'], 'ndcg@10')} | {_cell(mean['test'], 'mrr')} | "
            f"{_cell(mean['valid'], 'ndcg@10')} | "
            f"{provenance.get('total_wall_seconds', provenance['wall_seconds']):.0f} s | "
            f"{provenance['device']} |")
    if popular:
        test = popular["test"]
        lines.append(f"| Most popular (train counts) | – | {test['hr@10']:.4f} | "
                     f"{test['ndcg@10']:.4f} | {test['mrr']:.4f} | "
                     f"{popular['valid']['ndcg@10']:.4f} | – | – |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(prog="python -m recdemo.report")
    parser.add_argument("--artifacts", type=Path, default=DEFAULT_ROOT)
    parser.add_argument("--dataset", default="ml-100k")
    args = parser.parse_args(argv)
    print(results_table(args.artifacts, args.dataset))


if __name__ == "__main__":
    main()
