"""`python -m recdemo.bench`: serving latency numbers (load, first call, warm calls).

Prints the time to load the data and each shipped artifact, and the median / 95th percentile
latency of `recommend` for user ids and 20-item histories, single-threaded and from 8 threads.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

import numpy as np

from recdemo.models import MODELS
from recdemo.serving import load_data, load_recommender


def _percentiles(samples: list[float]) -> str:
    ms = sorted(1000 * s for s in samples)
    return f"median {statistics.median(ms):7.2f} ms   p95 {ms[int(0.95 * (len(ms) - 1))]:7.2f} ms"


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print one line per measurement."""
    parser = argparse.ArgumentParser(prog="python -m recdemo.bench")
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    dataset, split = load_data()
    print(f"load ml-100k + split             {time.perf_counter() - started:6.2f} s")
    rng = np.random.default_rng(0)
    users = rng.choice(split.users, size=args.calls)
    histories = [list(rng.choice(np.arange(1, dataset.num_items), 20, replace=False))
                 for _ in range(args.calls)]
    for key in MODELS:
        started = time.perf_counter()
        recommender = load_recommender(key, dataset, split)
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        recommender.recommend(user_id=int(users[0]))
        recommender.recommend(history=histories[0])
        first = time.perf_counter() - started
        print(f"{key:<10} load {loaded:5.2f} s, first calls (compile) {first:5.2f} s")
        for name, calls in (("user id", [{"user_id": int(u)} for u in users]),
                            ("history", [{"history": h} for h in histories])):
            samples = []
            for call in calls:
                tick = time.perf_counter()
                recommender.recommend(**call)
                samples.append(time.perf_counter() - tick)
            print(f"{key:<10} {name:<8} 1 thread   {_percentiles(samples)}")
        samples, lock = [], threading.Lock()

        def worker(served, calls, samples=samples, lock=lock):
            for call in calls:
                tick = time.perf_counter()
                served.recommend(user_id=int(call))
                with lock:
                    samples.append(time.perf_counter() - tick)

        threads = [threading.Thread(target=worker, args=(recommender, users[i::8]))
                   for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(f"{key:<10} user id  8 threads  {_percentiles(samples)}")


if __name__ == "__main__":
    main()
