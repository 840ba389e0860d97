"""Load on the dashboard: N concurrent Chromium sessions switch users and models for a while
against one `streamlit run` on loopback, and the figures are printed.

    python tests/load.py --sessions 20 --seconds 60

Each session repeats: pick a random user (the "Random user" button) or a model (the sidebar),
then waits until the page is idle and its top-10 heading is visible. Reported: actions served,
errors (an exception element, a missing top-10, a timeout), median / p95 action time, and the
server's peak resident memory. Traffic stays on 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: `python tests/load.py`

from recdemo.appdriver import CHROMIUM, cold_start, launch_chromium, start_server  # noqa: E402,F401

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
MODELS = ("Two-tower", "GRU4Rec", "SASRec")


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_load(url: str, server_pid: int, sessions: int, seconds: float) -> dict:
    """Drive `sessions` browser pages for `seconds`; returns the figures."""
    from playwright.sync_api import sync_playwright

    times, errors, peak = [], [], [rss_mb(server_pid)]
    lock, stop = threading.Lock(), threading.Event()

    def sample_memory():
        while not stop.is_set():
            peak.append(rss_mb(server_pid))
            time.sleep(0.5)

    sampler = threading.Thread(target=sample_memory, daemon=True)
    sampler.start()
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        pages = []
        for index in range(sessions):
            page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
            page.goto(f"{url}/?user={index + 1}", wait_until="commit")
            pages.append(page)
        for page in pages:
            page.wait_for_selector(IDLE, timeout=180_000)
        deadline = time.time() + seconds
        rng = random.Random(0)
        # Playwright's sync API is single-threaded: sessions take turns issuing actions, and
        # every page's server-side rerun overlaps with the others'.
        while time.time() < deadline:
            pending = []
            for page in pages:
                started = time.time()
                try:
                    if rng.random() < 0.5:
                        page.get_by_role("button", name="Random user").click(timeout=30_000)
                    else:
                        # The sidebar's model option itself: the same name also stands in
                        # the folded "About the models" text, hidden.
                        page.get_by_test_id("stRadioOption").filter(
                            has_text=rng.choice(MODELS)).click(timeout=30_000)
                except Exception as exc:  # noqa: BLE001 - every failure is a counted error
                    errors.append(f"click: {exc.__class__.__name__}")
                    continue
                pending.append((page, started))
            for page, started in pending:
                try:
                    page.wait_for_timeout(50)
                    page.wait_for_selector(IDLE, timeout=60_000)
                    page.get_by_text("Top 10 from").wait_for(timeout=30_000)
                    if page.query_selector("[data-testid='stException']"):
                        errors.append("exception on the page")
                    with lock:
                        times.append(time.time() - started)
                except Exception as exc:  # noqa: BLE001
                    errors.append(f"wait: {exc.__class__.__name__}")
        browser.close()
    stop.set()
    ordered = sorted(times)
    return {"sessions": sessions, "seconds": seconds, "actions": len(times),
            "errors": len(errors), "error_kinds": sorted(set(errors)),
            "median_s": statistics.median(ordered) if ordered else None,
            "p95_s": ordered[int(0.95 * (len(ordered) - 1))] if ordered else None,
            "server_peak_rss_mb": round(max(peak), 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tests/load.py", description=__doc__)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args(argv)
    import tempfile

    with tempfile.TemporaryDirectory() as runs:
        process, url = start_server(runs)
        try:
            figures = run_load(url, process.pid, args.sessions, args.seconds)
        finally:
            process.terminate()
            process.wait(timeout=30)
    for name, value in figures.items():
        print(f"{name:>20}: {value}")
    return 0 if figures["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
