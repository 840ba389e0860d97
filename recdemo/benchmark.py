"""`python -m recdemo.benchmark DATASET`: each model trained with its default recipe (one seed),
the whole `train` command timed with its peak memory, evaluated on the test split (full
ranking, seen items excluded, leave-one-out), printed as one table beside most-popular and
any published figures for that dataset.

    python -m recdemo.benchmark ml-100k
    python -m recdemo.benchmark sequences:../shared/benchmarks/amazon-video-games/Video.txt

Artifacts go to a temporary folder (`--out` keeps them). The numbers come from running things;
the published rows are quoted with their source, and only for the dataset they were measured
on with this protocol (full ranking, leave-one-out).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from recdemo import RecdemoError
from recdemo.display import markdown_table
from recdemo.models import DISPLAY_NAMES, MODELS

# Published figures with this protocol (full ranking over the catalogue, leave-one-out), by the
# dataset name recdemo files the data under. `sequences-Beauty` is the SASRec repository's
# Beauty.txt.
PUBLISHED = {
    "sequences-Beauty": [
        {"model": "SASRec with full cross-entropy", "hr@10": 0.0533, "ndcg@10": 0.0327,
         "source": "Klenitskiy & Vasilev, RecSys 2023 (trained on a GPU, best epoch 6)"},
    ],
}


def run_train(dataset: str, model: str, seed: int, out: Path, data_dir: str | None,
              extra: list[str] = ()) -> tuple[float, str]:
    """`(seconds, stdout)` of one `python -m recdemo train` process."""
    command = [sys.executable, "-m", "recdemo", "train", "--dataset", dataset, "--model",
               model, "--seed", str(seed), "--out", str(out), *extra]
    if data_dir:
        command += ["--data-dir", data_dir]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RecdemoError(f"train --model {model} failed: "
                           f"{(done.stderr.strip().splitlines() or ['no output'])[-1][:200]}")
    return seconds, done.stdout


def row_of(folder: Path, model: str, seconds: float) -> dict:
    """One table row from an artifact's metrics and provenance."""
    metrics = json.loads((folder / "metrics.json").read_text())
    provenance = json.loads((folder / "provenance.json").read_text())
    return {"model": DISPLAY_NAMES[model], "test HR@10": round(metrics["test"]["hr@10"], 4),
            "test NDCG@10": round(metrics["test"]["ndcg@10"], 4),
            "valid NDCG@10": round(metrics["valid"]["ndcg@10"], 4),
            "epochs (selected)": f"{provenance['epochs_run']} ({provenance['best_epoch']})",
            "train command": f"{seconds:.0f} s",
            "peak RSS": f"{provenance.get('peak_rss_mb', float('nan')):,.0f} MB",
            "device": provenance["device"],
            "most popular HR@10 / NDCG@10": "{:.4f} / {:.4f}".format(
                metrics["most_popular"]["test"]["hr@10"],
                metrics["most_popular"]["test"]["ndcg@10"])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recdemo.benchmark", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", help="ml-100k, custom:PATH or sequences:FILE")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", help="folder holding MovieLens (as for train)")
    parser.add_argument("--out", help="keep the artifacts here (default: a temporary folder)")
    parser.add_argument("--json", help="also write the rows as JSON here")
    parser.add_argument("--epochs", type=int,
                        help="cap every model's epochs (a quick look; not the default recipe)")
    args = parser.parse_args(argv)
    rows = []
    try:
        with tempfile.TemporaryDirectory() as scratch:
            out = Path(args.out or scratch)
            for model in args.models:
                extra = ["--epochs", str(args.epochs)] if args.epochs else []
                seconds, stdout = run_train(args.dataset, model, args.seed, out,
                                            args.data_dir, extra)
                saved = [line.removeprefix("saved ") for line in stdout.splitlines()
                         if line.startswith("saved ")]
                rows.append(row_of(Path(saved[-1]), model, seconds))
                print(stdout.rstrip(), file=sys.stderr)
                name = Path(saved[-1]).parent.name
    except RecdemoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{name}: test split, full ranking over the catalogue, watched items excluded, "
          f"one seed, default recipe")
    print(markdown_table(list(rows[0]), [list(r.values()) for r in rows]))
    published = PUBLISHED.get(name, [])
    if published:
        print("\nPublished, same protocol:")
        print(markdown_table(["model", "HR@10", "NDCG@10", "source"],
                             [[p["model"], p["hr@10"], p["ndcg@10"], p["source"]]
                              for p in published]))
    else:
        print(f"\nNo published full-ranking figures for {name} are recorded here.")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
