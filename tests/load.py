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
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
MODELS = ("Two-tower", "GRU4Rec", "SASRec")


def launch_chromium(playwright):
    """Debian's headless Chromium as every browser test and the bench drive it."""
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
              "--disable-background-networking", "--disable-component-update"])


def cold_start(page, url: str, launched: float, clock=time.perf_counter) -> tuple[float, float]:
    """Open user 7's view; seconds from `launched` (a `clock` reading taken before the server
    started) until the history table's rows are drawn, and until the first top-10 shows. The
    rows, not only the caption above them: one definition of "painted" for the bench and the
    browser test."""
    page.goto(f"{url}/?user=7")
    page.get_by_text("User 7 watched").wait_for(timeout=180_000)
    page.locator("table.history tbody tr").first.wait_for(timeout=180_000)
    painted = clock() - launched
    page.get_by_text("Top 10 from SASRec").wait_for(timeout=180_000)
    return painted, clock() - launched


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(runs_dir: str) -> tuple[subprocess.Popen, str]:
    """`streamlit run` on a free loopback port; returns the process and its URL when healthy."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"),
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env={**os.environ, "RECDEMO_RUNS_DIR": runs_dir},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
            return process, url
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("streamlit did not start")


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
                        page.get_by_text(rng.choice(MODELS), exact=True).first.click(
                            timeout=30_000)
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
