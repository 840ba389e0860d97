"""Scale measurements: full vs sampled softmax on large synthetic data, and top-k vs catalogue.

    python -m recdemo.powerlaw --out /tmp/powerlaw          # 100k users, 50k items, 2M rows
    python -m recdemo.scale --data /tmp/powerlaw            # prints tables, writes scale.json

For each model and objective a fresh process (so its peak RSS is its own) reads the data, builds
one epoch of examples, compiles with one step, then times `--steps` training steps; seconds per
epoch are those steps' rate times the epoch's step count (a whole full-softmax epoch would take
hours here). Serving times one query's top-10 on the accelerator path against the NumPy sort it
replaced, over random item tables of growing size. Then the same memory arithmetic for ml-20m's
shapes, on paper. Numbers come from the command; none are typed into the README by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from recdemo import RecdemoError
from recdemo.display import markdown_table
from recdemo.models import MODELS

# Every model's full catalogue softmax, against its sampled one.
LOSSES = ("softmax", "sampled")
SHAPE = {"embedding_dim": 64, "max_len": 50}
ML20M = {"users": 138_493, "items": 26_744, "interactions": 20_000_263}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def train_steps(data: str, model_key: str, loss: str, steps: int, batch_size: int,
                num_negatives: int) -> dict:
    """Time `steps` training steps of one model and objective on `data` (in this process)."""
    import keras

    from recdemo.epochs import padded_to_batches, take_rows
    from recdemo.models import build_model, hyperparameters
    from recdemo.serving import load_data

    dataset, split = load_data(f"custom:{data}")
    keras.utils.set_random_seed(0)
    accepted = hyperparameters(MODELS[model_key])
    shape = {k: v for k, v in SHAPE.items() if k in accepted}
    model = build_model(model_key, dataset, loss=loss, num_negatives=num_negatives, **shape)
    model.compile_for_training(1e-3)
    x, y, w = padded_to_batches(*model.training_examples(split, np.random.default_rng(0)),
                                batch_size)
    rows = len(y)

    fx, fy, fw = take_rows(np.arange(min(batch_size, rows)), x, y, w)
    model.fit(fx, fy, sample_weight=fw, batch_size=batch_size, verbose=0)  # compile
    fx, fy, fw = take_rows(np.arange(min(batch_size * steps, rows)), x, y, w)
    started = time.perf_counter()
    model.fit(fx, fy, sample_weight=fw, batch_size=batch_size, verbose=0, shuffle=False)
    per_step = (time.perf_counter() - started) / steps
    steps_per_epoch = rows // batch_size
    return {"model": model_key, "loss": loss, "items": dataset.num_items - 1,
            "rows": rows, "batch_size": batch_size, "seconds_per_step": round(per_step, 4),
            "seconds_per_epoch": round(per_step * steps_per_epoch, 1),
            "peak_rss_mb": round(_peak_rss_mb())}


def _in_subprocess(args: argparse.Namespace, model_key: str, loss: str) -> dict:
    command = [sys.executable, "-m", "recdemo.scale", "--one", model_key, loss,
               "--data", args.data, "--steps", str(args.steps), "--batch-size",
               str(args.batch_size), "--num-negatives", str(args.num_negatives)]
    done = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())
    if done.returncode:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"model": model_key, "loss": loss, "error": tail[:200]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def top_k_latency(sizes=(1_000, 10_000, 100_000, 1_000_000), dim: int = 64,
                  repeats: int = 50) -> list[dict]:
    """p50 milliseconds of one query's top-10 (history of 50 masked) on the accelerator path
    (`recommend.device_top_k`) and with the NumPy full sort it replaced."""
    import jax

    from recdemo.scoring import device_top_k

    rng = np.random.default_rng(0)
    out = []
    for size in sizes:
        table = rng.normal(size=(size, dim)).astype(np.float32)
        device_table = jax.device_put(table)
        allowed = np.ones(size, bool)
        allowed[0] = False
        query = rng.normal(size=(1, dim)).astype(np.float32)
        seen = rng.integers(1, size, (1, 64)).astype(np.int32)
        timings = {"device": [], "numpy": []}
        for _ in range(repeats + 1):
            started = time.perf_counter()
            jax.block_until_ready(device_top_k(query, device_table, allowed, seen, k=10))
            timings["device"].append(time.perf_counter() - started)
            started = time.perf_counter()
            scores = query[0] @ table.T
            scores[~allowed] = -np.inf
            scores[seen[0]] = -np.inf
            np.argsort(-scores, kind="stable")[:10]
            timings["numpy"].append(time.perf_counter() - started)
        out.append({"items": size, **{f"{kind}_p50_ms": round(
            float(np.median(values[1:])) * 1000, 2) for kind, values in timings.items()}})
    return out


def on_paper(shape: dict, batch_size: int, max_len: int, num_negatives: int) -> dict:
    """Logit memory per step and steps per epoch of a sequence model at `shape` (MiB)."""
    positions = batch_size * max_len
    return {"users": shape["users"], "items": shape["items"],
            "interactions": shape["interactions"],
            "steps_per_epoch": -(-shape["interactions"] // (max_len * batch_size)),
            "full_logits_mib": round(positions * shape["items"] * 4 / 2**20),
            "sampled_logits_mib": round(positions * (1 + num_negatives) * 4 / 2**20, 1),
            "item_table_mib": round(shape["items"] * SHAPE["embedding_dim"] * 4 / 2**20, 1)}


def _table(rows: list[dict]) -> str:
    keys = list(dict.fromkeys(k for row in rows for k in row))
    return markdown_table(keys, [[row.get(k, "") for k in keys] for row in rows])


def main(argv: list[str] | None = None) -> int:
    """Run the measurements (or, with `--one`, one model's training measurement)."""
    parser = argparse.ArgumentParser(prog="python -m recdemo.scale", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="a custom-data folder "
                        "(python -m recdemo.powerlaw writes one)")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--num-negatives", type=int, default=100)
    parser.add_argument("--json", default="scale.json")
    parser.add_argument("--one", nargs=2, metavar=("MODEL", "LOSS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        if args.steps < 1 or args.batch_size < 1 or args.num_negatives < 1:
            raise RecdemoError("--steps, --batch-size and --num-negatives should be >= 1.")
        if not Path(args.data).exists():
            raise RecdemoError(f"No data at {args.data}: run python -m recdemo.powerlaw first.")
        if args.one:
            print(json.dumps(train_steps(args.data, *args.one, args.steps, args.batch_size,
                                         args.num_negatives)))
            return 0
    except RecdemoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    training = [_in_subprocess(args, key, loss) for key in args.models
                for loss in LOSSES]
    serving = top_k_latency()
    paper = [on_paper(ML20M, args.batch_size, SHAPE["max_len"], args.num_negatives)]
    report = {"training": training, "top_k": serving, "ml_20m_on_paper": paper,
              "num_negatives": args.num_negatives}
    Path(args.json).write_text(json.dumps(report, indent=2))
    for title, rows in (("Training (one process each)", training),
                        ("Top-10 latency vs item count", serving),
                        ("ml-20m shapes, on paper (sequence models)", paper)):
        print(f"\n{title}\n{_table(rows)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
