"""Driving the dashboard from a real browser, for the bench and the browser tests: a
`streamlit run` on a free loopback port, Debian's headless Chromium, and the one definition of
a cold start (history painted, first top-10 shown)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"


def launch_chromium(playwright):
    """Debian's headless Chromium as every browser test and the bench drive it."""
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
              "--disable-background-networking", "--disable-component-update"])


def cold_start(page, url: str, launched: float, clock=time.perf_counter) -> tuple[float, float]:
    """Open user 7's view; seconds from `launched` (a `clock` reading taken before the server
    started) until the history table's rows are drawn, and until the first top-10's tenth row
    shows. Rows, not only the headings above them: one definition for the bench and the
    browser test."""
    page.goto(f"{url}/?user=7")
    page.get_by_text("User 7 watched").wait_for(timeout=180_000)
    page.locator("table.history tbody tr").first.wait_for(timeout=180_000)
    painted = clock() - launched
    page.get_by_text("Top 10 from SASRec").wait_for(timeout=180_000)
    # The list's last row, not only its heading: the rows follow the reasons under them.
    page.get_by_text(re.compile(r"^10\. ")).first.wait_for(timeout=180_000)
    return painted, clock() - launched


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(runs_dir: str, script: Path = ROOT / "streamlit_app.py",
                 ) -> tuple[subprocess.Popen, str]:
    """`streamlit run script` on a free loopback port; returns the process and its URL when
    healthy."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script),
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


BARE_PAGE = 'import streamlit as st\n\nst.title("A bare page")\nst.write("One line of text.")\n'


def bare_page_cold_start(page, folder: str, clock=time.perf_counter) -> float:
    """Seconds from `streamlit run` of a page with a title and one line of text until that line
    shows: the framework's own floor, to compare the app's cold start with."""
    script = Path(folder) / "bare_page.py"
    script.write_text(BARE_PAGE)
    launched = clock()
    process, url = start_server(folder, script)
    try:
        page.goto(url)
        page.get_by_text("One line of text.").wait_for(timeout=180_000)
        return clock() - launched
    finally:
        process.terminate()
        process.wait(timeout=30)
