"""Running a test's worker on several threads at once."""

from __future__ import annotations

import threading


def run_in_threads(worker, count: int) -> None:
    """Call `worker(index)` for index 0..count-1, each on its own thread, and wait for all."""
    threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
