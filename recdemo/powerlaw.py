"""Synthetic power-law interaction logs in the custom-data layout, for scale measurements.

    python -m recdemo.powerlaw --users 100000 --items 50000 --interactions 2000000 --out DIR

writes `DIR/interactions.parquet` (string-able integer ids, integer timestamps), readable as
`--dataset custom:DIR`. Item popularity follows a Zipf law (the `--zipf` exponent; MovieLens'
is close to 1) and user activity a power law with at least 3 interactions each, the two
shapes that decide a recommender's cost: a long catalogue tail and a few very long histories.
There is no taste structure to learn: the data is for seconds and bytes, not for quality.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from recdemo import RecdemoError


def power_law_log(num_users: int, num_items: int, num_interactions: int, zipf: float = 1.0,
                  seed: int = 0) -> pd.DataFrame:
    """`user, item, timestamp` rows: Zipf item popularity, power-law user activity.

    Args:
        num_users: users (each gets >= 3 interactions).
        num_items: items (ids 1..num_items; the least popular may never be drawn).
        num_interactions: rows in total (>= 3 * num_users).
        zipf: popularity exponent: item of rank r is drawn with weight r ** -zipf.
        seed: the random seed.
    """
    if num_interactions < 3 * num_users:
        raise RecdemoError(f"--interactions ({num_interactions}) must be at least 3 per user "
                           f"({3 * num_users}).")
    rng = np.random.default_rng(seed)
    # Activity: 3 each, the rest shared in proportion to a Pareto draw (long-tailed users).
    weights = rng.pareto(1.5, num_users) + 1e-3
    extra = rng.multinomial(num_interactions - 3 * num_users, weights / weights.sum())
    counts = 3 + extra
    popularity = np.arange(1, num_items + 1, dtype=np.float64) ** -zipf
    # A random id per popularity rank, so popular items are not simply the low ids.
    item_of_rank = rng.permutation(num_items) + 1
    items = item_of_rank[rng.choice(num_items, size=num_interactions,
                                    p=popularity / popularity.sum())]
    users = np.repeat(np.arange(1, num_users + 1), counts)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    timestamps = 1_000_000_000 + (np.arange(num_interactions) - starts) * 60
    return pd.DataFrame({"user": users, "item": items, "timestamp": timestamps})


def main(argv: list[str] | None = None) -> int:
    """Write one synthetic dataset; exit 2 with one line on a bad flag."""
    parser = argparse.ArgumentParser(prog="python -m recdemo.powerlaw", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--interactions", type=int, default=2_000_000)
    parser.add_argument("--zipf", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True, help="folder to write interactions.parquet to")
    args = parser.parse_args(argv)
    try:
        for name in ("users", "items", "interactions"):
            if getattr(args, name) < 1:
                raise RecdemoError(f"--{name} should be >= 1.")
        if not 0 < args.zipf < 10:
            raise RecdemoError("--zipf should be in (0, 10).")
        frame = power_law_log(args.users, args.items, args.interactions, args.zipf, args.seed)
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        frame.to_parquet(out / "interactions.parquet", index=False)
    except RecdemoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {len(frame):,} interactions of {args.users:,} users and "
          f"{frame['item'].nunique():,} items to {out / 'interactions.parquet'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
